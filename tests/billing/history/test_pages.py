"""The payment history page: each viewer sees the payments of the classes they see, with
what their side may know, filtered by htmx."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from scheduling.selectors.history import viewer_zone

pytestmark = pytest.mark.django_db

URL = "/billing/payments/"


def _rows(response) -> set[str]:
    html = response.content.decode()
    return {part.split('"')[0] for part in html.split('data-testid="payment-')[1:]}


def _page(web_client, world, membership, query=""):
    client = web_client(world.tenant, membership.user)
    return client.get(URL + query)


def test_a_student_sees_their_own_payments_with_refunds_and_receipts(web_client, world):
    response = _page(web_client, world, world.student)
    assert response.status_code == 200
    assert _rows(response) == {str(world.paid.pk)}
    html = response.content.decode()
    assert "Cancelled late by the student" in html
    assert "INV-000001" in html
    assert reverse("billing:invoice_pdf", args=[world.receipt.pk]) in html
    assert reverse("scheduling:session_detail", args=[world.paid.session_id]) in html
    assert 'data-testid="fee-breakdown"' not in html


def test_a_parent_sees_their_childs_payment_with_a_pay_now_link(web_client, world):
    response = _page(web_client, world, world.parent)
    assert _rows(response) == {str(world.awaiting.pk)}
    assert reverse("billing:pay", args=[world.awaiting.pk]) in response.content.decode()


def test_another_student_sees_only_their_own(web_client, world):
    response = _page(web_client, world, world.other_student)
    assert _rows(response) == {str(world.held.pk)}
    assert "INV-000001" not in response.content.decode()


def test_a_tutor_sees_their_earnings_with_the_breakdown_but_no_receipts(web_client, world):
    response = _page(web_client, world, world.tutor)
    assert _rows(response) == {str(world.paid.pk), str(world.held.pk)}
    html = response.content.decode()
    assert "Your earnings" in html
    assert 'data-testid="breakdown-tutor">GBP 28.00<' in html
    assert 'data-testid="breakdown-agency">GBP 8.00<' in html
    assert "INV-000001" not in html
    assert "Pay now" not in html


def test_another_tutor_sees_only_their_own_classes(web_client, world):
    response = _page(web_client, world, world.other_tutor)
    assert _rows(response) == {str(world.awaiting.pk)}
    assert "Pay now" not in response.content.decode()


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_the_agency_sees_every_payment_with_transfers(web_client, world, who):
    response = _page(web_client, world, getattr(world, who))
    assert _rows(response) == {str(world.paid.pk), str(world.held.pk), str(world.awaiting.pk)}
    html = response.content.decode()
    assert "Tutor: GBP 28.00 (sent)" in html
    assert "INV-000001" in html


def test_the_agency_filters_by_status_tutor_and_student(web_client, world):
    owner = world.owner
    assert _rows(_page(web_client, world, owner, "?status=held")) == {str(world.held.pk)}
    assert _rows(_page(web_client, world, owner, f"?tutor={world.uma.pk}")) == {
        str(world.awaiting.pk)
    }
    assert _rows(_page(web_client, world, owner, f"?student={world.sam.pk}")) == {
        str(world.paid.pk)
    }


def test_the_date_filter_uses_the_day_the_payment_was_made(web_client, world):
    # payment_in pays two days ago; the payment awaiting payment was opened now.
    today = timezone.now().astimezone(viewer_zone(world.owner)).date()
    yesterday = (today - dt.timedelta(days=1)).isoformat()
    response = _page(web_client, world, world.owner, f"?date_from={yesterday}")
    assert _rows(response) == {str(world.awaiting.pk)}
    response = _page(web_client, world, world.owner, f"?date_to={yesterday}")
    assert _rows(response) == {str(world.paid.pk), str(world.held.pk)}


def test_bad_filters_are_a_400_with_the_reason(web_client, world):
    response = _page(web_client, world, world.owner, "?date_from=2030-05-02&date_to=2030-05-01")
    assert response.status_code == 400
    assert "The last day cannot be before the first." in response.content.decode()
    assert _page(web_client, world, world.owner, "?status=stolen").status_code == 400


def test_htmx_gets_only_the_results(web_client, world):
    client = web_client(world.tenant, world.owner.user)
    response = client.get(URL + "?status=released", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html
    assert _rows(response) == {str(world.paid.pk)}


def test_someone_of_another_tenant_is_refused(web_client, world, globex, member):
    outsider = member(globex, "owner")
    response = web_client(world.tenant, outsider.user).get(URL)
    assert response.status_code in (302, 403)
    own = web_client(globex, outsider.user).get(URL)
    assert own.status_code == 200
    assert _rows(own) == set()


def test_the_page_needs_a_login(web_client, world):
    response = web_client(world.tenant).get(URL)
    assert response.status_code == 302
