"""Applying Zoom's events inside the tenant of their meeting: who joined and left, and
which recordings were made.

Followed: Zoom's event references ``meeting.participant_joined`` /
``meeting.participant_left`` (``payload.object``: the meeting's ``id``, ``uuid``,
``host_id`` and a ``participant`` with ``user_id``, ``user_name``, ``id``,
``participant_uuid``, ``email``, ``join_time`` / ``leave_time``) and
``recording.completed`` (``payload.object.recording_files``: ``id``, ``recording_type``,
``file_type``, ``file_size``, ``play_url``, ``recording_start``, ``recording_end``).

A participant is matched to the session's people by email; the Zoom host (who entered
through the start link only the tutor is given) is the tutor. Anyone else is kept by name
and email. Each event is recorded once (a dedupe key from the event, the meeting
instance's uuid, the participant and the time), so Zoom's retries and replays change
nothing, and attendance is recomputed from all events, so order does not matter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import Any

from django.utils import timezone

from accounts.models import User
from meetings.models import AttendanceEvent, Meeting
from meetings.people import Person, session_people, session_person_by_email
from meetings.services.attendance import attendance_record
from meetings.services.recordings import recordings_store
from meetings.zoom.webhooks import PARTICIPANT_JOINED, PARTICIPANT_LEFT, RECORDING_COMPLETED

__all__ = ["event_apply"]

logger = logging.getLogger(__name__)
Kind = AttendanceEvent.Kind


def _when(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _from_event_ts(event_ts: int | None) -> dt.datetime | None:
    if not event_ts:
        return None
    try:
        return dt.datetime.fromtimestamp(event_ts / 1000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _person(meeting: Meeting, data: dict, participant: dict) -> Person | None:
    session = meeting.session
    email = str(participant.get("email") or "")
    person = session_person_by_email(session, email)
    if person is not None:
        return person
    is_host = (
        email and meeting.host_account and email.strip().lower() == meeting.host_account.lower()
    ) or (participant.get("id") and participant.get("id") == data.get("host_id"))
    if is_host:
        return next((p for p in session_people(session) if p.role == "tutor"), None)
    return None


def _participant_record(meeting: Meeting, event: str, data: dict, event_ts: int | None) -> str:
    participant = data.get("participant")
    participant = participant if isinstance(participant, dict) else {}
    joined = event == PARTICIPANT_JOINED
    raw_time = str(participant.get("join_time" if joined else "leave_time") or "")
    occurred = _when(raw_time) or _from_event_ts(event_ts) or timezone.now()
    who = str(
        participant.get("participant_uuid")
        or participant.get("id")
        or participant.get("user_id")
        or participant.get("user_name")
        or ""
    )
    if not who:
        logger.info("Zoom %s without a participant for meeting %s ignored.", event, meeting.pk)
        return "ignored"
    fingerprint = "|".join([event, str(data.get("uuid")), who, raw_time or str(event_ts)])
    dedupe_key = f"zoom:{hashlib.sha256(fingerprint.encode()).hexdigest()}"
    person = _person(meeting, data, participant)
    user = User.objects.filter(pk=person.user_id).first() if person is not None else None
    recorded = attendance_record(
        session=meeting.session,
        kind=Kind.JOINED if joined else Kind.LEFT,
        source="zoom",
        occurred_at=occurred,
        user=user,
        role=person.role if person is not None else "",
        display_name=str(participant.get("user_name") or "")[:200],
        email="" if user is not None else str(participant.get("email") or "")[:254],
        dedupe_key=dedupe_key,
        detail={
            "meeting_uuid": str(data.get("uuid") or ""),
            "participant": who[:100],
            "leave_reason": str(participant.get("leave_reason") or "")[:200],
        },
    )
    return "recorded" if recorded is not None else "duplicate"


def event_apply(*, event: str, data: dict, event_ts: int | None = None) -> str:
    """Apply one verified Zoom event in the current tenant; say what became of it."""
    meeting = (
        Meeting.objects.select_related("session__tutor__user", "session__student__user")
        .filter(provider="zoom", external_id=str(data.get("id") or ""))
        .exclude(external_id="")
        .first()
    )
    if meeting is None:
        logger.info("Zoom %s for meeting %s: not a meeting of this tenant.", event, data.get("id"))
        return "unknown"
    if event in (PARTICIPANT_JOINED, PARTICIPANT_LEFT):
        return _participant_record(meeting, event, data, event_ts)
    if event == RECORDING_COMPLETED:
        stored = recordings_store(meeting=meeting, files=data.get("recording_files") or [])
        return f"recordings:{stored}"
    return "ignored"
