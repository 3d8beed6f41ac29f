"""The payouts pages: the accounts a person looks after, off to Stripe and back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from connect.models import ConnectedAccount
from tests.billing.connect.conftest import account_creates, route

pytestmark = pytest.mark.django_db


def test_a_manager_sees_the_agencys_account_not_started(fake_stripe, web_client, acme, people):
    page = web_client(acme, people.owner.user).get("/billing/connect/")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="payout-agency"' in html
    assert 'data-testid="payout-me"' not in html
    assert "Start onboarding" in html
    assert fake_stripe.requests == []


def test_start_sends_the_browser_to_stripe_and_the_page_then_shows_what_is_due(
    fake_stripe, web_client, acme, people
):
    client = web_client(acme, people.admin.user)

    started = client.post("/billing/connect/start/", {"owner": "agency"})

    assert started.status_code == 302
    account = ConnectedAccount.objects.get(tenant=acme)
    assert started["Location"].startswith(f"{fake_stripe.url}/setup/e/{account.stripe_id}/")
    html = client.get("/billing/connect/").content.decode()
    assert "Continue onboarding" in html
    assert "external account" in html
    assert "Open the Stripe dashboard" not in html


def test_the_refresh_page_makes_a_new_link_and_redirects(fake_stripe, web_client, acme, people):
    client = web_client(acme, people.owner.user)
    first = client.post("/billing/connect/start/", {"owner": "agency"})["Location"]

    again = client.get("/billing/connect/refresh/?owner=agency")

    assert again.status_code == 302
    assert again["Location"] != first
    assert again["Location"].startswith(f"{fake_stripe.url}/setup/e/")
    assert len(account_creates(fake_stripe)) == 1
    assert len(fake_stripe.calls("POST", "/v1/account_links")) == 2


def test_the_return_page_re_reads_the_account_from_stripe(fake_stripe, web_client, acme, people):
    client = web_client(acme, people.owner.user)
    client.post("/billing/connect/start/", {"owner": "agency"})
    account = ConnectedAccount.objects.get(tenant=acme)
    fake_stripe.account_complete(account.stripe_id)

    back = client.get("/billing/connect/return/?owner=agency")

    assert back.status_code == 200
    assert "the account can receive payouts" in back.content.decode()
    assert ConnectedAccount.objects.get(pk=account.pk).status == "enabled"
    assert fake_stripe.calls("GET", f"/v1/accounts/{account.stripe_id}")
    dashboard = client.post("/billing/connect/dashboard/", {"owner": "agency"})
    assert dashboard.status_code == 302
    assert dashboard["Location"] == f"{fake_stripe.url}/express/{account.stripe_id}"


def test_the_return_page_says_so_when_stripe_cannot_be_reached(
    fake_stripe, web_client, acme, people
):
    client = web_client(acme, people.owner.user)
    client.post("/billing/connect/start/", {"owner": "agency"})
    fake_stripe.fail("GET", "/v1/accounts/", 500)

    back = client.get("/billing/connect/return/?owner=agency")

    assert back.status_code == 200
    assert "could not be reached" in back.content.decode()


def test_the_return_page_before_any_account_is_a_404(fake_stripe, web_client, acme, people):
    back = web_client(acme, people.owner.user).get("/billing/connect/return/?owner=agency")
    assert back.status_code == 404
    assert fake_stripe.requests == []


def test_a_tutor_paid_by_the_agency_is_told_so_and_one_paid_directly_gets_an_account(
    fake_stripe, web_client, acme, people
):
    client = web_client(acme, people.tutor.user)
    html = client.get("/billing/connect/").content.decode()
    assert 'data-testid="payout-through-agency"' in html
    refused = client.post("/billing/connect/start/", {"owner": "me"})
    assert refused.status_code == 403

    route(acme, "tutors")
    html = client.get("/billing/connect/").content.decode()
    assert 'data-testid="payout-me"' in html
    assert client.post("/billing/connect/start/", {"owner": "me"}).status_code == 302
    assert ConnectedAccount.objects.filter(user=people.tutor.user).count() == 1


@pytest.mark.parametrize("who", ["staff", "student", "parent"])
def test_people_without_payouts_are_refused(fake_stripe, web_client, acme, people, who):
    client = web_client(acme, getattr(people, who).user)
    assert client.get("/billing/connect/").status_code == 403
    assert client.post("/billing/connect/start/", {"owner": "agency"}).status_code == 403
    assert client.get("/billing/connect/refresh/?owner=agency").status_code == 403
    assert client.get("/billing/connect/return/?owner=agency").status_code == 403
    assert fake_stripe.requests == []


def test_a_tutor_cannot_start_the_agencys_account(fake_stripe, web_client, acme, people):
    response = web_client(acme, people.tutor.user).post(
        "/billing/connect/start/", {"owner": "agency"}
    )
    assert response.status_code == 403
    assert not ConnectedAccount.objects.exists()


def test_a_bad_owner_is_a_400_with_the_reason(fake_stripe, web_client, acme, people):
    client = web_client(acme, people.owner.user)
    response = client.post("/billing/connect/start/", {"owner": "everyone"})
    assert response.status_code == 400
    assert "Choose one of: agency, me." in response.content.decode()
    assert client.get("/billing/connect/refresh/").status_code == 400
    assert fake_stripe.requests == []


def test_another_agencys_owner_is_refused_on_this_host(
    fake_stripe, web_client, acme, globex, people
):
    from django.contrib.auth import get_user_model

    globex_owner = get_user_model().objects.get(email="owner@globex.test")
    client = web_client(acme, globex_owner)
    assert client.get("/billing/connect/").status_code in (302, 403)
    response = client.post("/billing/connect/start/", {"owner": "agency"})
    assert response.status_code in (302, 403)
    assert not ConnectedAccount.objects.exists()


def test_the_nav_links_payouts_for_managers_and_tutors_only(fake_stripe, web_client, acme, people):
    for who, shown in (("owner", True), ("tutor", True), ("staff", False), ("student", False)):
        page = web_client(acme, getattr(people, who).user).get(reverse("web:dashboard"))
        assert page.status_code == 200
        assert ('href="/billing/connect/"' in page.content.decode()) is shown, who
