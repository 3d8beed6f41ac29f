"""The bookings API: request, read, answer, cancel, move, no-show and the change record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from scheduling.models import Session
from tests.access.conftest import error_code, field_errors
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/scheduling/sessions/"


def url(session: Session | int, action: str = "") -> str:
    pk = session if isinstance(session, int) else session.pk
    return f"{SESSIONS}{pk}/{action}"


@pytest.fixture
def body(desk):
    """A request body for the desk's tutor, student and subject, three days ahead."""
    return {
        "tutor": desk.tutor.pk,
        "student": desk.student.pk,
        "subject": desk.subject.pk,
        "starts_at": at(72).isoformat(),
        "duration_minutes": 60,
        "message": "Algebra",
    }


def test_a_student_requests_a_session(api_client, desk, student, body):
    response = api_client(desk.tenant, student.user).post(SESSIONS, body, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    session = desk.reload(Session(pk=data["id"]))
    assert session.status == "requested"
    assert data["status"] == "requested"
    assert (data["price_minor"], data["currency"], data["duration_minutes"]) == (4000, "GBP", 60)
    assert data["tutor"] == {"id": desk.tutor.pk, "name": "Theo Turner"}
    assert data["student"] == {"id": desk.student.pk, "name": "Sam Student"}
    assert data["subject"]["id"] == desk.subject.pk
    assert data["request_message"] == "Algebra"
    assert dt.datetime.fromisoformat(data["starts_at"]) == at(72)
    assert dt.datetime.fromisoformat(data["expires_at"]) == session.expires_at
    assert data["changes"] == []
    assert data["policy"]["free_cancellation_hours"] == 24
    assert data["policy"]["max_reschedules"] == 2
    assert "tutor_notes" not in data
    assert "student_notes" not in data


def test_times_come_back_in_the_zone_asked_for(api_client, desk, student, body):
    client = api_client(desk.tenant, student.user)
    response = client.post(f"{SESSIONS}?tz=America/New_York", body, format="json")
    data = response.json()
    assert data["time_zone"] == "America/New_York"
    starts_at = dt.datetime.fromisoformat(data["starts_at"])
    assert starts_at == at(72)
    assert starts_at.utcoffset() in (dt.timedelta(hours=-5), dt.timedelta(hours=-4))


def test_times_come_back_in_the_users_zone_by_default(api_client, desk, tutor, student, body):
    session = desk.request(student)
    data = api_client(desk.tenant, tutor.user).get(url(session)).json()
    assert data["time_zone"] == "Europe/London"
    assert dt.datetime.fromisoformat(data["starts_at"]) == session.starts_at


def test_an_unknown_zone_is_a_field_error(api_client, desk, student):
    session = desk.request(student)
    response = api_client(desk.tenant, student.user).get(url(session), {"tz": "Mars/Olympus"})
    assert set(field_errors(response)) == {"tz"}


def test_a_time_without_an_offset_is_a_field_error(api_client, desk, student, body):
    body["starts_at"] = "2031-03-01T09:00:00"
    response = api_client(desk.tenant, student.user).post(SESSIONS, body, format="json")
    assert set(field_errors(response)) == {"starts_at"}


def test_missing_and_bad_fields_are_reported(api_client, desk, student):
    client = api_client(desk.tenant, student.user)
    assert set(field_errors(client.post(SESSIONS, {}, format="json"))) == {
        "tutor",
        "student",
        "subject",
        "starts_at",
        "duration_minutes",
    }
    bad = {
        "tutor": 999999,
        "student": 999999,
        "subject": 999999,
        "starts_at": at(-5).isoformat(),
        "duration_minutes": 60,
    }
    errors = field_errors(client.post(SESSIONS, bad, format="json"))
    assert set(errors) == {"tutor", "student", "subject", "starts_at"}
    bad = {**bad, "duration_minutes": 50, "level": "nursery"}
    assert {"duration_minutes", "level"} <= set(field_errors(client.post(SESSIONS, bad, "json")))


def test_a_slot_that_is_taken_is_a_field_error(api_client, desk, student, body, learner):
    desk.request(student)
    olive_member, olive = learner(first_name="Olive")
    response = api_client(desk.tenant, olive_member.user).post(
        SESSIONS, {**body, "student": olive.pk}, format="json"
    )
    assert set(field_errors(response)) == {"starts_at"}


def test_a_tutor_cannot_request(api_client, desk, tutor, body):
    response = api_client(desk.tenant, tutor.user).post(SESSIONS, body, format="json")
    assert (response.status_code, error_code(response)) == (403, "permission_denied")


def test_a_child_without_consent_is_refused(api_client, desk, parent, child, body):
    with tenant_context(desk.tenant):
        crm.consent_withdraw(student=child, actor=parent)
    response = api_client(desk.tenant, parent.user).post(
        SESSIONS, {**body, "student": child.pk}, format="json"
    )
    assert (response.status_code, error_code(response)) == (403, "consent_required")


def test_a_parent_books_for_their_consented_child(api_client, desk, parent, child, body):
    response = api_client(desk.tenant, parent.user).post(
        SESSIONS, {**body, "student": child.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["student"]["id"] == child.pk


@pytest.mark.parametrize("who", ["other_student", "other_parent", "other_tutor"])
def test_a_session_is_not_found_by_people_outside_it(api_client, desk, student, member, who):
    session = desk.request(student)
    client = api_client(desk.tenant, member(desk.tenant, who.removeprefix("other_")).user)
    for action in ("", "changes/"):
        assert client.get(url(session, action)).status_code == 404
    for action in ("accept/", "decline/", "cancel/", "reschedule/", "no-show/"):
        response = client.post(url(session, action), {"reason": "x"}, format="json")
        assert (response.status_code, error_code(response)) == (404, "not_found")
    assert desk.reload(session).status == "requested"


def test_globex_tokens_find_nothing_of_acme(api_client, desk, student, globex, body):
    session = desk.request(student)
    outsider = Membership.objects.get(tenant=globex, role=Membership.Role.OWNER)
    client = api_client(globex, outsider.user)
    for action in ("", "changes/"):
        assert client.get(url(session, action)).status_code == 404
    for action in ("accept/", "decline/", "cancel/", "reschedule/", "no-show/"):
        response = client.post(
            url(session, action),
            {"reason": "x", "starts_at": at(96).isoformat(), "absent": "tutor"},
            format="json",
        )
        assert response.status_code == 404
    response = client.post(SESSIONS, body, format="json")
    assert response.status_code == 400
    # Subjects are seeded alike in every agency; tutors and students are not.
    assert {"tutor", "student"} <= set(field_errors(response))
    assert desk.reload(session).status == "requested"


def test_the_tutor_accepts_and_declines(api_client, desk, tutor, student, learner):
    client = api_client(desk.tenant, tutor.user)
    first = desk.request(student)
    response = client.post(url(first, "accept/"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "confirmed"
    assert response.json()["expires_at"] is None

    olive_member, olive = learner(first_name="Olive")
    second = desk.request(olive_member, student=olive, starts_at=at(96))
    assert set(field_errors(client.post(url(second, "decline/"), {}, format="json"))) == {"reason"}
    assert set(field_errors(client.post(url(second, "decline/"), {"reason": " "}, "json"))) == {
        "reason"
    }
    response = client.post(url(second, "decline/"), {"reason": "Full"}, format="json")
    assert (response.json()["status"], response.json()["decline_reason"]) == ("declined", "Full")
    response = client.post(url(second, "accept/"))
    assert (response.status_code, error_code(response)) == (409, "not_requested")


def test_a_late_answer_is_refused_and_the_request_expired(api_client, desk, tutor, student):
    session = desk.request(student)
    desk.update(session, expires_at=at(-1))
    response = api_client(desk.tenant, tutor.user).post(url(session, "accept/"))
    assert (response.status_code, error_code(response)) == (409, "request_expired")
    assert desk.reload(session).status == "expired"


def test_the_student_cannot_accept(api_client, desk, student):
    session = desk.request(student)
    response = api_client(desk.tenant, student.user).post(url(session, "accept/"))
    assert (response.status_code, error_code(response)) == (403, "permission_denied")


def test_a_late_cancellation_shows_its_outcome(api_client, desk, student):
    session = desk.booked(at(5))
    client = api_client(desk.tenant, student.user)
    response = client.post(url(session, "cancel/"), {"reason": "Sick"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "cancelled"
    [change] = data["changes"]
    assert change["kind"] == "cancellation"
    assert change["party"] == "student"
    assert change["actor"]["id"] == student.user.pk
    assert (change["fee_minor"], change["refund_minor"], change["fee_percent"]) == (2000, 2000, 50)
    assert change["within_free_window"] is False
    assert change["reason"] == "Sick"
    response = client.post(url(session, "cancel/"), {}, format="json")
    assert (response.status_code, error_code(response)) == (409, "not_active")


def test_a_move_and_its_record(api_client, desk, student):
    session = desk.booked(at(72))
    client = api_client(desk.tenant, student.user)
    response = client.post(
        url(session, "reschedule/"),
        {"starts_at": at(96).isoformat(), "duration_minutes": 90},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert dt.datetime.fromisoformat(data["starts_at"]) == at(96)
    assert (data["duration_minutes"], data["price_minor"], data["reschedule_count"]) == (
        90,
        6000,
        1,
    )
    [change] = client.get(url(session, "changes/")).json()["results"]
    assert change["kind"] == "reschedule"
    assert dt.datetime.fromisoformat(change["new_starts_at"]) == at(96)
    assert dt.datetime.fromisoformat(change["previous_starts_at"]) == at(72)


def test_a_move_needs_an_aware_free_time(api_client, desk, student):
    session = desk.booked(at(72))
    client = api_client(desk.tenant, student.user)
    for starts_at in ("2031-03-01T09:00:00", "later", at(72.25).isoformat()):
        response = client.post(url(session, "reschedule/"), {"starts_at": starts_at}, "json")
        assert set(field_errors(response)) == {"starts_at"}
    response = client.post(url(session, "reschedule/"), {}, format="json")
    assert set(field_errors(response)) == {"starts_at"}


def test_a_student_beyond_the_limit_is_told_why(api_client, desk, student):
    session = desk.booked(at(72))
    desk.update(session, reschedule_count=2)
    response = api_client(desk.tenant, student.user).post(
        url(session, "reschedule/"), {"starts_at": at(96).isoformat()}, format="json"
    )
    assert (response.status_code, error_code(response)) == (403, "reschedule_limit_reached")
    assert "moved 2 times" in response.json()["error"]["message"]


def test_a_no_show_and_its_fee(api_client, desk, tutor):
    session = desk.booked(at(-1))
    client = api_client(desk.tenant, tutor.user)
    assert set(field_errors(client.post(url(session, "no-show/"), {"absent": "x"}, "json"))) == {
        "absent"
    }
    response = client.post(url(session, "no-show/"), {"absent": "student"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "no_show"
    assert [(c["kind"], c["party"], c["fee_minor"]) for c in data["changes"]] == [
        ("no_show", "student", 4000)
    ]


def test_the_change_list_pages(api_client, desk, tutor):
    session = desk.booked(at(72))
    for hours in (73, 74, 75):
        desk.reschedule(tutor, session, at(hours))
    client = api_client(desk.tenant, tutor.user)
    page = client.get(url(session, "changes/"), {"page_size": 2}).json()
    assert page["count"] == 3
    assert len(page["results"]) == 2
    assert page["next"] is not None


def test_the_change_list_costs_the_same_queries_however_long(api_client, desk, tutor):
    session = desk.booked(at(72))
    client = api_client(desk.tenant, tutor.user)
    desk.reschedule(tutor, session, at(73))
    with CaptureQueriesContext(connection) as one:
        assert client.get(url(session, "changes/")).json()["count"] == 1
    for hours in (74, 75, 76):
        desk.reschedule(tutor, session, at(hours))
    with CaptureQueriesContext(connection) as four:
        assert client.get(url(session, "changes/")).json()["count"] == 4
    assert len(four) == len(one)


def test_the_collection_takes_requests_and_still_answers_the_search(
    api_client, desk, student, body
):
    client = api_client(desk.tenant, student.user)
    assert client.post(SESSIONS, body, format="json").status_code == 201
    response = client.get(SESSIONS)
    assert response.status_code == 200
    assert response.json()["count"] == 1
