"""The payment history API: the same audiences as the pages, a fixed query count, and
each payment's breakdown, refunds, receipts and (for the agency) transfers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

LIST = "/api/v1/billing/payments/"


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _client(api_client, world, membership):
    return api_client(world.tenant, membership.user)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("student", {"paid"}),
        ("other_student", {"held"}),
        ("parent", {"awaiting"}),
        ("tutor", {"paid", "held"}),
        ("other_tutor", {"awaiting"}),
        ("owner", {"paid", "held", "awaiting"}),
        ("staff", {"paid", "held", "awaiting"}),
    ],
)
def test_each_viewer_lists_the_payments_of_the_classes_they_see(api_client, world, who, sees):
    response = _client(api_client, world, getattr(world, who)).get(LIST)
    assert _ids(response) == {getattr(world, name).pk for name in sees}


def test_the_student_side_gets_no_split_but_refunds_receipts_and_where_to_pay(api_client, world):
    body = _client(api_client, world, world.student).get(LIST).json()["results"][0]
    assert body["breakdown"] is None
    assert body["transfers"] is None
    assert body["payout_route"] is None
    assert body["refunds"][0]["reason"] == "Cancelled late by the student"
    assert body["invoices"][0]["number"] == "INV-000001"
    assert body["invoices"][0]["pdf_url"] == reverse(
        "api:billing_invoice_pdf", kwargs={"pk": world.receipt.pk}
    )
    assert body["pay_url"] is None
    parent = _client(api_client, world, world.parent).get(LIST).json()["results"][0]
    assert parent["pay_url"] == reverse("billing:pay", kwargs={"pk": world.awaiting.pk})


def test_a_tutor_gets_the_breakdown_of_their_earnings_but_not_the_receipts(api_client, world):
    response = _client(api_client, world, world.tutor).get(f"{LIST}{world.paid.pk}/")
    body = response.json()
    assert body["breakdown"] == {
        "price_minor": 4000,
        "platform_fee_minor": 400,
        "platform_fee_basis_points": 1000,
        "agency_commission_minor": 800,
        "tutor_earnings_minor": 2800,
        "refunded_minor": 1000,
        "net_minor": 3000,
    }
    assert body["invoices"] == []
    assert body["transfers"] is None
    assert body["refunds"][0]["amount_minor"] == 1000


def test_the_agency_gets_transfers_too(api_client, world):
    body = _client(api_client, world, world.owner).get(f"{LIST}{world.paid.pk}/").json()
    assert body["transfers"][0]["stripe_id"] == "tr_theo"
    assert body["payout_route"] == "tutors"
    assert body["breakdown"]["agency_commission_minor"] == 800


@pytest.mark.parametrize("who", ["other_student", "other_tutor", "parent"])
def test_a_payment_someone_may_not_see_is_not_found(api_client, world, who):
    response = _client(api_client, world, getattr(world, who)).get(f"{LIST}{world.paid.pk}/")
    assert response.status_code == 404


def test_another_tenant_sees_none_of_it(api_client, world, globex, member):
    outsider = member(globex, "owner")
    on_acme = api_client(world.tenant, outsider.user).get(LIST)
    assert on_acme.status_code in (401, 403)
    home = api_client(globex, outsider.user)
    assert _ids(home.get(LIST)) == set()
    assert home.get(f"{LIST}{world.paid.pk}/").status_code == 404


def test_filters_narrow_the_list(api_client, world):
    client = _client(api_client, world, world.owner)
    assert _ids(client.get(LIST, {"status": "held"})) == {world.held.pk}
    assert _ids(client.get(LIST, {"tutor": world.uma.pk})) == {world.awaiting.pk}
    assert _ids(client.get(LIST, {"student": world.olive.pk})) == {world.held.pk}
    assert _ids(client.get(LIST, {"date_to": "2000-01-01"})) == set()


def test_bad_filters_are_field_errors(api_client, world):
    client = _client(api_client, world, world.owner)
    response = client.get(LIST, {"status": "stolen", "date_from": "x", "tz": "Mars/Base"})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"status", "date_from", "tz"}


def test_the_list_costs_the_same_queries_whatever_the_page_size(
    api_client, world, booked, payment_in, django_assert_num_queries
):
    start = world.paid.session.starts_at
    for day in range(3, 9):
        session = booked(world.theo, world.sam, start + dt.timedelta(days=day))
        payment_in(session, "released")
    client = _client(api_client, world, world.owner)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(LIST, {"page_size": 1}).json()["results"]) == 1
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(client.get(LIST, {"page_size": 50}).json()["results"]) == 9
