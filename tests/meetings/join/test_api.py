"""The meetings API: a class's meeting as the caller sees it, and joining it."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from crm.models import ParentLink
from tests.access.conftest import error_code, field_errors
from tests.meetings.fake_provider import FAKE_URL
from tests.meetings.join.conftest import MINUTE, soon

pytestmark = pytest.mark.django_db


def state_url(session) -> str:
    return f"/api/v1/meetings/sessions/{session.pk}/"


def join_url(session) -> str:
    return f"/api/v1/meetings/sessions/{session.pk}/join/"


def test_the_tutor_sees_they_can_join_now(api_client, acme, lesson, tutor):
    session = lesson()
    response = api_client(acme, tutor.user).get(state_url(session))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    opens = (session.starts_at - 15 * MINUTE).astimezone(dt.UTC)
    body = response.json()
    assert body == {
        "session": session.pk,
        "provider": "fake",
        "status": "ready",
        "time_zone": "Europe/London",
        "opens_at": body["opens_at"],
        "closes_at": body["closes_at"],
        "can_join": True,
        "role": "moderator",
        "refusal": None,
        "join_url": f"http://acme.localhost/meetings/sessions/{session.pk}/join/",
    }
    assert dt.datetime.fromisoformat(body["opens_at"]) == opens


def test_times_come_back_in_the_zone_asked_for(api_client, acme, lesson, student):
    session = lesson(dt.datetime(2031, 1, 14, 16, 0, tzinfo=dt.UTC), ready=False)
    response = api_client(acme, student.user).get(state_url(session), {"tz": "America/New_York"})
    body = response.json()
    assert body["time_zone"] == "America/New_York"
    assert body["opens_at"] == "2031-01-14T10:45:00-05:00"
    assert body["closes_at"] == "2031-01-14T12:15:00-05:00"
    assert (body["status"], body["can_join"]) == (None, False)
    assert body["refusal"] == {
        "code": "too_early",
        "message": (
            "This class opens for joining at Tue 14 Jan 2031, 10:45 (America/New_York), "
            "15 minutes before it starts."
        ),
    }


def test_an_unknown_zone_is_a_field_error(api_client, acme, lesson, tutor):
    session = lesson()
    response = api_client(acme, tutor.user).get(state_url(session), {"tz": "Mars/Olympus"})
    assert field_errors(response) == {"tz": ["Use an IANA time zone name, like Europe/London."]}


def test_joining_returns_where_to_go_and_until_when(api_client, acme, lesson, student, attendance):
    session = lesson()
    response = api_client(acme, student.user).post(join_url(session), {"tz": "UTC"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body == {
        "provider": "fake",
        "role": "participant",
        "redirect_url": f"{FAKE_URL}/j/fake-acme-{session.pk}?user={student.user_id}"
        "&role=participant",
        "embed": {},
        "expires_at": body["expires_at"],
    }
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires == session.ends_at + 15 * MINUTE
    assert attendance(session) == [(student.user_id, "student", 1)]


def test_joining_too_early_is_a_conflict_that_says_when(api_client, acme, lesson, tutor):
    session = lesson(soon(60))
    response = api_client(acme, tutor.user).post(join_url(session))
    assert response.status_code == 409
    assert error_code(response) == "too_early"
    assert "opens for joining at" in response.json()["error"]["message"]


def test_joining_a_meeting_being_set_up_says_when_to_try_again(api_client, acme, lesson, tutor):
    session = lesson(ready=False)
    response = api_client(acme, tutor.user).post(join_url(session))
    assert response.status_code == 409
    assert error_code(response) == "meeting_pending"
    assert response["Retry-After"] == "60"


def test_a_parent_the_agency_does_not_let_in_is_refused_with_the_reason(
    api_client, acme, lesson, parent, student_profile, attendance
):
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    session = lesson()
    client = api_client(acme, parent.user)
    state = client.get(state_url(session)).json()
    assert (state["can_join"], state["refusal"]["code"]) == (False, "permission_denied")
    response = client.post(join_url(session))
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert "Sam joins with their own account." in response.json()["error"]["message"]
    assert attendance(session) == []


def test_another_student_and_another_agency_do_not_find_the_class(
    api_client, acme, globex, member, learner, lesson, attendance
):
    other, _ = learner(first_name="Ola")
    outsider = member(globex, "owner")
    session = lesson()
    for client in (api_client(acme, other.user), api_client(globex, outsider.user)):
        for response in (client.get(state_url(session)), client.post(join_url(session))):
            assert response.status_code == 404
            assert error_code(response) == "not_found"
    assert attendance(session) == []
