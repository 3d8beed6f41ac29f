"""Who may see a receipt: the payer, the student and their linked parents, the agency's
owners, admins and staff. The tutor and everyone else get a 404, on the pages and the API.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Membership
from billing.models import Invoice

pytestmark = pytest.mark.django_db

SEES = ["owner", "admin", "staff", "student", "parent"]
DOES_NOT_SEE = ["tutor", "other_tutor", "other_student", "other_parent"]


@pytest.fixture
def sams_receipt(paid, issue, people) -> Invoice:
    return issue.receipt(paid())


@pytest.fixture
def ottos_receipt(paid, issue, people) -> Invoice:
    return issue.receipt(paid(student=people.other_profile))


# The PDF page -----------------------------------------------------------------------------


@pytest.mark.parametrize("who", SEES)
def test_the_pdf_page_serves_the_receipt_to_those_who_may_see_it(
    acme, web_client, people, sams_receipt, who
):
    response = web_client(acme, getattr(people, who).user).get(
        f"/billing/invoices/{sams_receipt.pk}/pdf/"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="INV-000001.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content.startswith(b"%PDF-")


@pytest.mark.parametrize("who", DOES_NOT_SEE)
def test_the_pdf_page_is_not_found_for_anyone_else(acme, web_client, people, sams_receipt, who):
    response = web_client(acme, getattr(people, who).user).get(
        f"/billing/invoices/{sams_receipt.pk}/pdf/"
    )

    assert response.status_code == 404


def test_whoever_paid_sees_the_receipt_even_without_a_link_to_the_student(
    acme, web_client, api_client, paid, issue, people
):
    payment = paid()
    with tenant_context(acme):
        payment.payer = people.other_parent.user
        payment.save(update_fields=["payer"])
    receipt = issue.receipt(payment)

    page = web_client(acme, people.other_parent.user).get(f"/billing/invoices/{receipt.pk}/pdf/")
    listed = api_client(acme, people.other_parent.user).get("/api/v1/billing/invoices/")

    assert page.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == [receipt.pk]


def test_a_member_of_another_agency_finds_nothing_there(
    globex, member, web_client, api_client, sams_receipt
):
    outsider = member(globex, Membership.Role.OWNER)

    page = web_client(globex, outsider.user).get(f"/billing/invoices/{sams_receipt.pk}/pdf/")
    api = api_client(globex, outsider.user).get(f"/api/v1/billing/invoices/{sams_receipt.pk}/")

    assert (page.status_code, api.status_code) == (404, 404)


def test_another_agencys_token_is_refused_on_this_host(
    acme, globex, member, api_client, sams_receipt
):
    outsider = member(globex, Membership.Role.OWNER)
    client = api_client(globex, outsider.user)
    client.defaults["HTTP_HOST"] = api_client(acme).defaults["HTTP_HOST"]

    response = client.get(f"/api/v1/billing/invoices/{sams_receipt.pk}/pdf/")

    assert response.status_code == 401


def test_signed_out_visitors_are_sent_to_sign_in(acme, web_client, sams_receipt):
    response = web_client(acme).get(f"/billing/invoices/{sams_receipt.pk}/pdf/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# The list page ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("student", {"INV-000001"}),
        ("parent", {"INV-000001"}),
        ("other_student", {"INV-000002"}),
        ("tutor", set()),
        ("other_parent", set()),
        ("staff", {"INV-000001", "INV-000002"}),
    ],
)
def test_the_list_page_shows_each_person_their_documents(
    acme, web_client, people, sams_receipt, ottos_receipt, who, sees
):
    response = web_client(acme, getattr(people, who).user).get("/billing/invoices/")

    assert response.status_code == 200
    shown = {n for n in ("INV-000001", "INV-000002") if n in response.content.decode()}
    assert shown == sees
    if sees:
        assert "/billing/invoices/" in response.content.decode()
    else:
        assert "No receipts yet." in response.content.decode()


# The API ----------------------------------------------------------------------------------


def test_the_api_lists_the_callers_documents_newest_first(
    acme, api_client, paid, issue, people, sams_receipt, ottos_receipt
):
    note = issue.credit_note(issue.refund(sams_receipt.payment, amount=1000))

    body = api_client(acme, people.student.user).get("/api/v1/billing/invoices/").json()

    assert body["count"] == 2
    assert [row["number"] for row in body["results"]] == ["INV-000003", "INV-000001"]
    credit, receipt = body["results"]
    assert credit["kind"] == "credit_note"
    assert credit["receipt_number"] == "INV-000001"
    assert credit["refund_id"] == note.refund_id
    assert credit["amount_minor"] == 1000
    assert receipt["receipt_number"] == ""
    assert receipt["session_id"] == sams_receipt.payment.session_id
    assert receipt["pdf_url"] == f"/api/v1/billing/invoices/{sams_receipt.pk}/pdf/"


@pytest.mark.parametrize("who", SEES)
def test_the_api_serves_the_document_and_its_pdf_to_those_who_may_see_it(
    acme, api_client, people, sams_receipt, who
):
    client = api_client(acme, getattr(people, who).user)

    detail = client.get(f"/api/v1/billing/invoices/{sams_receipt.pk}/")
    pdf = client.get(f"/api/v1/billing/invoices/{sams_receipt.pk}/pdf/")

    assert detail.status_code == 200
    assert detail.json()["number"] == "INV-000001"
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == 'attachment; filename="INV-000001.pdf"'
    assert pdf.content.startswith(b"%PDF-")


@pytest.mark.parametrize("who", DOES_NOT_SEE)
def test_the_api_finds_nothing_for_anyone_else(acme, api_client, people, sams_receipt, who):
    client = api_client(acme, getattr(people, who).user)

    detail = client.get(f"/api/v1/billing/invoices/{sams_receipt.pk}/")
    pdf = client.get(f"/api/v1/billing/invoices/{sams_receipt.pk}/pdf/")
    listed = client.get("/api/v1/billing/invoices/")

    assert (detail.status_code, pdf.status_code) == (404, 404)
    assert listed.json()["count"] == 0


def test_times_come_back_in_the_zone_asked_for(acme, api_client, people, sams_receipt):
    client = api_client(acme, people.owner.user)

    tokyo = client.get(f"/api/v1/billing/invoices/{sams_receipt.pk}/", {"tz": "Asia/Tokyo"})
    bad = client.get(f"/api/v1/billing/invoices/{sams_receipt.pk}/", {"tz": "Mars/Olympus"})

    assert tokyo.json()["issued_at"].endswith("+09:00")
    assert bad.status_code == 400


@pytest.mark.parametrize("who", ["owner", "parent"])
def test_the_api_list_takes_a_fixed_number_of_queries(
    acme, api_client, paid, issue, people, sams_receipt, who
):
    client = api_client(acme, getattr(people, who).user)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/billing/invoices/")
        assert response.status_code == 200
        return len(captured)

    few = count()
    for _ in range(4):
        payment = paid()
        issue.receipt(payment)
        issue.credit_note(issue.refund(payment, amount=500))

    assert client.get("/api/v1/billing/invoices/").json()["count"] == 9
    assert count() == few
