"""Zoom's event notifications on the root domain: signatures, the URL check, attendance
from participants joining and leaving, recordings kept only with consent, and each event
reaching only the tenant its meeting belongs to.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import time

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from meetings.models import (
    Attendance,
    AttendanceEvent,
    Meeting,
    MeetingSettings,
    Recording,
    RecordingConsent,
)
from tests.meetings.zoom.conftest import LESSON_START, UUID, ZOOM_ID, participant_event, signed
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready(zoom_acme, lesson, routed):
    """acme's lesson with its Zoom meeting made and routed, as after the lifecycle."""
    with tenant_context(zoom_acme):
        meeting = Meeting.objects.create(
            session=lesson,
            provider="zoom",
            status=Meeting.Status.READY,
            external_id=ZOOM_ID,
            join_url=f"https://zoom.example.test/j/{ZOOM_ID}?pwd=x",
            passcode="aB3-xyzQ9k",
            host_account="host@zoom.example.test",
        )
    routed(zoom_acme, meeting)
    return meeting


def recording_event(zoom_id: str = ZOOM_ID) -> dict:
    return {
        "event": "recording.completed",
        "event_ts": 1_938_000_000_000,
        "download_token": "eyJhbGciOiJIUzUxMiJ9.secret-download-token",
        "payload": {
            "account_id": "agency-account",
            "object": {
                "id": int(zoom_id),
                "uuid": UUID,
                "host_id": "platform-host-user",
                "host_email": "host@zoom.example.test",
                "topic": "Mathematics with Theo Turner",
                "start_time": "2031-06-02T09:00:00Z",
                "duration": 60,
                "share_url": "https://zoom.example.test/rec/share/abc",
                "recording_count": 2,
                "recording_files": [
                    {
                        "id": "file-video",
                        "meeting_id": UUID,
                        "recording_start": "2031-06-02T09:01:00Z",
                        "recording_end": "2031-06-02T09:58:00Z",
                        "file_type": "MP4",
                        "file_extension": "MP4",
                        "file_size": 123456789,
                        "play_url": "https://zoom.example.test/rec/play/video",
                        "download_url": "https://zoom.example.test/rec/download/video",
                        "status": "completed",
                        "recording_type": "shared_screen_with_speaker_view",
                    },
                    {
                        "id": "file-audio",
                        "meeting_id": UUID,
                        "recording_start": "2031-06-02T09:01:00Z",
                        "recording_end": "2031-06-02T09:58:00Z",
                        "file_type": "M4A",
                        "file_size": 1234567,
                        "play_url": "https://zoom.example.test/rec/play/audio",
                        "download_url": "https://zoom.example.test/rec/download/audio",
                        "status": "completed",
                        "recording_type": "audio_only",
                    },
                ],
            },
        },
    }


def _attendance(tenant) -> list[Attendance]:
    with tenant_context(tenant):
        return list(Attendance.objects.order_by("pk"))


# Verification ------------------------------------------------------------------------------


def test_zooms_url_check_is_answered_with_the_hashed_plain_token(deliver, settings):
    body = {
        "event": "endpoint.url_validation",
        "event_ts": 1_654_503_849_680,
        "payload": {"plainToken": "qgg8vlvZRS6UYooatFL8Aw"},
    }
    response = deliver(body)
    assert response.status_code == 200
    expected = hmac.new(
        settings.ZOOM_WEBHOOK_SECRET_TOKEN.encode(), b"qgg8vlvZRS6UYooatFL8Aw", hashlib.sha256
    ).hexdigest()
    assert response.json() == {"plainToken": "qgg8vlvZRS6UYooatFL8Aw", "encryptedToken": expected}


def test_a_url_check_whose_token_looks_like_a_signed_message_is_refused(deliver):
    """Signing it would hand out a valid signature for a made-up event."""
    forged = 'v0:1938000000:{"event":"recording.completed"}'
    body = {"event": "endpoint.url_validation", "payload": {"plainToken": forged}}
    assert deliver(body).status_code == 400


@pytest.mark.parametrize(
    "tamper",
    ["wrong_secret", "stale", "future", "missing", "no_timestamp", "altered_body"],
)
def test_a_delivery_not_signed_by_zoom_just_now_is_refused(
    deliver, web_client, public_tenant, zoom_acme, ready, tamper
):
    body = participant_event("joined", email="x@example.test", name="X", at=LESSON_START)
    if tamper == "wrong_secret":
        response = deliver(body, secret="another-secret")
    elif tamper == "stale":
        response = deliver(body, at=time.time() - 6 * 60)
    elif tamper == "future":
        response = deliver(body, at=time.time() + 6 * 60)
    elif tamper == "missing":
        response = deliver(body, headers={})
    else:
        raw, headers = signed(body)
        if tamper == "no_timestamp":
            headers.pop("HTTP_X_ZM_REQUEST_TIMESTAMP")
        else:
            raw = raw.replace(b"x@example.test", b"y@example.test")
        response = web_client().post(
            "/meetings/zoom/webhook/", data=raw, content_type="application/json", **headers
        )
    assert response.status_code == 401
    assert _attendance(zoom_acme) == []


def test_a_url_check_must_be_signed_too(deliver):
    body = {"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}}
    assert deliver(body, secret="another-secret").status_code == 401


def test_a_signed_delivery_that_is_not_json_is_a_bad_request(deliver):
    assert deliver(b"{not json").status_code == 400
    assert deliver(b"[1, 2]").status_code == 400


def test_only_post_is_accepted(web_client, public_tenant):
    assert web_client().get("/meetings/zoom/webhook/").status_code == 405


def test_a_signature_with_a_timestamp_in_milliseconds_is_accepted(deliver):
    body = {"event": "endpoint.url_validation", "payload": {"plainToken": "abc"}}
    raw, _ = signed(body)
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(
        b"test-zoom-webhook-secret", f"v0:{stamp}:{raw.decode()}".encode(), hashlib.sha256
    )
    response = deliver(
        body,
        headers={
            "HTTP_X_ZM_REQUEST_TIMESTAMP": stamp,
            "HTTP_X_ZM_SIGNATURE": f"v0={digest.hexdigest()}",
        },
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"event": ["meeting.participant_joined"]},
        {"event": "meeting.participant_joined", "payload": []},
        {"event": "meeting.participant_joined", "payload": {"object": {"id": {"a": 1}}}},
        {"event": "meeting.participant_joined", "payload": {"object": {"id": ZOOM_ID}}},
        {
            "event": "meeting.participant_left",
            "payload": {"object": {"id": ZOOM_ID, "participant": ["x"]}},
        },
        {
            "event": "recording.completed",
            "payload": {"object": {"id": ZOOM_ID, "recording_files": "none"}},
        },
        {"event": "endpoint.url_validation", "payload": {"plainToken": 42}},
    ],
)
def test_odd_but_signed_deliveries_are_answered_without_a_server_error(
    deliver, zoom_acme, ready, body
):
    assert deliver(body).status_code in {200, 400}
    assert _attendance(zoom_acme) == []


# Attendance --------------------------------------------------------------------------------


def test_the_student_joining_and_leaving_is_recorded_as_their_attendance(
    deliver, zoom_acme, ready, student
):
    joined_at = LESSON_START + dt.timedelta(minutes=2)
    left_at = LESSON_START + dt.timedelta(minutes=47)
    response = deliver(
        participant_event("joined", email=student.user.email, name="Sam", at=joined_at)
    )
    assert response.status_code == 200
    assert response.json() == {"status": "queued"}
    deliver(participant_event("left", email=student.user.email.upper(), name="Sam", at=left_at))

    [row] = _attendance(zoom_acme)
    assert (row.user_id, row.role) == (student.user_id, Attendance.Role.STUDENT)
    assert (row.first_joined_at, row.last_left_at) == (joined_at, left_at)
    assert row.seconds_present == 45 * 60
    assert row.via_provider
    assert not row.via_platform


def test_the_zoom_host_is_the_tutor_who_was_given_the_start_link(deliver, zoom_acme, ready, tutor):
    deliver(
        participant_event("joined", email="host@zoom.example.test", name="Host", at=LESSON_START)
    )
    [row] = _attendance(zoom_acme)
    assert (row.user_id, row.role) == (tutor.user_id, Attendance.Role.TUTOR)


def test_someone_not_of_the_session_is_kept_by_name_and_email(deliver, zoom_acme, ready):
    deliver(participant_event("joined", email="guest@example.test", name="Guest", at=LESSON_START))
    [row] = _attendance(zoom_acme)
    assert (row.user_id, row.role) == (None, "")
    assert (row.display_name, row.email) == ("Guest", "guest@example.test")


def test_retried_and_replayed_deliveries_change_nothing(deliver, zoom_acme, ready, student):
    event = participant_event("joined", email=student.user.email, name="Sam", at=LESSON_START)
    deliver(event)
    deliver(event)  # Zoom's retry
    replay = copy.deepcopy(event)
    replay["event_ts"] += 90_000  # the same join, notified again later
    deliver(replay)

    [row] = _attendance(zoom_acme)
    assert row.join_count == 1
    with tenant_context(zoom_acme):
        assert AttendanceEvent.objects.count() == 1


def test_a_left_arriving_before_its_joined_ends_the_same(deliver, zoom_acme, ready, student):
    email = student.user.email
    joined_at = LESSON_START + dt.timedelta(minutes=1)
    left_at = LESSON_START + dt.timedelta(minutes=31)
    deliver(participant_event("left", email=email, name="Sam", at=left_at))
    deliver(participant_event("joined", email=email, name="Sam", at=joined_at))

    [row] = _attendance(zoom_acme)
    assert (row.first_joined_at, row.last_left_at) == (joined_at, left_at)
    assert row.seconds_present == 30 * 60
    assert row.join_count == 1


def test_an_event_for_an_acme_meeting_never_touches_globex(
    deliver, zoom_acme, ready, globex, teacher, member, booked, student
):
    """globex happens to hold a meeting with the same Zoom id; the route says acme."""
    _, globex_tutor = teacher(globex)
    globex_student = member(globex, "student")
    with tenant_context(globex):
        profile = crm.student_create(
            actor=Membership.objects.get(tenant=globex, role="owner"),
            first_name="Gus",
            email=globex_student.user.email,
            date_of_birth=dob_for(20),
        )
    session = booked(globex_tutor, profile, LESSON_START)
    with tenant_context(globex):
        Meeting.objects.create(session=session, provider="zoom", external_id=ZOOM_ID)

    deliver(participant_event("joined", email=student.user.email, name="Sam", at=LESSON_START))
    deliver(
        participant_event(
            "joined", email=globex_student.user.email, name="Gus", at=LESSON_START, who="p2"
        )
    )

    assert _attendance(globex) == []
    assert {row.user_id for row in _attendance(zoom_acme)} == {student.user_id, None}


def test_an_event_for_an_unknown_meeting_is_acknowledged_and_ignored(deliver, zoom_acme, ready):
    event = participant_event("joined", email="x@example.test", name="X", at=LESSON_START)
    event["payload"]["object"]["id"] = "99999999999"
    response = deliver(event)
    assert (response.status_code, response.json()) == (200, {"status": "unknown"})
    other = {"event": "meeting.started", "payload": {"object": {"id": ZOOM_ID}}}
    assert deliver(other).json() == {"status": "ignored"}
    assert _attendance(zoom_acme) == []


# Recordings --------------------------------------------------------------------------------


@pytest.fixture
def consent(zoom_acme, lesson, student):
    def give(*, withdrawn: bool = False) -> RecordingConsent:
        with tenant_context(zoom_acme):
            return RecordingConsent.objects.create(
                session=lesson,
                given_by=student.user,
                given_at=timezone.now(),
                withdrawn_at=timezone.now() if withdrawn else None,
                withdrawn_by=student.user if withdrawn else None,
            )

    return give


@pytest.fixture
def recordings_on(zoom_acme):
    with tenant_context(zoom_acme):
        MeetingSettings.objects.filter(pk=1).update(recordings_enabled=True)


def _recordings(tenant) -> list[Recording]:
    with tenant_context(tenant):
        return list(Recording.objects.order_by("external_id"))


def test_recording_links_are_kept_with_consent_and_without_download_tokens(
    deliver, zoom_acme, ready, consent, recordings_on
):
    consent()
    assert deliver(recording_event()).status_code == 200
    deliver(recording_event())  # retried

    audio, video = _recordings(zoom_acme)
    assert (video.external_id, video.recording_type, video.file_type) == (
        "file-video",
        "shared_screen_with_speaker_view",
        "MP4",
    )
    assert video.file_size == 123456789
    assert video.play_url == "https://zoom.example.test/rec/play/video"
    assert (video.started_at, video.ended_at) == (
        dt.datetime(2031, 6, 2, 9, 1, tzinfo=dt.UTC),
        dt.datetime(2031, 6, 2, 9, 58, tzinfo=dt.UTC),
    )
    assert audio.play_url.endswith("/audio")
    with tenant_context(zoom_acme):
        stored = str(list(Recording.objects.values()))
    assert "download" not in stored
    assert "secret-download-token" not in stored


@pytest.mark.parametrize("situation", ["no_consent", "withdrawn", "recordings_off"])
def test_without_consent_in_force_or_with_recordings_off_nothing_is_kept(
    deliver, zoom_acme, ready, consent, situation
):
    if situation != "recordings_off":
        with tenant_context(zoom_acme):
            MeetingSettings.objects.filter(pk=1).update(recordings_enabled=True)
    if situation == "withdrawn":
        consent(withdrawn=True)
    if situation == "recordings_off":
        consent()

    assert deliver(recording_event()).status_code == 200
    assert _recordings(zoom_acme) == []
