"""What every meeting provider offers, the values it trades in, and the errors it raises.

A provider makes, moves and removes the video room of one session and says how a person
enters it. It is chosen per tenant (``MeetingSettings.provider``) from
``settings.MEETING_PROVIDERS``. It never decides who may join or when: the join service
has checked that before ``join_target`` is called.

Errors decide what the lifecycle task does next:

- ``RetryLaterError`` (``RateLimitedError``, ``TransientError``): try again after
  ``retry_after`` seconds, else with exponential backoff.
- ``AuthRevokedError``: the agency's grant is gone; staff must reconnect. Not retried.
- ``NotConfiguredError``: the platform lacks the provider's settings. Not retried.
- ``MeetingError``: anything else the provider refused; recorded, not retried.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from meetings.models import Meeting

__all__ = [
    "AuthRevokedError",
    "JoinTarget",
    "MeetingDetails",
    "MeetingError",
    "MeetingInfo",
    "MeetingProvider",
    "NotConfiguredError",
    "Participant",
    "RateLimitedError",
    "RetryLaterError",
    "TransientError",
]


class MeetingError(Exception):
    """A meeting provider refused or failed a request."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class NotConfiguredError(MeetingError):
    """The provider's settings (domain, app id, secrets) are missing."""


class AuthRevokedError(MeetingError):
    """The account's grant no longer works: it must be connected again."""


class RetryLaterError(MeetingError):
    """Worth trying again after ``retry_after`` seconds (None: back off exponentially)."""

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimitedError(RetryLaterError):
    """Too many requests (HTTP 429, or our own count of the provider's daily limit)."""


class TransientError(RetryLaterError):
    """The provider or the network failed for now (5xx, timeout)."""


@dataclass(frozen=True)
class MeetingDetails:
    """A session as a meeting: what the provider is told (never private notes)."""

    # Stable per session and tenant ("<schema>-<session id>"): lets a retried create find
    # its first attempt instead of making a second meeting.
    key: str
    topic: str
    agenda: str
    starts_at: dt.datetime  # aware
    ends_at: dt.datetime
    time_zone: str  # IANA name of the tutor's zone
    host_name: str
    host_email: str


@dataclass(frozen=True)
class MeetingInfo:
    """What the provider made: saved on the ``Meeting``."""

    room_name: str = ""
    external_id: str = ""
    join_url: str = ""
    passcode: str = ""
    host_account: str = ""


@dataclass(frozen=True)
class Participant:
    """Who is entering, with the part they play in the room."""

    MODERATOR: ClassVar[str] = "moderator"  # the tutor: runs the room
    PARTICIPANT: ClassVar[str] = "participant"  # student, parent
    OBSERVER: ClassVar[str] = "observer"  # agency staff

    user_id: int
    name: str
    email: str
    role: str
    avatar_url: str = ""


@dataclass(frozen=True)
class JoinTarget:
    """Where a checked person goes: a redirect (Zoom) or the embedded meeting page (Jitsi).

    ``embed`` holds what the meeting page needs (domain, room, token, password, ...);
    ``expires_at`` is when the credential handed out stops working.
    """

    redirect_url: str = ""
    embed: dict[str, Any] = field(default_factory=dict)
    expires_at: dt.datetime | None = None


class MeetingProvider:
    """One provider's meeting endpoints (see the module doc for the errors)."""

    name: ClassVar[str]
    label: ClassVar[str]

    def is_configured(self) -> bool:
        raise NotImplementedError

    def meeting_create(self, *, meeting: Meeting, details: MeetingDetails) -> MeetingInfo:
        """Make the room for ``meeting.session``. A retry of the same create (same
        ``details.key``) must not leave a second meeting behind."""
        raise NotImplementedError

    def meeting_update(self, *, meeting: Meeting, details: MeetingDetails) -> MeetingInfo:
        """Bring the room in line with ``details`` (moved, retitled); recreate it if it is
        gone at the provider. Returns what is now true of it."""
        raise NotImplementedError

    def meeting_delete(self, *, meeting: Meeting) -> None:
        """Remove the room; one already gone is fine."""
        raise NotImplementedError

    def join_target(
        self,
        *,
        meeting: Meeting,
        participant: Participant,
        not_before: dt.datetime,
        not_after: dt.datetime,
    ) -> JoinTarget:
        """How ``participant`` enters now; any credential is valid only inside
        [``not_before``, ``not_after``] (the session's join window)."""
        raise NotImplementedError
