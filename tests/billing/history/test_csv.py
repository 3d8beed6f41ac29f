"""The CSV export: the list's filters and audience, columns per role, formula-safe."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import tenant_context

from crm.models import StudentProfile

pytestmark = pytest.mark.django_db

URL = "/billing/payments.csv"


def _csv(web_client, world, membership, query="") -> list[dict[str, str]]:
    response = web_client(world.tenant, membership.user).get(URL + query)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_student_gets_their_payments_without_the_split(web_client, world):
    rows = _csv(web_client, world, world.student)
    assert [row["payment_id"] for row in rows] == [str(world.paid.pk)]
    row = rows[0]
    assert row["price"] == "40.00"
    assert row["refunded"] == "10.00"
    assert row["invoices"] == "INV-000001"
    assert row["refund_reasons"] == "10.00: Cancelled late by the student"
    assert not {"platform_fee", "agency_commission", "tutor_earnings", "my_earnings"} & set(row)


def test_a_tutor_gets_their_earnings(web_client, world):
    rows = _csv(web_client, world, world.tutor)
    assert {row["payment_id"] for row in rows} == {str(world.paid.pk), str(world.held.pk)}
    row = next(r for r in rows if r["payment_id"] == str(world.paid.pk))
    assert (row["platform_fee"], row["agency_commission"], row["my_earnings"]) == (
        "4.00",
        "8.00",
        "28.00",
    )
    assert "invoices" not in row
    assert "tutor" not in row


def test_the_agency_gets_everything(web_client, world):
    rows = _csv(web_client, world, world.owner)
    assert len(rows) == 3
    row = next(r for r in rows if r["payment_id"] == str(world.paid.pk))
    assert row["tutor_earnings"] == "28.00"
    assert row["transfers"] == "Tutor 28.00 (Sent)"
    assert row["payment_intent"] == world.paid.payment_intent_id


def test_the_export_follows_the_filters(web_client, world):
    rows = _csv(web_client, world, world.owner, f"?status=awaiting_payment&tutor={world.uma.pk}")
    assert [row["payment_id"] for row in rows] == [str(world.awaiting.pk)]
    response = web_client(world.tenant, world.owner.user).get(URL + "?date_from=nope")
    assert response.status_code == 400


def test_cells_a_spreadsheet_would_run_are_defused(web_client, world):
    with tenant_context(world.tenant):
        StudentProfile.objects.filter(pk=world.sam.pk).update(
            first_name='=HYPERLINK("http://evil.test","x")', last_name=""
        )
    rows = _csv(web_client, world, world.owner, f"?student={world.sam.pk}")
    assert rows[0]["student"] == '\'=HYPERLINK("http://evil.test","x")'


def test_someone_of_another_tenant_gets_nothing(web_client, world, globex, member):
    outsider = member(globex, "owner")
    response = web_client(world.tenant, outsider.user).get(URL)
    assert response.status_code in (302, 403)
