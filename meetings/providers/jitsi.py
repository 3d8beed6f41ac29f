"""Jitsi Meet with token authentication: unguessable rooms, a password, a JWT per person.

Jitsi keeps no meetings: a room exists while people are in it. So nothing is called to
create, move or delete one; the provider only picks the room's name and password, and
signs the token each person enters with. What the token carries follows Jitsi's own
documentation and the prosody plugins that read it:

- lib-jitsi-meet ``doc/tokens.md`` (the token plugin): an HS256 JWT signed with the
  ``app_secret`` prosody is configured with; ``iss`` is the ``app_id``; ``aud`` names the
  consuming service; ``room`` is the bare room name (not the MUC address; ``*`` would open
  every room, so it is never used); ``sub`` is the lowercase domain for ``/ROOM`` URLs;
  ``exp`` as in RFC 7519; ``context.user`` holds ``id``, ``name``, ``email`` and
  ``avatar``, all strings ("numeric types or null will generate an exception").
- jitsi-meet ``resources/prosody-plugins/token/util.lib.lua``: ``iss`` must be in
  ``asap_accepted_issuers`` (default: the app id), ``aud`` in ``asap_accepted_audiences``
  (``JITSI_AUDIENCE``), ``room`` is required (``asap_require_room_claim``) and compared
  with the lowercased MUC room name on join; with ``enable_domain_verification`` the room
  address must be ``<room>@conference.<sub>`` (``JITSI_TOKEN_SUBJECT`` when prosody's XMPP
  domain differs from the public one, as in docker-jitsi-meet's ``meet.jitsi``).
- ``luajwtjitsi.lib.lua``: the header's ``typ`` must be ``JWT`` and ``alg`` the configured
  algorithm; ``exp`` and ``nbf`` must be numbers, and are enforced (``now >= exp`` or
  ``now < nbf`` refuses the connection). So ``nbf``/``exp`` bound the token to the join
  window.
- jitsi-contrib/prosody-plugins ``token_affiliation``: ``context.user.affiliation``
  ``owner`` (or ``context.user.moderator`` true) makes the occupant an owner (moderator),
  anything else a ``member``. nvonahsen/jitsi-token-moderation-plugin reads a top-level
  boolean ``moderator``; both are set, so either plugin puts the tutor in charge.

Attendance: jitsi-contrib/prosody-plugins ``event_sync`` (``mod_event_sync_component``)
POSTs JSON to ``${api_prefix}/events/{room/created, room/destroyed, occupant/joined,
occupant/left}`` with the extra headers of ``api_headers`` (a static bearer token), retries
on 5xx, and forwards ``context.user`` ``id``, ``name`` and ``email`` of each occupant.
``event_sync_record`` turns those calls into ``attendance_record`` events.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import User
from meetings.models import Attendance, AttendanceEvent, Meeting
from meetings.people import session_people, session_person_by_email
from meetings.providers.base import (
    JoinTarget,
    MeetingError,
    MeetingInfo,
    MeetingProvider,
    NotConfiguredError,
    Participant,
)
from meetings.routes import route_tenant
from meetings.services.attendance import attendance_record

__all__ = [
    "ROOM_PREFIX",
    "EventPayloadError",
    "JitsiProvider",
    "event_sync_record",
    "jitsi_external_api_url",
    "jitsi_origin",
]

NAME = "jitsi"
Kind = AttendanceEvent.Kind
# Jitsi lowercases room names, so the random part is lowercase hex: 160 bits.
ROOM_PREFIX = "educonnect-"
ROOM_BYTES = 20
PASSWORD_BYTES = 12  # 16 URL-safe characters
ALGORITHM = "HS256"
OWNER = "owner"
MEMBER = "member"


def jitsi_origin() -> str:
    """The origin Jitsi's meeting frame is served from (``https://`` + ``JITSI_DOMAIN``)."""
    return f"https://{settings.JITSI_DOMAIN}"


def jitsi_external_api_url() -> str:
    """Where the browser loads ``external_api.js`` (``JITSI_EXTERNAL_API_URL`` or the
    domain's own copy)."""
    return settings.JITSI_EXTERNAL_API_URL or f"{jitsi_origin()}/external_api.js"


def _subject() -> str:
    """``sub``: the lowercase domain prosody checks rooms against (no port)."""
    configured = settings.JITSI_TOKEN_SUBJECT
    return (configured or urlsplit(jitsi_origin()).hostname or "").lower()


def _timestamp(instant: dt.datetime) -> int:
    return int(instant.timestamp())


def _topic(meeting: Meeting) -> str:
    session = meeting.session
    return f"{session.subject.name} with {session.tutor.full_name}"


class JitsiProvider(MeetingProvider):
    name = NAME
    label = "Jitsi"

    def is_configured(self) -> bool:
        return bool(settings.JITSI_DOMAIN and settings.JITSI_APP_ID and settings.JITSI_APP_SECRET)

    def _require_configured(self) -> None:
        if not self.is_configured():
            raise NotConfiguredError(
                "Jitsi is not configured: JITSI_DOMAIN, JITSI_APP_ID and JITSI_APP_SECRET "
                "must be set."
            )

    def meeting_create(self, *, meeting, details) -> MeetingInfo:
        """A fresh random room and password; a meeting that already has them keeps them,
        so a retried create changes nothing."""
        self._require_configured()
        return MeetingInfo(
            room_name=meeting.room_name or ROOM_PREFIX + secrets.token_hex(ROOM_BYTES),
            passcode=meeting.passcode or secrets.token_urlsafe(PASSWORD_BYTES),
        )

    def meeting_update(self, *, meeting, details) -> MeetingInfo:
        """Times and titles live in the tokens, not at Jitsi: the room stays as it is."""
        return self.meeting_create(meeting=meeting, details=details)

    def meeting_delete(self, *, meeting) -> None:
        """Nothing to remove: a Jitsi room ends when its last occupant leaves."""

    def token_claims(
        self,
        *,
        meeting: Meeting,
        participant: Participant,
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> dict[str, Any]:
        """The claims of ``participant``'s token for ``meeting`` (see the module doc)."""
        moderator = participant.role == Participant.MODERATOR
        user = {
            "id": str(participant.user_id),
            "name": participant.name,
            "email": participant.email,
            "moderator": moderator,
            "affiliation": OWNER if moderator else MEMBER,
        }
        if participant.avatar_url:
            user["avatar"] = participant.avatar_url
        return {
            "aud": settings.JITSI_AUDIENCE,
            "iss": settings.JITSI_APP_ID,
            "sub": _subject(),
            "room": meeting.room_name,
            "iat": _timestamp(timezone.now()),
            "nbf": _timestamp(not_before),
            "exp": _timestamp(not_after),
            "moderator": moderator,
            "context": {"user": user},
        }

    def join_target(self, *, meeting, participant, not_before, not_after) -> JoinTarget:
        """The meeting page's settings, with a token valid only inside the join window."""
        self._require_configured()
        if not meeting.room_name:
            raise MeetingError("This meeting has no Jitsi room yet.")
        claims = self.token_claims(
            meeting=meeting, participant=participant, not_before=not_before, not_after=not_after
        )
        token = jwt.encode(claims, settings.JITSI_APP_SECRET, algorithm=ALGORITHM)
        return JoinTarget(
            embed={
                "domain": settings.JITSI_DOMAIN,
                "script_url": jitsi_external_api_url(),
                "room": meeting.room_name,
                "jwt": token,
                "password": meeting.passcode,
                "display_name": participant.name,
                "email": participant.email,
                "moderator": participant.role == Participant.MODERATOR,
                "observer": participant.role == Participant.OBSERVER,
                "subject": _topic(meeting),
                "window_end": not_after.isoformat(),
            },
            expires_at=not_after,
        )


# Attendance from prosody's event_sync component ------------------------------------------


class EventPayloadError(ValueError):
    """An event_sync call whose body is not what the component sends."""


EVENT_NAMES = {
    ("room", "created"): "muc-room-created",
    ("room", "destroyed"): "muc-room-destroyed",
    ("occupant", "joined"): "muc-occupant-joined",
    ("occupant", "left"): "muc-occupant-left",
}
# Unix seconds between 2000 and 2200: anything else is not a prosody clock.
EARLIEST, LATEST = 946_684_800, 7_258_118_400


def _text(value: Any, field: str, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EventPayloadError(f"'{field}' must be a string.")
    text = str(value).strip()
    if required and not text:
        raise EventPayloadError(f"'{field}' is required.")
    return text


def _instant(value: Any, field: str) -> dt.datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise EventPayloadError(f"'{field}' must be a Unix timestamp.")
    if not EARLIEST <= value <= LATEST:
        raise EventPayloadError(f"'{field}' is out of range.")
    return dt.datetime.fromtimestamp(value, tz=dt.UTC)


def _who(session, occupant: dict[str, Any]) -> tuple[Any, str]:
    """(user, attendance role) of an occupant: by the token's user id (a party of the
    session, or someone the join endpoint let in, such as an observer), else by email."""
    user_id = _text(occupant.get("id"), "occupant.id")
    if user_id.isdigit():
        uid = int(user_id)
        person = next((p for p in session_people(session) if p.user_id == uid), None)
        if person is not None:
            return User.objects.get(pk=uid), person.role
        row = Attendance.objects.filter(session_id=session.pk, user_id=uid).first()
        if row is not None:
            return User.objects.get(pk=uid), row.role
    person = session_person_by_email(session, _text(occupant.get("email"), "occupant.email"))
    if person is not None:
        return User.objects.get(pk=person.user_id), person.role
    return None, ""


def _occupant_event(payload: dict, occupant: Any, kind: str) -> dict[str, Any]:
    """One joined or left event of ``occupant``, checked (``attendance_record`` arguments
    without the person)."""
    if not isinstance(occupant, dict):
        raise EventPayloadError("'occupant' must be an object.")
    occupant_jid = _text(occupant.get("occupant_jid"), "occupant.occupant_jid", required=True)
    at_field = "joined_at" if kind == Kind.JOINED else "left_at"
    occurred_at = _instant(occupant.get(at_field), f"occupant.{at_field}")
    breakout = _text(payload.get("breakout_room_id"), "breakout_room_id")
    # The same occupant's same event has the same key in occupant/* and room/destroyed.
    key = "|".join(
        (payload["room_name"], breakout, occupant_jid, kind, str(int(occurred_at.timestamp())))
    )
    return {
        "occupant": occupant,
        "kind": kind,
        "occurred_at": occurred_at,
        "display_name": _text(occupant.get("name"), "occupant.name")[:200],
        "email": _text(occupant.get("email"), "occupant.email")[:254],
        "dedupe_key": f"{NAME}:{hashlib.sha256(key.encode()).hexdigest()}",
        "detail": {"occupant_jid": occupant_jid[:300], "breakout_room_id": breakout[:100]},
    }


def _events(kind: str, action: str, payload: dict) -> list[dict[str, Any]]:
    """Every attendance event a call reports, all checked before any is recorded."""
    if kind == "occupant":
        event_kind = Kind.JOINED if action == "joined" else Kind.LEFT
        return [_occupant_event(payload, payload.get("occupant"), event_kind)]
    if action == "created":
        return []
    # A destroyed room lists everyone who was in it: events a failed delivery lost are
    # filled in; the ones already recorded are recognised by their keys.
    occupants = payload.get("all_occupants") or []
    if not isinstance(occupants, list):
        raise EventPayloadError("'all_occupants' must be a list.")
    events = []
    for occupant in occupants:
        events.append(_occupant_event(payload, occupant, Kind.JOINED))
        if occupant.get("left_at") is not None:
            events.append(_occupant_event(payload, occupant, Kind.LEFT))
    return events


def _record(meeting: Meeting, events: list[dict[str, Any]]) -> str:
    if not events:
        return "ignored"
    recorded = False
    for event in events:
        user, role = _who(meeting.session, event.pop("occupant"))
        stored = attendance_record(
            session=meeting.session, source=NAME, user=user, role=role, **event
        )
        recorded = recorded or stored is not None
    return "recorded" if recorded else "duplicate"


def event_sync_record(*, kind: str, action: str, payload: Any) -> str:
    """Record one event_sync call in the tenant whose room it is.

    Returns "recorded", "duplicate" (a retried delivery) or "ignored" (a room that is not
    one of ours, or an event without attendance). Raises ``EventPayloadError`` for a body
    the component would not send.
    """
    expected = EVENT_NAMES.get((kind, action))
    if expected is None:
        raise EventPayloadError("Unknown event.")
    if not isinstance(payload, dict):
        raise EventPayloadError("The body must be a JSON object.")
    if payload.get("event_name", expected) != expected:
        raise EventPayloadError("'event_name' does not match the endpoint.")
    room_name = _text(payload.get("room_name"), "room_name", required=True).lower()
    events = _events(kind, action, {**payload, "room_name": room_name})
    tenant = route_tenant(provider=NAME, external_id=room_name)
    if tenant is None:
        return "ignored"
    with tenant_context(tenant):
        meeting = (
            Meeting.objects.select_related("session")
            .filter(provider=NAME, room_name=room_name)
            .first()
        )
        if meeting is None:
            return "ignored"
        return _record(meeting, events)
