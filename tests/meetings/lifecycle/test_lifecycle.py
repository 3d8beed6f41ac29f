"""A session's meeting follows the session: made when it is confirmed, moved with it,
removed when it is cancelled; every step after the commit, in a task."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from meetings.models import MeetingSettings, MeetingStatus
from meetings.routes import route_tenant
from meetings.services.lifecycle import meeting_details, meeting_sync, meeting_sync_queue
from scheduling.models import Session
from scheduling.services import bookings
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def test_accepting_a_booking_makes_a_ready_meeting_after_the_commit(
    acme, desk, student, tutor, meetings
):
    session = desk.request(student)

    with meetings.committed():
        bookings.session_accept(actor=tutor, session=session)
        assert meetings.of(session) is None  # nothing before the commit

    meeting = meetings.of(session)
    assert (meeting.provider, meeting.status) == ("fake", MeetingStatus.READY)
    assert meeting.external_id == f"fake-acme-{session.pk}"
    assert meeting.join_url.endswith(f"/j/acme-{session.pk}")
    assert (meeting.scheduled_start, meeting.scheduled_end) == (at(72), at(73))
    assert (meeting.attempts, meeting.last_error) == (0, "")
    assert meeting.last_synced_at is not None
    assert meetings.fake.calls == [("create", session.pk, at(72), at(73))]
    assert route_tenant(provider="fake", external_id=meeting.external_id) == acme


def test_an_instant_booking_makes_its_meeting_too(acme, desk, student, meetings):
    desk.schedule(instant_booking=True)
    with meetings.committed():
        session = bookings.session_request(
            actor=student,
            tutor=desk.tutor,
            student=desk.student,
            subject=desk.subject,
            starts_at=at(50),
            duration_minutes=60,
        )
    assert meetings.of(session).status == MeetingStatus.READY
    assert meetings.fake.operations() == ["create"]


def test_a_request_makes_no_meeting_and_declining_it_calls_nobody(desk, student, tutor, meetings):
    with meetings.committed():
        session = bookings.session_request(
            actor=student,
            tutor=desk.tutor,
            student=desk.student,
            subject=desk.subject,
            starts_at=at(72),
            duration_minutes=60,
        )
        bookings.session_decline(actor=tutor, session=session, reason="Busy")
    assert meetings.of(session) is None
    assert meetings.fake.calls == []


def test_rescheduling_moves_the_meeting(desk, student, tutor, meetings):
    session = desk.request(student)
    with meetings.committed():
        bookings.session_accept(actor=tutor, session=session)
    first = meetings.of(session)

    with meetings.committed():
        bookings.session_reschedule(actor=tutor, session=session, starts_at=at(96))

    moved = meetings.of(session)
    assert meetings.fake.calls[-1] == ("update", session.pk, at(96), at(97))
    assert (moved.scheduled_start, moved.scheduled_end) == (at(96), at(97))
    assert (moved.pk, moved.external_id, moved.status) == (
        first.pk,
        first.external_id,
        MeetingStatus.READY,
    )


def test_cancelling_removes_the_meeting_and_its_route(acme, desk, student, tutor, meetings):
    session = desk.request(student)
    with meetings.committed():
        bookings.session_accept(actor=tutor, session=session)
    external_id = meetings.of(session).external_id

    with meetings.committed():
        bookings.session_cancel(actor=student, session=session, reason="Ill")

    assert meetings.fake.operations() == ["create", "delete"]
    assert meetings.of(session).status == MeetingStatus.CANCELLED
    assert route_tenant(provider="fake", external_id=external_id) is None


def test_a_sync_runs_twice_without_harm(acme, desk, student, tutor, meetings):
    session = desk.request(student)
    with meetings.committed():
        bookings.session_accept(actor=tutor, session=session)
    with tenant_context(acme):
        assert meeting_sync(session_id=session.pk) == "unchanged"
        assert meeting_sync(session_id=session.pk) == "unchanged"
    assert meetings.fake.operations() == ["create"]


def test_a_late_sync_acts_on_the_session_as_it_is_now(acme, desk, student, tutor, meetings):
    """A "confirmed" sync that runs after the cancellation makes nothing."""
    session = desk.request(student)
    with tenant_context(acme):
        bookings.session_accept(actor=tutor, session=session)
        bookings.session_cancel(actor=tutor, session=session)
    with meetings.committed():
        meeting_sync_queue(session)
    assert meetings.fake.calls == []
    assert meetings.of(session) is None


def test_a_session_that_has_ended_gets_no_meeting(acme, desk, meetings):
    session = desk.booked(at(-3))
    with tenant_context(acme):
        assert meeting_sync(session_id=session.pk) == "over"
    assert meetings.fake.calls == []
    assert meetings.of(session) is None


def test_a_meeting_keeps_its_provider_when_the_agency_switches(
    acme, desk, student, tutor, meetings
):
    session = desk.request(student)
    with meetings.committed():
        bookings.session_accept(actor=tutor, session=session)
    with tenant_context(acme):
        MeetingSettings.objects.filter(pk=1).update(provider="zoom")

    with meetings.committed():
        bookings.session_reschedule(actor=tutor, session=session, starts_at=at(80))

    assert meetings.fake.operations() == ["create", "update"]
    assert meetings.of(session).provider == "fake"


def test_the_provider_is_told_subject_names_and_times_but_never_notes(
    acme, desk, tutor_profile, student_profile
):
    session = desk.booked(at(30), tutor_notes="Private: struggles", student_notes="Secret")
    with tenant_context(acme):
        session = Session.objects.select_related("tutor__user", "student", "subject").get(
            pk=session.pk
        )
        details = meeting_details(session)
    assert details.key == f"acme-{session.pk}"
    assert details.topic == "Mathematics: Theo Turner and Sam Student"
    assert (details.starts_at, details.ends_at) == (at(30), at(31))
    assert details.time_zone == "Europe/London"
    assert (details.host_name, details.host_email) == ("Theo Turner", tutor_profile.user.email)
    assert "Private" not in str(details)
    assert "Secret" not in str(details)
