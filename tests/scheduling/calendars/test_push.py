"""Pushing sessions to connected calendars: confirmed sessions appear, moves move them,
cancellations remove them, for the tutor, the student and linked parents alike.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from scheduling.calendars import tasks
from scheduling.calendars.google import event_id_for
from scheduling.models import ExternalEvent, Session
from tests.scheduling.calendars.conftest import SESSION_START

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
MOVED = SESSION_START + dt.timedelta(days=2, hours=3)  # Wednesday 13:00 in London


def _mappings(tenant):
    with tenant_context(tenant):
        return list(ExternalEvent.objects.order_by("pk"))


def test_confirming_a_session_adds_it_to_the_tutors_google_calendar(
    fake, connected, tutor, lesson, announce
):
    connection = connected(tutor, "google")
    with tenant_context(tutor.tenant):
        Session.objects.filter(pk=lesson.pk).update(
            tutor_notes="Tutor's private note", student_notes="Student's private note"
        )
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)

    [insert] = fake.calls("POST", "/google/calendar/v3/calendars/primary/events")
    body = insert.json
    assert body["summary"] == "Mathematics with Sam Student"
    assert body["start"] == {"dateTime": "2031-06-02T10:00:00+01:00", "timeZone": "Europe/London"}
    assert body["end"] == {"dateTime": "2031-06-02T11:00:00+01:00", "timeZone": "Europe/London"}
    page = f"http://acme.localhost/scheduling/sessions/{lesson.pk}/"
    assert page in body["description"]
    assert body["source"] == {"title": "EduConnect", "url": page}
    assert "private note" not in str(body)
    assert body["id"] == event_id_for(f"acme:{lesson.pk}:{connection.pk}")
    [mapping] = _mappings(tutor.tenant)
    assert (mapping.connection_id, mapping.session_id) == (connection.pk, lesson.pk)
    assert mapping.event_id == body["id"]
    assert mapping.synced_starts_at == SESSION_START


def test_a_request_is_not_pushed(fake, connected, tutor, lesson, announce):
    connected(tutor, "google")
    announce(lesson, "requested")
    assert fake.requests == []


def test_moving_a_confirmed_session_moves_its_event(fake, connected, tutor, lesson, announce):
    connected(tutor, "google")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    [mapping] = _mappings(tutor.tenant)

    announce(lesson, "moved", starts_at=MOVED, ends_at=MOVED + HOUR)

    [patch] = fake.calls("PATCH", f"/events/{mapping.event_id}")
    assert patch.json["start"] == {
        "dateTime": "2031-06-04T13:00:00+01:00",
        "timeZone": "Europe/London",
    }
    [moved] = _mappings(tutor.tenant)
    assert (moved.event_id, moved.synced_starts_at) == (mapping.event_id, MOVED)
    assert fake.events["google"][mapping.event_id]["end"]["dateTime"] == "2031-06-04T14:00:00+01:00"


def test_an_announcement_that_changes_no_time_sends_nothing(
    fake, connected, tutor, lesson, announce
):
    connected(tutor, "google")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    sent = len(fake.requests)
    announce(lesson, "updated", summary="We covered fractions.")
    announce(lesson, "confirmed")  # delivered twice
    assert len(fake.requests) == sent


@pytest.mark.parametrize("change", ["cancelled", "declined", "expired"])
def test_a_released_session_leaves_the_calendar(fake, connected, tutor, lesson, announce, change):
    connected(tutor, "google")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    [mapping] = _mappings(tutor.tenant)

    announce(lesson, change, status=change)

    assert len(fake.calls("DELETE", f"/events/{mapping.event_id}")) == 1
    assert fake.events["google"] == {}
    assert _mappings(tutor.tenant) == []


def test_a_completed_session_keeps_its_event(fake, connected, tutor, lesson, announce):
    connected(tutor, "google")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    announce(lesson, "completed", status=Session.Status.COMPLETED)
    assert not fake.calls("DELETE", "/events/")
    assert len(fake.events["google"]) == 1


def test_cancelling_after_the_person_deleted_the_event_is_fine(
    fake, connected, tutor, lesson, announce
):
    connection = connected(tutor, "google")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    [mapping] = _mappings(tutor.tenant)
    fake.deleted["google"][mapping.event_id] = fake.events["google"].pop(mapping.event_id)

    announce(lesson, "cancelled", status=Session.Status.CANCELLED)

    assert _mappings(tutor.tenant) == []
    with tenant_context(tutor.tenant):
        connection.refresh_from_db()
    assert (connection.status, connection.last_error) == ("active", "")


def test_moving_a_session_whose_event_was_deleted_for_good_recreates_it(
    fake, connected, tutor, lesson, announce
):
    connected(tutor, "google")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    [mapping] = _mappings(tutor.tenant)
    del fake.events["google"][mapping.event_id]  # gone from the calendar entirely

    announce(lesson, "moved", starts_at=MOVED, ends_at=MOVED + HOUR)

    [recreated] = _mappings(tutor.tenant)
    assert recreated.event_id != mapping.event_id
    assert list(fake.events["google"]) == [recreated.event_id]
    assert fake.events["google"][recreated.event_id]["start"]["dateTime"].startswith("2031-06-04")


def test_a_retried_insert_adopts_the_event_its_first_attempt_made(
    fake, connected, tutor, lesson, announce
):
    connection = connected(tutor, "google")
    event_id = event_id_for(f"acme:{lesson.pk}:{connection.pk}")
    # The first attempt reached Google but its answer was lost on the way back.
    fake.events["google"][event_id] = {"id": event_id, "summary": "Mathematics"}

    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)

    assert list(fake.events["google"]) == [event_id]
    assert fake.events["google"][event_id]["start"]["timeZone"] == "Europe/London"
    assert [m.event_id for m in _mappings(tutor.tenant)] == [event_id]


def test_the_tutor_and_a_linked_parent_get_the_session_too(
    fake, connected, tutor, tutor_profile, parent, child, booked, announce
):
    tutors = connected(tutor, "google")
    parents = connected(parent, "microsoft")
    kids_lesson = booked(tutor_profile, child, SESSION_START, status=Session.Status.REQUESTED)

    announce(kids_lesson, "confirmed", status=Session.Status.CONFIRMED)

    [google] = fake.calls("POST", "/google/calendar/v3/calendars/primary/events")
    assert google.json["summary"] == "Mathematics with Kit Parent"
    [outlook] = fake.calls("POST", "/graph/v1.0/me/events")
    body = outlook.json
    assert body["subject"] == "Kit Parent: Mathematics with Theo Turner"
    assert body["start"] == {"dateTime": "2031-06-02T10:00:00", "timeZone": "Europe/London"}
    assert body["end"] == {"dateTime": "2031-06-02T11:00:00", "timeZone": "Europe/London"}
    assert body["body"]["contentType"] == "text"
    assert "http://acme.localhost/" in body["body"]["content"]
    assert body["transactionId"]
    assert sorted(m.connection_id for m in _mappings(tutor.tenant)) == [tutors.pk, parents.pk]


def test_an_adult_students_outlook_is_moved_and_cleared(fake, connected, student, lesson, announce):
    connected(student, "microsoft")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    [create] = fake.calls("POST", "/graph/v1.0/me/events")
    assert create.json["subject"] == "Mathematics with Theo Turner"
    [mapping] = _mappings(student.tenant)

    announce(lesson, "moved", starts_at=MOVED, ends_at=MOVED + HOUR)
    [patch] = fake.calls("PATCH", f"/graph/v1.0/me/events/{mapping.event_id}")
    assert patch.json["start"] == {"dateTime": "2031-06-04T13:00:00", "timeZone": "Europe/London"}
    assert "transactionId" not in patch.json

    announce(lesson, "cancelled", status=Session.Status.CANCELLED)
    assert fake.calls("DELETE", f"/graph/v1.0/me/events/{mapping.event_id}")
    assert fake.events["microsoft"] == {}


def test_outlook_recreates_an_event_the_person_deleted(fake, connected, student, lesson, announce):
    connected(student, "microsoft")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    [mapping] = _mappings(student.tenant)
    del fake.events["microsoft"][mapping.event_id]

    announce(lesson, "moved", starts_at=MOVED, ends_at=MOVED + HOUR)

    [recreated] = _mappings(student.tenant)
    assert recreated.event_id != mapping.event_id
    assert list(fake.events["microsoft"]) == [recreated.event_id]


def test_a_zone_outlook_does_not_know_is_sent_in_utc(fake, connected, student, lesson, announce):
    student.user.time_zone = "Pacific/Chatham"
    student.user.save(update_fields=["time_zone"])
    connected(student, "microsoft")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    [create] = fake.calls("POST", "/graph/v1.0/me/events")
    assert create.json["start"] == {"dateTime": "2031-06-02T09:00:00", "timeZone": "UTC"}


def test_a_rate_limit_is_retried_after_the_time_google_asked_for(
    fake, connected, tutor, lesson, announce, retries
):
    connected(tutor, "google")
    fake.fail("POST", "/calendars/primary/events", 429, headers={"Retry-After": "7"})

    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)

    assert retries == [7]
    assert len(fake.calls("POST", "/calendars/primary/events")) == 2
    assert len(fake.events["google"]) == 1
    assert len(_mappings(tutor.tenant)) == 1


def test_googles_403_rate_limit_and_a_server_error_are_retried_with_backoff(
    fake, connected, tutor, lesson, announce, retries
):
    connected(tutor, "google")
    limited = {"error": {"code": 403, "errors": [{"reason": "userRateLimitExceeded"}]}}
    fake.fail("POST", "/calendars/primary/events", 403, limited)
    fake.fail("POST", "/calendars/primary/events", 503)

    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)

    assert retries == [30, 60]
    assert len(fake.events["google"]) == 1


def test_graph_throttling_is_retried_after_its_retry_after(
    fake, connected, student, lesson, announce, retries
):
    connected(student, "microsoft")
    fake.fail("POST", "/graph/v1.0/me/events", 429, headers={"Retry-After": "3"})
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    assert retries == [3]
    assert len(fake.events["microsoft"]) == 1


def test_a_refusal_that_retrying_cannot_fix_is_recorded_not_retried(
    fake, connected, tutor, lesson, announce, retries
):
    connection = connected(tutor, "google")
    fake.fail("POST", "/calendars/primary/events", 400, {"error": {"message": "Bad event"}})
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    assert retries == []
    with tenant_context(tutor.tenant):
        connection.refresh_from_db()
    assert connection.status == "active"
    assert "Bad event" in connection.last_error


def test_a_parent_who_is_unlinked_loses_the_event_on_the_next_change(
    fake, connected, tutor_profile, parent, child, booked, announce
):
    connected(parent, "google")
    kids_lesson = booked(tutor_profile, child, SESSION_START, status=Session.Status.CONFIRMED)
    announce(kids_lesson, "confirmed")
    assert len(fake.events["google"]) == 1
    with tenant_context(parent.tenant):
        mapping = ExternalEvent.objects.get()
        child.parent_links.all().delete()
        tasks.calendar_event_push.delay(mapping.connection_id, kids_lesson.pk)
    assert fake.events["google"] == {}
