"""The completion, attendance and consent API of one session."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import ParentLink
from meetings.models import Attendance
from scheduling.models import Session
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db


def url(session, action: str) -> str:
    return f"/api/v1/meetings/sessions/{session.pk}/{action}/"


ACTIONS = [
    ("post", "held"),
    ("post", "confirm"),
    ("post", "problem"),
    ("post", "recording-consent"),
    ("delete", "recording-consent"),
    ("get", "attendance"),
    ("get", "completion"),
]


def test_the_tutor_marks_held_and_the_student_confirms(api_client, acme, desk, cast):
    session = desk.session(-90)

    held = api_client(acme, cast.tutor.user).post(url(session, "held"))
    assert held.status_code == 200, held.content
    body = held.json()
    assert (body["state"], body["session_status"]) == ("held", "confirmed")
    assert body["held_marked_by"]["id"] == cast.tutor.user.pk
    assert body["actions"] == {"mark_held": False, "confirm": False, "report_problem": False}

    student = api_client(acme, cast.student.user)
    assert student.get(url(session, "completion")).json()["actions"] == {
        "mark_held": False,
        "confirm": True,
        "report_problem": True,
    }
    confirmed = student.post(url(session, "confirm"))
    assert confirmed.status_code == 200, confirmed.content
    body = confirmed.json()
    assert (body["state"], body["session_status"], body["confirmed_via"]) == (
        "completed",
        "completed",
        "student",
    )
    assert body["confirmed_by"] == {
        "id": cast.student.user.pk,
        "name": cast.student.user.get_full_name(),
    }

    again = student.post(url(session, "confirm"))
    assert (again.status_code, error_code(again)) == (409, "already_completed")


def test_wrong_roles_get_403(api_client, acme, desk, cast):
    session = desk.session(-90)
    refused = [
        (cast.student, "post", "held", {}),
        (cast.tutor, "post", "confirm", {}),
        (cast.tutor, "post", "problem", {"reason": "No."}),
        (cast.tutor, "post", "recording-consent", {}),
        (cast.staff, "delete", "recording-consent", {}),
    ]
    for person, method, action, data in refused:
        response = getattr(api_client(acme, person.user), method)(url(session, action), data)
        assert (response.status_code, error_code(response)) == (403, "permission_denied"), (
            person.role,
            action,
            response.content,
        )
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_wrong_states_get_409(api_client, acme, desk, cast):
    ahead = desk.session(60)
    cancelled = desk.session(-90, status="cancelled")
    student = api_client(acme, cast.student.user)
    for session, action, code in [
        (ahead, "confirm", "not_started"),
        (ahead, "problem", "not_started"),
        (cancelled, "confirm", "not_confirmed"),
    ]:
        response = student.post(url(session, action), {"reason": "Nobody came."})
        assert (response.status_code, error_code(response)) == (409, code)
    tutor = api_client(acme, cast.tutor.user)
    response = tutor.post(url(ahead, "held"))
    assert (response.status_code, error_code(response)) == (409, "not_started")


def test_a_problem_needs_a_reason(api_client, acme, desk, cast):
    session = desk.session(-90)
    client = api_client(acme, cast.parent.user)
    assert set(field_errors(client.post(url(session, "problem"), {}))) == {"reason"}
    assert set(field_errors(client.post(url(session, "problem"), {"reason": "  "}))) == {"reason"}
    long = client.post(url(session, "problem"), {"reason": "x" * 2001}, format="json")
    assert set(field_errors(long)) == {"reason"}

    reported = client.post(url(session, "problem"), {"reason": "The sound never worked."})
    assert reported.status_code == 200, reported.content
    body = reported.json()
    assert (body["state"], body["problem_reason"]) == ("problem", "The sound never worked.")
    assert body["problem_reported_by"]["id"] == cast.parent.user.pk


def test_attendance_lists_who_joined_in_the_viewers_zone(api_client, acme, desk, cast):
    session = desk.session(-90)
    desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)

    response = api_client(acme, cast.student.user).get(
        url(session, "attendance"), {"tz": "Asia/Tokyo"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["tutor_attended"], body["student_attended"]) == (True, False)
    [tutor] = body["attendees"]
    assert (tutor["user_id"], tutor["role"], tutor["via_platform"], tutor["via_provider"]) == (
        cast.tutor.user.pk,
        "tutor",
        True,
        False,
    )
    assert tutor["first_joined_at"].endswith("+09:00")
    bad = api_client(acme, cast.student.user).get(url(session, "attendance"), {"tz": "Mars/Base"})
    assert set(field_errors(bad)) == {"tz"}


def test_consent_is_given_and_withdrawn(api_client, acme, desk, cast):
    desk.policy(recordings_enabled=True)
    session = desk.session(120)
    client = api_client(acme, cast.student.user)

    given = client.post(url(session, "recording-consent"))
    assert given.status_code == 201, given.content
    assert (given.json()["given_by"]["id"], given.json()["withdrawn_at"]) == (
        cast.student.user.pk,
        None,
    )
    twice = client.post(url(session, "recording-consent"))
    assert (twice.status_code, error_code(twice)) == (409, "consent_already_given")

    withdrawn = client.delete(url(session, "recording-consent"))
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["id"] == given.json()["id"]
    assert withdrawn.json()["withdrawn_by"]["id"] == cast.student.user.pk
    nothing = client.delete(url(session, "recording-consent"))
    assert (nothing.status_code, error_code(nothing)) == (409, "no_consent")


def test_consent_is_refused_where_recordings_are_off(api_client, acme, desk, cast):
    response = api_client(acme, cast.student.user).post(url(desk.session(120), "recording-consent"))
    assert (response.status_code, error_code(response)) == (409, "recordings_disabled")


def test_any_linked_parent_of_a_child_gives_or_withdraws(api_client, desk, cast, child, member):
    desk.policy(recordings_enabled=True)
    session = desk.session(120, student=child)
    acme = desk.tenant
    # Kit has no account: a second linked parent consents, Pat withdraws.
    other = member(acme, Membership.Role.PARENT, first_name="Robin")
    with tenant_context(acme):
        ParentLink.objects.create(student=child, parent=other.user, email=other.user.email)
    assert api_client(acme, other.user).post(url(session, "recording-consent")).status_code == 201
    response = api_client(acme, cast.parent.user).delete(url(session, "recording-consent"))
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["other_student", "other_parent", "other_tutor"])
def test_people_who_cannot_see_the_session_get_404(api_client, acme, desk, cast, who):
    session = desk.session(-90)
    client = api_client(acme, getattr(cast, who).user)
    for method, action in ACTIONS:
        response = getattr(client, method)(url(session, action), {"reason": "x"})
        assert (response.status_code, error_code(response)) == (404, "not_found"), (method, action)
    assert desk.reload(session).status == Session.Status.CONFIRMED


@pytest.mark.parametrize("role", ["owner", "student"])
def test_another_agencys_people_reach_nothing_on_either_host(
    api_client, globex, desk, member, role
):
    acme = desk.tenant
    session = desk.session(-90)
    person = (
        Membership.objects.get(tenant=globex, role="owner").user
        if role == "owner"
        else member(globex, Membership.Role.STUDENT).user
    )
    on_acme = api_client(globex, person)
    on_acme.defaults["HTTP_HOST"] = api_client(acme).defaults["HTTP_HOST"]
    at_home = api_client(globex, person)
    for method, action in ACTIONS:
        response = getattr(on_acme, method)(url(session, action), {"reason": "x"})
        assert (response.status_code, error_code(response)) == (401, "wrong_tenant")
        response = getattr(at_home, method)(url(session, action), {"reason": "x"})
        assert (response.status_code, error_code(response)) == (404, "not_found")
    assert desk.reload(session).status == Session.Status.CONFIRMED
