"""Zoom meetings against the fake Zoom: what a create asks for, Zoom's limits, retries
that make no duplicate, moves, removals, and how each person is sent in.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django_tenants.utils import tenant_context

from meetings.models import Meeting, ZoomConnection
from meetings.providers import provider_get
from meetings.providers.base import (
    MeetingError,
    Participant,
    RateLimitedError,
    TransientError,
)
from meetings.providers.zoom import ZoomProvider, agenda_marker, passcode_generate
from meetings.zoom.throttle import seconds_until_utc_midnight
from tests.meetings.zoom.conftest import LESSON_START, details_for, meeting_save

pytestmark = pytest.mark.django_db

zoom = ZoomProvider()
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def create(zoom_acme):
    """``create(meeting, **detail_changes)`` → the meeting saved with Zoom's answer."""

    def run(meeting: Meeting, **changes) -> Meeting:
        with tenant_context(zoom_acme):
            info = zoom.meeting_create(
                meeting=meeting, details=details_for(meeting.session, **changes)
            )
            return meeting_save(meeting, info)

    return run


@pytest.fixture
def second(zoom_acme, booked, tutor_profile, student_profile):
    """Another lesson's pending meeting, a week later."""
    with tenant_context(zoom_acme):
        session = booked(tutor_profile, student_profile, LESSON_START + dt.timedelta(days=7))
        return Meeting.objects.create(session=session, provider="zoom")


def test_zoom_is_the_installed_provider_called_zoom():
    assert isinstance(provider_get("zoom"), ZoomProvider)
    assert (ZoomProvider.name, ZoomProvider.label) == ("zoom", "Zoom")


def test_a_passcode_follows_zooms_rules_and_mixes_every_kind_of_character():
    for _ in range(50):
        code = passcode_generate()
        assert re.fullmatch(r"[a-zA-Z0-9@\-_*]{10}", code)
        for kind in (r"[a-z]", r"[A-Z]", r"\d", r"[@\-_*]"):
            assert re.search(kind, code)


def test_a_meeting_has_a_waiting_room_a_passcode_and_no_joining_before_the_host(
    fake_zoom, create, pending, settings
):
    meeting = create(pending)

    [sent] = fake_zoom.calls("POST", "/meetings")
    assert sent.path == "/zoom/v2/users/host@zoom.example.test/meetings"
    body = sent.json
    assert body["type"] == 2
    assert body["topic"] == "Mathematics with Theo Turner"
    assert body["start_time"] == "2031-06-02T09:00:00Z"
    assert (body["duration"], body["timezone"]) == (60, "Europe/London")
    assert body["agenda"].splitlines()[0] == agenda_marker(f"acme-{pending.session_id}")
    assert body["settings"] == {
        "waiting_room": True,
        "join_before_host": False,
        "mute_upon_entry": True,
        "approval_type": 2,
        "auto_recording": "none",
    }
    assert re.fullmatch(r"[a-zA-Z0-9@\-_*]{10}", body["password"])

    [made] = fake_zoom.meetings.values()
    assert meeting.external_id == str(made["id"])
    assert meeting.join_url == made["join_url"]
    assert meeting.passcode == body["password"]
    assert meeting.host_account == settings.ZOOM_HOST_USER
    assert meeting.zoom_connection_id is None
    assert "start_url" not in str(meeting.__dict__)


def test_with_the_agencys_own_zoom_meetings_are_made_there_and_remembered(
    fake_zoom, zoom_acme, create, pending, connected
):
    row = connected()

    meeting = create(pending)

    [sent] = fake_zoom.calls("POST", "/meetings")
    assert sent.path == "/zoom/v2/users/me/meetings"
    assert fake_zoom.meetings_of(fake_zoom.consenting)
    with tenant_context(zoom_acme):
        stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.zoom_connection_id, stored.host_account) == (row.pk, row.email)


# Zoom's limits -----------------------------------------------------------------------------


def test_a_429_is_rate_limited_for_as_long_as_zoom_says(fake_zoom, zoom_acme, pending):
    fake_zoom.fail(
        "POST",
        "/meetings",
        429,
        {"code": 429, "message": "You have reached the maximum per-second rate limit."},
        {"Retry-After": "17", "X-RateLimit-Type": "QPS"},
    )
    with tenant_context(zoom_acme), pytest.raises(RateLimitedError) as refused:
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))
    assert refused.value.retry_after == 17


def test_zooms_daily_limit_waits_until_midnight_utc_and_stops_further_writes(
    fake_zoom, zoom_acme, pending, second
):
    fake_zoom.daily_limit = 0  # the host used its 100 elsewhere today
    with tenant_context(zoom_acme):
        with pytest.raises(RateLimitedError) as refused:
            zoom.meeting_create(meeting=pending, details=details_for(pending.session))
        assert abs(refused.value.retry_after - seconds_until_utc_midnight()) <= 5
        with pytest.raises(RateLimitedError):
            zoom.meeting_create(meeting=second, details=details_for(second.session))
    assert len(fake_zoom.calls("POST", "/meetings")) == 1


def test_a_retry_after_instant_is_honoured(fake_zoom, zoom_acme, pending):
    fake_zoom.fail(
        "POST",
        "/meetings",
        429,
        {"code": 429, "message": "Daily limit."},
        {"Retry-After": "2000-01-01T00:00:00Z", "X-RateLimit-Type": "Daily-limit"},
    )
    with tenant_context(zoom_acme), pytest.raises(RateLimitedError) as refused:
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))
    assert refused.value.retry_after == 1  # already past: try again straight away


def test_our_own_count_stops_at_the_daily_limit_without_calling_zoom(
    fake_zoom, create, zoom_acme, pending, second, settings
):
    settings.ZOOM_DAILY_MEETING_WRITES = 2
    meeting = create(pending)  # 1
    with tenant_context(zoom_acme):
        zoom.meeting_update(
            meeting=meeting, details=details_for(meeting.session, starts_at=LESSON_START + HOUR)
        )  # 2
        with pytest.raises(RateLimitedError) as refused:
            zoom.meeting_create(meeting=second, details=details_for(second.session))
    assert abs(refused.value.retry_after - seconds_until_utc_midnight()) <= 5
    assert len(fake_zoom.calls("POST", "/meetings")) == 1
    assert len(fake_zoom.calls("PATCH", "/meetings")) == 1


def test_a_server_error_is_transient(fake_zoom, zoom_acme, pending):
    fake_zoom.fail("POST", "/meetings", 503, {"code": 503, "message": "Unavailable"})
    with tenant_context(zoom_acme), pytest.raises(TransientError):
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))


def test_another_refusal_carries_zooms_message(fake_zoom, zoom_acme, pending):
    fake_zoom.fail("POST", "/meetings", 400, {"code": 300, "message": "Invalid meeting topic."})
    with tenant_context(zoom_acme), pytest.raises(MeetingError) as refused:
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))
    assert not isinstance(refused.value, TransientError | RateLimitedError)
    assert "Invalid meeting topic." in refused.value.message


# Retries -----------------------------------------------------------------------------------


def test_a_create_that_timed_out_but_happened_is_found_again_not_duplicated(
    fake_zoom, create, zoom_acme, pending, settings
):
    settings.MEETING_HTTP_TIMEOUT = 0.5
    fake_zoom.slow_next_create(1.5)
    with tenant_context(zoom_acme), pytest.raises(TransientError):
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))
    [made] = fake_zoom.meetings.values()  # Zoom made it all the same

    meeting = create(pending)

    assert list(fake_zoom.meetings) == [str(made["id"])]
    assert meeting.external_id == str(made["id"])
    assert (meeting.join_url, meeting.passcode) == (made["join_url"], made["password"])
    assert fake_zoom.calls("GET", "/users/host@zoom.example.test/meetings")
    assert len(fake_zoom.calls("POST", "/meetings")) == 1


def test_a_create_that_failed_before_reaching_zoom_is_made_once_on_retry(
    fake_zoom, create, zoom_acme, pending
):
    fake_zoom.fail("POST", "/meetings", 500, {"code": 500, "message": "Oops"})
    with tenant_context(zoom_acme), pytest.raises(TransientError):
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))

    meeting = create(pending)

    assert list(fake_zoom.meetings) == [meeting.external_id]


def test_a_meeting_found_again_after_the_session_moved_is_moved_too(
    fake_zoom, create, zoom_acme, pending, settings
):
    settings.MEETING_HTTP_TIMEOUT = 0.5
    fake_zoom.slow_next_create(1.5)
    with tenant_context(zoom_acme), pytest.raises(TransientError):
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))

    meeting = create(pending, starts_at=LESSON_START + HOUR, ends_at=LESSON_START + 2 * HOUR)

    [made] = fake_zoom.meetings.values()
    assert meeting.external_id == str(made["id"])
    assert made["start_time"] == "2031-06-02T10:00:00Z"


def test_the_marker_of_another_session_is_not_mistaken_for_this_ones(
    fake_zoom, create, zoom_acme, pending, second
):
    """acme-1 must not match acme-12: the marker is compared whole."""
    first = create(pending, key="acme-1")
    same_day = details_for(pending.session, key="acme-12")
    fake_zoom.fail("POST", "/meetings", 500)
    with tenant_context(zoom_acme):
        with pytest.raises(TransientError):
            zoom.meeting_create(meeting=second, details=same_day)
        info = zoom.meeting_create(meeting=second, details=same_day)
    assert info.external_id != first.external_id
    assert len(fake_zoom.meetings) == 2


# Moving and removing -----------------------------------------------------------------------


def test_a_moved_session_moves_its_meeting(fake_zoom, create, zoom_acme, pending):
    meeting = create(pending)
    with tenant_context(zoom_acme):
        info = zoom.meeting_update(
            meeting=meeting,
            details=details_for(
                meeting.session, starts_at=LESSON_START + HOUR, ends_at=LESSON_START + 3 * HOUR
            ),
        )
    [patch] = fake_zoom.calls("PATCH", f"/meetings/{meeting.external_id}")
    assert patch.json == {
        "topic": "Mathematics with Theo Turner",
        "start_time": "2031-06-02T10:00:00Z",
        "duration": 120,
        "timezone": "Europe/London",
    }
    made = fake_zoom.meetings[meeting.external_id]
    assert (made["start_time"], made["duration"]) == ("2031-06-02T10:00:00Z", 120)
    assert (info.external_id, info.join_url, info.passcode) == (
        meeting.external_id,
        meeting.join_url,
        meeting.passcode,
    )


def test_a_meeting_deleted_at_zoom_is_made_again_when_the_session_moves(
    fake_zoom, create, zoom_acme, pending
):
    meeting = create(pending)
    fake_zoom.meetings.clear()  # someone deleted it in Zoom

    with tenant_context(zoom_acme):
        info = zoom.meeting_update(
            meeting=meeting, details=details_for(meeting.session, starts_at=LESSON_START + HOUR)
        )

    [again] = fake_zoom.meetings.values()
    assert info.external_id == str(again["id"]) != meeting.external_id
    assert info.join_url == again["join_url"]


def test_a_meeting_is_deleted_and_one_already_gone_is_fine(fake_zoom, create, zoom_acme, pending):
    meeting = create(pending)
    with tenant_context(zoom_acme):
        zoom.meeting_delete(meeting=meeting)
        assert not fake_zoom.meetings
        zoom.meeting_delete(meeting=meeting)
    first, _ = fake_zoom.calls("DELETE", f"/meetings/{meeting.external_id}")
    assert first.query == {"schedule_for_reminder": "false"}


def test_later_changes_go_to_the_account_the_meeting_was_made_in(
    fake_zoom, create, zoom_acme, pending, connected
):
    meeting = create(pending)  # the platform's account
    connected()  # then the agency connects its own and chooses it

    with tenant_context(zoom_acme):
        zoom.meeting_update(
            meeting=meeting, details=details_for(meeting.session, starts_at=LESSON_START + HOUR)
        )
        zoom.meeting_delete(meeting=meeting)
    assert not fake_zoom.meetings  # the fake refuses (and reports) another account's token


def test_a_meeting_of_a_disconnected_account_is_made_anew_in_the_current_one(
    fake_zoom, create, zoom_acme, pending, connected, settings
):
    row = connected()
    meeting = create(pending)
    with tenant_context(zoom_acme):
        ZoomConnection.objects.filter(pk=row.pk).delete()
        meeting.refresh_from_db()
        assert meeting.zoom_connection_id is None
        zoom.meeting_delete(meeting=meeting)  # out of reach: nothing to do
        assert not fake_zoom.calls("DELETE", "/meetings")
        info = zoom.meeting_update(
            meeting=meeting, details=details_for(meeting.session, starts_at=LESSON_START + HOUR)
        )
    assert info.host_account == settings.ZOOM_HOST_USER
    assert info.external_id != meeting.external_id
    assert len(fake_zoom.meetings_of(fake_zoom.platform_host)) == 1


# Joining -----------------------------------------------------------------------------------


def _join(tenant, meeting: Meeting, role: str):
    with tenant_context(tenant):
        return zoom.join_target(
            meeting=meeting,
            participant=Participant(7, "Someone", "someone@acme.test", role),
            not_before=meeting.session.starts_at - dt.timedelta(minutes=15),
            not_after=meeting.session.ends_at + dt.timedelta(minutes=15),
        )


def test_the_tutor_gets_a_fresh_start_link_and_everyone_else_the_join_link(
    fake_zoom, create, zoom_acme, pending
):
    meeting = create(pending)

    first = _join(zoom_acme, meeting, Participant.MODERATOR)
    again = _join(zoom_acme, meeting, Participant.MODERATOR)
    assert first.redirect_url.startswith(f"https://zoom.example.test/s/{meeting.external_id}?zak=")
    assert again.redirect_url != first.redirect_url
    assert len(fake_zoom.calls("GET", f"/meetings/{meeting.external_id}")) == 2
    assert first.expires_at == meeting.session.ends_at + dt.timedelta(minutes=15)

    for role in (Participant.PARTICIPANT, Participant.OBSERVER):
        target = _join(zoom_acme, meeting, role)
        assert target.redirect_url == meeting.join_url
    assert len(fake_zoom.calls("GET", f"/meetings/{meeting.external_id}")) == 2
    with tenant_context(zoom_acme):
        assert "zak=" not in str(Meeting.objects.filter(pk=meeting.pk).values().first())
