"""Zoom meetings: made under the agency's connected Zoom user, else the platform's account.

Each session gets a scheduled meeting (``type`` 2) with a waiting room, join before host
off, participants muted on entry, no registration (``approval_type`` 2) and no automatic
recording (the host starts one; its links are kept only with consent), and a passcode we
generate: at most 10 characters from ``[a-zA-Z0-9@-_*]`` (Zoom's *Create a meeting*
reference), mixing lower and upper case letters, digits and a symbol so accounts that
require each kind accept it. ``start_time`` is sent in UTC (``yyyy-MM-ddTHH:mm:ssZ``) with
the tutor's ``timezone`` for display.

**Retried creates make no duplicate.** Zoom's create endpoint takes no idempotency key.
The first line of each meeting's agenda carries a marker of ``details.key``; before a
create is sent, a flag is set in the shared cache. When a create runs again with the flag
present (the first attempt may have reached Zoom even though its answer was lost, e.g. a
timeout), the host's unexpired scheduled meetings around the session's date are listed
first (``GET /users/{userId}/meetings?type=scheduled``, whose items include the agenda cut
to 250 characters, which is why the marker comes first) and a meeting bearing the marker
is taken over, moved if its time differs, instead of making a second one.

**Limits.** Every create or update is counted per host user and UTC day before it is
sent (``meetings.zoom.throttle``: Zoom allows 100 a day per user, reset at 00:00 UTC);
Zoom's own 429s become ``RateLimitedError`` with its ``Retry-After``.

**Which account.** New meetings use ``MeetingSettings.zoom_connection`` when it is set and
active, else the platform's account; the meeting records the connection and host used,
and later updates, deletes and joins go through that same account.

**Joining.** The tutor (moderator) is sent to a ``start_url`` fetched at that moment (it
carries a short-lived host key, so it is never stored); everyone else to the stored
``join_url``, which carries the encoded passcode and lands in the waiting room.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import string

from django.conf import settings
from django.core.cache import caches
from django.db import connection as db

from meetings.models import Meeting, MeetingSettings, ZoomConnection
from meetings.providers.base import (
    JoinTarget,
    MeetingDetails,
    MeetingError,
    MeetingInfo,
    MeetingProvider,
    Participant,
)
from meetings.zoom import api
from meetings.zoom.access import (
    ZoomHost,
    host_for_meeting,
    host_for_new_meeting,
    platform_configured,
)
from meetings.zoom.api import DailyLimitError, MeetingGoneError
from meetings.zoom.throttle import writes_exhausted, writes_reserve

__all__ = ["ZoomProvider", "agenda_marker", "passcode_generate"]

TOPIC_LIMIT = 200
# The list endpoint returns the first 250 characters of an agenda.
AGENDA_LIMIT = 250
PASSCODE_LENGTH = 10
PASSCODE_SYMBOLS = "@-_*"
CREATE_FLAG_TTL = 14 * 24 * 60 * 60


def passcode_generate() -> str:
    """A 10-character passcode Zoom accepts, with every kind of character in it."""
    letters = string.ascii_letters + string.digits
    chosen = [
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.digits),
        secrets.choice(PASSCODE_SYMBOLS),
        *(secrets.choice(letters) for _ in range(PASSCODE_LENGTH - 4)),
    ]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


def agenda_marker(key: str) -> str:
    return f"EduConnect ref {key}"


def _utc(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _minutes(details: MeetingDetails) -> int:
    return max(1, math.ceil((details.ends_at - details.starts_at).total_seconds() / 60))


def _agenda(details: MeetingDetails) -> str:
    marker = agenda_marker(details.key)
    room = AGENDA_LIMIT - len(marker) - 1
    text = (details.agenda or "").strip()
    if len(text) > room:
        text = text[: max(0, room - 1)].rstrip() + "…"
    return f"{marker}\n{text}" if text else marker


def _schedule(details: MeetingDetails) -> dict:
    return {
        "topic": details.topic[:TOPIC_LIMIT],
        "start_time": _utc(details.starts_at),
        "duration": _minutes(details),
        "timezone": details.time_zone,
    }


def _create_body(details: MeetingDetails, passcode: str) -> dict:
    return {
        **_schedule(details),
        "type": 2,
        "agenda": _agenda(details),
        "password": passcode,
        "default_password": False,
        "settings": {
            "waiting_room": True,
            "join_before_host": False,
            "mute_upon_entry": True,
            "approval_type": 2,
            "auto_recording": "none",
        },
    }


def _parse(value) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _flag_key(key: str) -> str:
    return f"meetings:zoom:create:{key}"


class ZoomProvider(MeetingProvider):
    name = "zoom"
    label = "Zoom"

    def is_configured(self) -> bool:
        if platform_configured():
            return True
        if db.schema_name == settings.PUBLIC_SCHEMA_NAME:
            return False
        chosen = MeetingSettings.current().zoom_connection
        return chosen is not None and chosen.status == ZoomConnection.Status.ACTIVE

    # Create ------------------------------------------------------------------------------

    def meeting_create(self, *, meeting: Meeting, details: MeetingDetails) -> MeetingInfo:
        host = host_for_new_meeting()
        flags = caches["ratelimit"]
        if flags.get(_flag_key(details.key)):
            found = self._find(host, details)
            if found is not None:
                return self._adopt(meeting, host, found, details)
        self._reserve(host)
        passcode = passcode_generate()
        flags.set(_flag_key(details.key), 1, timeout=CREATE_FLAG_TTL)
        created = self._write(
            host,
            lambda token: api.meeting_create(
                token=token, user_id=host.user_id, body=_create_body(details, passcode)
            ),
        )
        self._record(meeting, host)
        return self._info(host, created, passcode)

    def _find(self, host: ZoomHost, details: MeetingDetails) -> dict | None:
        """The host's meeting bearing the marker of ``details.key``, if an earlier attempt
        made one."""
        marker = agenda_marker(details.key)
        day = details.starts_at.astimezone(dt.UTC).date()

        def search(token: str) -> dict | None:
            for item in api.meetings_list(
                token=token,
                user_id=host.user_id,
                day_from=day - dt.timedelta(days=1),
                day_to=day + dt.timedelta(days=1),
            ):
                lines = str(item.get("agenda") or "").splitlines()
                if lines and lines[0].strip() == marker:
                    return item
            return None

        return host.call(search)

    def _adopt(
        self, meeting: Meeting, host: ZoomHost, found: dict, details: MeetingDetails
    ) -> MeetingInfo:
        meeting_id = str(found["id"])
        current = host.call(lambda token: api.meeting_get(token=token, meeting_id=meeting_id))
        if (
            _parse(current.get("start_time")) != details.starts_at.astimezone(dt.UTC)
            or current.get("duration") != _minutes(details)
            or current.get("topic") != details.topic[:TOPIC_LIMIT]
        ):
            self._reserve(host)
            self._write(
                host,
                lambda token: api.meeting_update(
                    token=token, meeting_id=meeting_id, body=_schedule(details)
                ),
            )
        self._record(meeting, host)
        return self._info(host, current, "")

    # Update and delete -------------------------------------------------------------------

    def meeting_update(self, *, meeting: Meeting, details: MeetingDetails) -> MeetingInfo:
        host = host_for_meeting(meeting)
        if host is None or not meeting.external_id:
            # Made under a connection since removed (or never made): make it anew.
            return self.meeting_create(meeting=meeting, details=details)
        self._reserve(host)
        try:
            self._write(
                host,
                lambda token: api.meeting_update(
                    token=token, meeting_id=meeting.external_id, body=_schedule(details)
                ),
            )
        except MeetingGoneError:
            return self.meeting_create(meeting=meeting, details=details)
        if meeting.join_url and meeting.passcode:
            return MeetingInfo(
                external_id=meeting.external_id,
                join_url=meeting.join_url,
                passcode=meeting.passcode,
                host_account=host.account,
            )
        current = host.call(
            lambda token: api.meeting_get(token=token, meeting_id=meeting.external_id)
        )
        return self._info(host, current, meeting.passcode)

    def meeting_delete(self, *, meeting: Meeting) -> None:
        host = host_for_meeting(meeting)
        if host is None or not meeting.external_id:
            return
        try:
            host.call(lambda token: api.meeting_delete(token=token, meeting_id=meeting.external_id))
        except MeetingGoneError:
            return

    # Joining -----------------------------------------------------------------------------

    def join_target(
        self,
        *,
        meeting: Meeting,
        participant: Participant,
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> JoinTarget:
        if participant.role != Participant.MODERATOR:
            if not meeting.join_url:
                raise MeetingError("This Zoom meeting has no join link yet.")
            return JoinTarget(redirect_url=meeting.join_url, expires_at=not_after)
        host = host_for_meeting(meeting)
        if host is None or not meeting.external_id:
            raise MeetingError("The Zoom account this meeting was made under is not connected.")
        current = host.call(
            lambda token: api.meeting_get(token=token, meeting_id=meeting.external_id)
        )
        start_url = str(current.get("start_url") or "")
        if not start_url:
            raise MeetingError("Zoom did not give a link to start this meeting.")
        return JoinTarget(redirect_url=start_url, expires_at=not_after)

    # Plumbing ----------------------------------------------------------------------------

    @staticmethod
    def _reserve(host: ZoomHost) -> None:
        writes_reserve(host.quota_key)

    @staticmethod
    def _write(host: ZoomHost, operation):
        """A meeting create or update; Zoom's word that the day's writes are used up is
        remembered so no further one is sent before midnight UTC."""
        try:
            return host.call(operation)
        except DailyLimitError:
            writes_exhausted(host.quota_key)
            raise

    @staticmethod
    def _record(meeting: Meeting, host: ZoomHost) -> None:
        """Remember on the meeting which account it lives in (updates and joins go there)."""
        meeting.zoom_connection_id = host.connection_id
        meeting.host_account = host.account
        if meeting.pk is not None:
            Meeting.objects.filter(pk=meeting.pk).update(
                zoom_connection_id=host.connection_id, host_account=host.account
            )

    @staticmethod
    def _info(host: ZoomHost, body: dict, passcode: str) -> MeetingInfo:
        return MeetingInfo(
            external_id=str(body["id"]),
            join_url=str(body.get("join_url") or ""),
            passcode=str(body.get("password") or passcode)[:32],
            host_account=host.account,
        )
