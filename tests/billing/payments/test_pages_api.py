"""Paying through the pages and the API; the session page's payment panel; refunds by API.
Other tenants, other students and wrong roles are refused; bad input gets field errors."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from billing.models import Payment, Refund
from tests.access.conftest import move_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_student(web_client, acme, student):
    return web_client(acme, student.user)


def test_the_pay_page_shows_the_breakdown_and_stripes_element(as_student, opened, fake_stripe):
    response = as_student.get(f"/billing/payments/{opened.pk}/pay/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="fee-breakdown"' in page
    for amount in ("40.00", "4.00", "8.00", "28.00"):  # price, platform, agency, tutor
        assert amount in page
    assert 'id="payment-element"' in page
    assert "script-src 'self' " in response["Content-Security-Policy"]
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []  # a view has no side effect


def test_the_page_gets_the_client_secret_by_post_and_the_return_page_holds_it(
    acme, as_student, opened, fake_stripe
):
    response = as_student.post(f"/billing/payments/{opened.pk}/pay/intent/")
    assert response.status_code == 200
    secret = response.json()["client_secret"]
    fake_stripe.intent_succeed(secret.split("_secret_")[0])
    response = as_student.get(f"/billing/payments/{opened.pk}/pay/return/")
    assert response.status_code == 302
    assert response["Location"] == f"/scheduling/sessions/{opened.session_id}/"
    with tenant_context(acme):
        assert Payment.objects.get(pk=opened.pk).status == Payment.Status.HELD


def test_returning_without_paying_goes_back_to_the_pay_page(as_student, opened, fake_stripe):
    as_student.post(f"/billing/payments/{opened.pk}/pay/intent/")
    response = as_student.get(f"/billing/payments/{opened.pk}/pay/return/")
    assert response["Location"] == f"/billing/payments/{opened.pk}/pay/"


def test_the_tutor_sees_the_page_but_cannot_pay(web_client, acme, tutor, opened, fake_stripe):
    client = web_client(acme, tutor.user)
    page = client.get(f"/billing/payments/{opened.pk}/pay/").content.decode()
    assert 'id="payment-element"' not in page
    assert client.post(f"/billing/payments/{opened.pk}/pay/intent/").status_code == 403


def test_another_student_cannot_see_the_payment(web_client, acme, learner, opened, fake_stripe):
    other = learner(first_name="Olly", email="olly@example.test")[0]
    client = web_client(acme, other.user)
    assert client.get(f"/billing/payments/{opened.pk}/pay/").status_code == 404
    assert client.post(f"/billing/payments/{opened.pk}/pay/intent/").status_code == 404


def test_the_session_panel_offers_pay_now_to_the_student_only(
    web_client, acme, student, tutor, opened, fake_stripe
):
    url = f"/billing/sessions/{opened.session_id}/payment/"
    student_panel = web_client(acme, student.user).get(url, HTTP_HX_REQUEST="true")
    assert 'data-testid="pay-now"' in student_panel.content.decode()
    tutor_panel = web_client(acme, tutor.user).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="pay-now"' not in tutor_panel
    assert "Your earnings" in tutor_panel


def test_checkout_by_api_and_sync(api_client, acme, student, opened, fake_stripe):
    client = api_client(acme, student.user)
    response = client.post(f"/api/v1/billing/payments/{opened.pk}/checkout/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["publishable_key"] == "pk_test_fake"
    fake_stripe.intent_succeed(body["client_secret"].split("_secret_")[0])
    synced = client.post(f"/api/v1/billing/payments/{opened.pk}/sync/")
    assert synced.json()["status"] == "held"


def test_checkout_by_api_is_refused_to_the_tutor(api_client, acme, tutor, opened, fake_stripe):
    response = api_client(acme, tutor.user).post(f"/api/v1/billing/payments/{opened.pk}/checkout/")
    assert response.status_code == 403


def test_a_token_of_another_tenant_cannot_checkout(
    api_client, acme, globex, owner, opened, fake_stripe
):
    client = api_client(acme, owner.user)
    move_to(client, globex)
    response = client.post(f"/api/v1/billing/payments/{opened.pk}/checkout/")
    assert response.status_code == 401
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []


def test_a_refund_by_api(api_client, acme, owner, opened, pay, fake_stripe):
    payment = pay(opened)
    client = api_client(acme, owner.user)
    response = client.post(
        f"/api/v1/billing/payments/{payment.pk}/refunds/",
        {"amount_minor": 1500, "reason": "Late start"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["amount_minor"] == 1500
    with tenant_context(acme):
        assert Refund.objects.get().reason == "Late start"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount_minor": 0, "reason": "x"}, "amount_minor"),
        ({"amount_minor": "ten", "reason": "x"}, "amount_minor"),
        ({"amount_minor": 100}, "reason"),
        ({"amount_minor": 999999, "reason": "Too much"}, "amount_minor"),
    ],
)
def test_a_bad_refund_gets_field_errors(api_client, acme, owner, opened, pay, body, field):
    payment = pay(opened)
    response = api_client(acme, owner.user).post(
        f"/api/v1/billing/payments/{payment.pk}/refunds/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    with tenant_context(acme):
        assert Refund.objects.count() == 0


def test_a_refund_of_an_unpaid_payment_is_a_conflict(api_client, acme, owner, opened):
    response = api_client(acme, owner.user).post(
        f"/api/v1/billing/payments/{opened.pk}/refunds/",
        {"amount_minor": 100, "reason": "x"},
        format="json",
    )
    assert response.status_code == 409


def test_a_manager_retries_a_blocked_release_by_api(
    api_client, acme, owner, opened, pay, fake_stripe, django_capture_on_commit_callbacks
):
    from scheduling.models import Session
    from tests.billing.payments.conftest import account

    payment = pay(opened)
    with tenant_context(acme):
        Session.objects.filter(pk=payment.session_id).update(status="completed")
    account(fake_stripe, tenant=acme)
    client = api_client(acme, owner.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/billing/payments/{payment.pk}/release/")
    assert response.status_code == 202, response.content
    with tenant_context(acme):
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.RELEASED


def test_a_tutor_cannot_retry_a_release_by_api(api_client, acme, tutor, opened, pay):
    payment = pay(opened)
    response = api_client(acme, tutor.user).post(f"/api/v1/billing/payments/{payment.pk}/release/")
    assert response.status_code == 403


def test_the_panel_offers_a_blocked_release_to_managers_and_the_button_retries(
    web_client, acme, owner, tutor, opened, pay, fake_stripe, django_capture_on_commit_callbacks
):
    from billing.services import payments
    from scheduling.models import Session
    from tests.billing.payments.conftest import account

    payment = pay(opened)
    with tenant_context(acme):
        Session.objects.filter(pk=payment.session_id).update(status="completed")
        payments.payment_release(payment.pk)  # no payout account yet: blocked
    url = f"/billing/sessions/{payment.session_id}/payment/"
    manager = web_client(acme, owner.user)
    assert (
        'data-testid="release-retry"' in manager.get(url, HTTP_HX_REQUEST="true").content.decode()
    )
    tutor_panel = web_client(acme, tutor.user).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="release-retry"' not in tutor_panel
    account(fake_stripe, tenant=acme)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/billing/payments/{payment.pk}/release/")
    assert response.status_code == 302
    with tenant_context(acme):
        assert Payment.objects.get(pk=payment.pk).status == Payment.Status.RELEASED
