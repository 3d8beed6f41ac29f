"""CSV export: the import's columns, formula-safe, tenant-scoped, and it imports again."""

from __future__ import annotations

import csv
import io

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services
from crm.csv_io import STUDENT_COLUMNS, TUTOR_COLUMNS, cell_escape, cell_unescape
from crm.models import StudentProfile, TutorProfile, TutorSubject
from tests.crm.agency.conftest import TUTOR_HEADER, csv_of, csv_upload, tutor_row

pytestmark = pytest.mark.django_db

STUDENTS = "/api/v1/crm/export/students.csv"
TUTORS = "/api/v1/crm/export/tutors.csv"


def read_csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def people(acme, owner, subject_in, tutor, profile_of):
    """A child with two parents and a tutor assigned, an adult, and a nasty name."""
    maths = subject_in(acme, "mathematics")
    profile_of(tutor, headline='=HYPERLINK("http://evil")', languages=["en"])
    with tenant_context(acme):
        child = services.student_create(
            actor=owner,
            first_name="Cara",
            last_name="Child",
            date_of_birth="2013-02-03",
            grade_level="Year 7",
            subject_ids=[maths.pk],
            learning_style="visual",
            parents=[
                {"email": "mum@example.test", "first_name": "Mo", "relationship": "mother"},
                {"email": "dad@example.test", "relationship": "father"},
            ],
        )
        child.assignments.create(tutor=tutor.user, assigned_by=owner.user)
        services.student_create(
            actor=owner,
            first_name="-2+3",
            last_name="@Adult",
            email="adult@example.test",
            date_of_birth="1990-01-01",
        )
        TutorSubject.objects.create(
            profile=TutorProfile.objects.get(user=tutor.user),
            subject=maths,
            level="secondary",
            proficiency=5,
            hourly_rate_minor=4000,
            currency="USD",
        )
    return {"child": child}


def test_the_student_export_has_the_import_columns_and_summaries(as_role, people):
    rows = read_csv(as_role("staff").get(STUDENTS))
    assert list(rows[0]) == [*STUDENT_COLUMNS, "parents", "tutors"]
    child = next(r for r in rows if r["first_name"] == "Cara")
    assert child["date_of_birth"] == "2013-02-03"
    assert child["subjects"] == "mathematics"
    assert (child["parent_email"], child["parent_first_name"], child["parent_relationship"]) == (
        "mum@example.test",
        "Mo",
        "mother",
    )
    assert child["parents"] == "mum@example.test; dad@example.test"
    assert child["tutors"] == "Theo Turner"


def test_cells_a_spreadsheet_would_run_are_defused(as_role, people):
    adult = next(r for r in read_csv(as_role("owner").get(STUDENTS)) if r["email"])
    assert (adult["first_name"], adult["last_name"]) == ("'-2+3", "'@Adult")
    tutor = read_csv(as_role("owner").get(TUTORS))[0]
    assert tutor["headline"] == '\'=HYPERLINK("http://evil")'


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain", "a=b", ""])
def test_escaping_round_trips(text):
    escaped = cell_escape(text)
    assert escaped[:1] not in ("=", "+", "-", "@", "\t")
    assert cell_unescape(escaped) == text


def test_the_tutor_export_has_the_import_columns_and_invited_tutors(
    as_role, people, invited_tutor, acme
):
    invited_tutor(acme, email="ivy@example.test", headline="Newcomer")
    rows = read_csv(as_role("admin").get(TUTORS))
    assert list(rows[0]) == list(TUTOR_COLUMNS)
    by_email = {r["email"]: r for r in rows}
    assert by_email["tutor@acme.test"]["subjects"] == "mathematics:secondary:5:4000"
    assert by_email["tutor@acme.test"]["languages"] == "en"
    assert by_email["ivy@example.test"]["first_name"] == "Ivy"


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_agency_staff_export(as_role, people, role):
    client = as_role(role)
    assert client.get(STUDENTS).status_code == 403
    assert client.get(TUTORS).status_code == 403


def test_an_export_holds_only_its_own_tenants_people(api_client, people, globex):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = api_client(globex, globex_owner.user)
    assert read_csv(client.get(STUDENTS)) == []
    assert read_csv(client.get(TUTORS)) == []


@pytest.mark.usefixtures("people")
def test_an_export_imports_unchanged_into_an_empty_agency(as_role, api_client, globex):
    acme_owner = as_role("owner")
    assert (
        acme_owner.post(
            "/api/v1/crm/import/tutors/",
            {"file": csv_upload(csv_of(TUTOR_HEADER, tutor_row(1, headline="-minus first")))},
            format="multipart",
        ).status_code
        == 201
    )
    students = b"".join(acme_owner.get(STUDENTS).streaming_content)
    tutors = b"".join(acme_owner.get(TUTORS).streaming_content)

    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = api_client(globex, globex_owner.user)
    for url, content in (("students", students), ("tutors", tutors)):
        response = client.post(
            f"/api/v1/crm/import/{url}/", {"file": csv_upload(content)}, format="multipart"
        )
        assert response.status_code == 201, response.content

    assert b"".join(client.get(STUDENTS).streaming_content).replace(
        b"; dad@example.test", b""
    ).replace(b"Theo Turner", b"") == students.replace(b"; dad@example.test", b"").replace(
        b"Theo Turner", b""
    )
    assert b"".join(client.get(TUTORS).streaming_content) == tutors
    with tenant_context(globex):
        assert StudentProfile.objects.count() == 2
        assert TutorProfile.objects.filter(user__isnull=True).count() == 2
