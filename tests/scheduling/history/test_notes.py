"""Notes: each side's private notes stay private; summary and homework are shared."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from scheduling.models import Session
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db


def notes_url(session) -> str:
    return f"/api/v1/scheduling/sessions/{session.pk}/notes/"


@pytest.fixture
def written(acme, cast):
    with tenant_context(acme):
        Session.objects.filter(pk=cast.session.pk).update(
            tutor_notes="Tutor only", student_notes="Student only", summary="Sum", homework="HW"
        )
    return cast


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (
            "tutor",
            {"tutor_notes": "Tutor only", "editable": ["tutor_notes", "summary", "homework"]},
        ),
        ("student", {"student_notes": "Student only", "editable": ["student_notes"]}),
        ("parent", {"student_notes": "Student only", "editable": ["student_notes"]}),
        ("staff", {"editable": ["summary", "homework"]}),
        ("owner", {"editable": ["summary", "homework"]}),
    ],
)
def test_each_viewer_sees_only_their_sides_private_notes(api_client, acme, written, who, expected):
    response = api_client(acme, getattr(written, who).user).get(notes_url(written.session))
    assert response.status_code == 200
    assert response.json() == {
        "session_id": written.session.pk,
        "summary": "Sum",
        "homework": "HW",
        **expected,
    }


@pytest.mark.parametrize("who", ["other_tutor", "outsider"])
def test_people_off_the_session_do_not_find_it(api_client, acme, written, who):
    client = api_client(acme, getattr(written, who).user)
    assert client.get(notes_url(written.session)).status_code == 404
    response = client.patch(notes_url(written.session), {"summary": "x"}, format="json")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_the_tutor_writes_private_notes_summary_and_homework(api_client, acme, written):
    client = api_client(acme, written.tutor.user)
    response = client.patch(
        notes_url(written.session),
        {"tutor_notes": "  Went well  ", "summary": "Fractions", "homework": "Page 4"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["tutor_notes"], body["summary"], body["homework"]) == (
        "Went well",
        "Fractions",
        "Page 4",
    )
    with tenant_context(acme):
        session = Session.objects.get(pk=written.session.pk)
    assert session.student_notes == "Student only"
    entry = AuditEntry.objects.get(action="scheduling.session.notes_updated")
    assert entry.data == {"fields": ["homework", "summary", "tutor_notes"]}
    assert "Went well" not in str(entry.data)


def test_the_student_side_writes_its_private_notes(api_client, acme, written):
    response = api_client(acme, written.parent.user).patch(
        notes_url(written.session), {"student_notes": "Ask about exams"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["student_notes"] == "Ask about exams"
    tutor_view = api_client(acme, written.tutor.user).get(notes_url(written.session)).json()
    assert "student_notes" not in tutor_view


@pytest.mark.parametrize(
    ("who", "fields"),
    [
        ("staff", {"tutor_notes": "peek"}),
        ("owner", {"student_notes": "peek"}),
        ("student", {"summary": "I did great"}),
        ("student", {"tutor_notes": "x"}),
        ("tutor", {"student_notes": "x"}),
        ("parent", {"homework": "none"}),
    ],
)
def test_nobody_writes_the_other_sides_fields(api_client, acme, written, who, fields):
    response = api_client(acme, getattr(written, who).user).patch(
        notes_url(written.session), fields, format="json"
    )
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    with tenant_context(acme):
        session = Session.objects.get(pk=written.session.pk)
    assert (session.tutor_notes, session.student_notes, session.summary, session.homework) == (
        "Tutor only",
        "Student only",
        "Sum",
        "HW",
    )


def test_bad_notes_are_field_errors(api_client, acme, written):
    client = api_client(acme, written.tutor.user)
    response = client.patch(
        notes_url(written.session),
        {"tutor_notes": "x" * 10_001, "summary": 5, "homework": None},
        format="json",
    )
    assert set(field_errors(response)) == {"tutor_notes", "homework"}


def test_acmes_session_is_not_reachable_from_globex(api_client, acme, globex, written):
    from accounts.models import Membership

    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    on_globex = api_client(globex, globex_owner.user)
    assert on_globex.get(notes_url(written.session)).status_code == 404
    carried = api_client(globex, globex_owner.user)
    carried.defaults["HTTP_HOST"] = "acme.localhost"
    response = carried.get(notes_url(written.session))
    assert response.status_code == 401
    assert error_code(response) == "wrong_tenant"
