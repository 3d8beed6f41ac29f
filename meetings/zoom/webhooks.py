"""Zoom's event notifications: checking they come from Zoom, answering its URL check,
and handing each event to the tenant its meeting belongs to.

Followed: Zoom's *Using webhooks* guide and its webhook sample.

- **Verification**: each request carries ``x-zm-request-timestamp`` and
  ``x-zm-signature: v0=<hex HMAC-SHA256(secret token, "v0:{timestamp}:{raw body}")>``. We
  recompute it over the raw bytes, compare in constant time and refuse timestamps more
  than five minutes away (a captured request cannot be replayed later).
- **URL validation**: ``endpoint.url_validation`` (sent when the endpoint is saved, then
  every 72 hours) is answered with ``{"plainToken", "encryptedToken"}``, the latter the hex
  HMAC-SHA256 of the plain token with the secret token. Like Zoom's sample, the challenge
  must itself be signed; and a plain token must look like one (letters, digits, ``-``,
  ``_``), so nobody can have us sign something shaped like a ``v0:...`` message.
- Zoom expects an answer within three seconds: events are queued as a Celery task inside
  the tenant (``meetings.routes`` maps the meeting id to it), and the answer is 200 at
  once, also for events about meetings we do not know (they are ignored).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from typing import Any

from django.conf import settings
from django_tenants.utils import tenant_context

from meetings.routes import route_tenant

__all__ = [
    "EVENTS",
    "event_dispatch",
    "signature_valid",
    "url_validation_answer",
]

logger = logging.getLogger(__name__)

TOLERANCE = 5 * 60
PARTICIPANT_JOINED = "meeting.participant_joined"
PARTICIPANT_LEFT = "meeting.participant_left"
RECORDING_COMPLETED = "recording.completed"
EVENTS = frozenset({PARTICIPANT_JOINED, PARTICIPANT_LEFT, RECORDING_COMPLETED})
URL_VALIDATION = "endpoint.url_validation"
PLAIN_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")
PARTICIPANT_FIELDS = (
    "id",
    "user_id",
    "participant_uuid",
    "participant_user_id",
    "user_name",
    "email",
    "join_time",
    "leave_time",
    "leave_reason",
)
# Never queued: ``download_url`` (and the event's ``download_token``) open the file.
RECORDING_FIELDS = (
    "id",
    "recording_type",
    "file_type",
    "file_size",
    "play_url",
    "recording_start",
    "recording_end",
    "status",
)


def _hmac(message: bytes) -> str:
    secret = settings.ZOOM_WEBHOOK_SECRET_TOKEN.encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def signature_valid(
    *, body: bytes, timestamp: str, signature: str, now: float | None = None
) -> bool:
    """Whether ``signature`` is Zoom's for this raw ``body`` and a fresh ``timestamp``."""
    if not settings.ZOOM_WEBHOOK_SECRET_TOKEN or not timestamp or not signature:
        return False
    timestamp = timestamp.strip()
    if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > 16:
        return False
    sent = int(timestamp)
    if sent > 10**11:  # milliseconds
        sent //= 1000
    if abs((now if now is not None else time.time()) - sent) > TOLERANCE:
        return False
    expected = "v0=" + _hmac(b"v0:" + timestamp.encode() + b":" + body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())


def _inner(payload: dict) -> dict:
    inner = payload.get("payload")
    return inner if isinstance(inner, dict) else {}


def url_validation_answer(payload: dict) -> dict[str, str] | None:
    """The answer to Zoom's URL check, or None when its plain token is not acceptable."""
    plain = _inner(payload).get("plainToken")
    if not isinstance(plain, str) or not PLAIN_TOKEN.fullmatch(plain):
        return None
    return {"plainToken": plain, "encryptedToken": _hmac(plain.encode())}


def _slim(event: str, data: dict) -> dict[str, Any]:
    """What the task needs of the event, and nothing that grants access to anything."""
    slim: dict[str, Any] = {
        "id": str(data.get("id") or ""),
        "uuid": str(data.get("uuid") or ""),
        "host_id": str(data.get("host_id") or ""),
    }
    if event == RECORDING_COMPLETED:
        files = data.get("recording_files")
        slim["recording_files"] = [
            {key: item[key] for key in RECORDING_FIELDS if key in item}
            for item in (files if isinstance(files, list) else [])
            if isinstance(item, dict)
        ]
    else:
        participant = data.get("participant")
        participant = participant if isinstance(participant, dict) else {}
        slim["participant"] = {
            key: participant[key] for key in PARTICIPANT_FIELDS if key in participant
        }
    return slim


def event_dispatch(payload: dict) -> str:
    """Queue a verified event in its meeting's tenant; say what became of it."""
    from meetings.zoom.tasks import zoom_event_process

    event = payload.get("event")
    if not isinstance(event, str) or event not in EVENTS:
        return "ignored"
    data = _inner(payload).get("object")
    if not isinstance(data, dict) or data.get("id") in (None, ""):
        return "ignored"
    tenant = route_tenant(provider="zoom", external_id=str(data["id"]))
    if tenant is None:
        logger.info("Zoom %s for unknown meeting %s ignored.", event, data.get("id"))
        return "unknown"
    event_ts = payload.get("event_ts")
    with tenant_context(tenant):
        zoom_event_process.delay(
            event=event,
            data=_slim(event, data),
            event_ts=event_ts if isinstance(event_ts, int) else None,
        )
    return "queued"
