"""What every calendar provider adapter offers, the errors it raises, and its HTTP plumbing.

An adapter speaks one provider's documented OAuth 2.0 and calendar endpoints; it holds no
state and never touches the database. Tokens are handed to it per call (``access.py``
keeps them fresh), and it answers with plain values (``TokenGrant``, event ids, busy
periods) or one of the errors below, which decide what the sync does next:

- ``AuthRevokedError``: the grant is gone (revoked, expired, unreadable); the user must
  reconnect. Never retried.
- ``UnauthorizedError``: the access token was refused (401); refresh it and try once more.
- ``RateLimitedError`` / ``TransientError``: try again later (``retry_after`` seconds when the
  provider said so).
- ``CalendarError``: anything else the provider refused; recorded, not retried.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from dataclasses import dataclass
from typing import Any, ClassVar

import requests
from django.conf import settings
from django.utils import timezone

__all__ = [
    "AuthRevokedError",
    "BusyPeriod",
    "CalendarAdapter",
    "CalendarError",
    "EventDetails",
    "RateLimitedError",
    "RetryLaterError",
    "TokenGrant",
    "TransientError",
    "UnauthorizedError",
]

CONNECT_TIMEOUT = 5
MAX_RETRY_AFTER = 6 * 60 * 60

BusyPeriod = tuple[dt.datetime, dt.datetime]


class CalendarError(Exception):
    """A calendar provider refused or failed a request."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AuthRevokedError(CalendarError):
    """The user's grant no longer works: they must connect the calendar again."""


class UnauthorizedError(CalendarError):
    """The access token was refused (HTTP 401): refresh it and try once more."""


class RetryLaterError(CalendarError):
    """Worth trying again after ``retry_after`` seconds (None: back off exponentially)."""

    def __init__(self, message: str, *, retry_after: int | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class RateLimitedError(RetryLaterError):
    """Too many requests (429, or Google's 403 rate-limit reasons)."""


class TransientError(RetryLaterError):
    """The provider or the network failed for now (5xx, timeout)."""


@dataclass(frozen=True)
class TokenGrant:
    """Tokens from a token endpoint; ``refresh_token`` is empty when none was issued."""

    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None
    scope: str
    account_email: str = ""


@dataclass(frozen=True)
class EventDetails:
    """A session as an event: what the calendar shows (never private notes)."""

    title: str
    description: str
    url: str
    starts_at: dt.datetime  # aware
    ends_at: dt.datetime
    time_zone: str  # IANA name the times are shown in
    # Stable per session and connection: lets a retried create find its first attempt.
    key: str


def retry_after_seconds(response: requests.Response) -> int | None:
    """The ``Retry-After`` header (seconds or an HTTP date) as seconds, if present."""
    value = (response.headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return min(int(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0, min(int((when - timezone.now()).total_seconds()), MAX_RETRY_AFTER))


def expires_at(seconds: Any) -> dt.datetime | None:
    try:
        return timezone.now() + dt.timedelta(seconds=int(seconds))
    except (TypeError, ValueError):
        return None


def json_of(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class CalendarAdapter:
    """One provider's OAuth and calendar endpoints (see the module doc for the errors)."""

    provider: ClassVar[str]
    # Scopes the calendar sync cannot work without (checked against what was granted).
    required_scopes: ClassVar[frozenset[str]]

    # Configuration -----------------------------------------------------------------------

    def client_id(self) -> str:
        raise NotImplementedError

    def client_secret(self) -> str:
        raise NotImplementedError

    def is_configured(self) -> bool:
        return bool(self.client_id() and self.client_secret())

    # OAuth ---------------------------------------------------------------------------------

    def authorization_url(self, *, state: str, code_challenge: str, redirect_uri: str) -> str:
        """Where to send the browser to ask the user for access (PKCE S256)."""
        raise NotImplementedError

    def code_exchange(self, *, code: str, code_verifier: str, redirect_uri: str) -> TokenGrant:
        """Tokens for the authorization code the provider returned to the callback."""
        raise NotImplementedError

    def token_refresh(self, *, refresh_token: str) -> TokenGrant:
        """A new access token (and, for some providers, a new refresh token)."""
        raise NotImplementedError

    def token_revoke(self, *, token: str) -> bool:
        """Revoke the grant at the provider where it documents how; False if it cannot."""
        return False

    def missing_scopes(self, granted: str) -> set[str]:
        have = {self.scope_name(scope) for scope in granted.split()}
        return {scope for scope in self.required_scopes if self.scope_name(scope) not in have}

    @staticmethod
    def scope_name(scope: str) -> str:
        return scope.strip().lower()

    # Calendar ------------------------------------------------------------------------------

    def event_create(self, *, access_token: str, calendar_id: str, event: EventDetails) -> str:
        """Add ``event``; return its id. A retry of the same create makes no duplicate."""
        raise NotImplementedError

    def event_update(
        self, *, access_token: str, calendar_id: str, event_id: str, event: EventDetails
    ) -> str:
        """Bring the event in line with ``event``; recreate it if the user deleted it.

        Returns the event's id (a new one when it was recreated).
        """
        raise NotImplementedError

    def event_delete(self, *, access_token: str, calendar_id: str, event_id: str) -> None:
        """Remove the event; one already gone is fine."""
        raise NotImplementedError

    def busy_times(
        self,
        *,
        access_token: str,
        calendar_id: str,
        start: dt.datetime,
        end: dt.datetime,
        ignore_event_ids: frozenset[str] = frozenset(),
    ) -> list[BusyPeriod]:
        """Busy periods (UTC) overlapping [start, end), at most ~60 days at a time."""
        raise NotImplementedError

    # HTTP ----------------------------------------------------------------------------------

    def send(
        self,
        method: str,
        url: str,
        *,
        access_token: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs,
    ) -> requests.Response:
        """One request with timeouts; network failures become ``TransientError``."""
        headers = {"Accept": "application/json", **(headers or {})}
        if access_token is not None:
            headers["Authorization"] = f"Bearer {access_token}"
        try:
            return requests.request(
                method,
                url,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, settings.CALENDAR_HTTP_TIMEOUT),
                allow_redirects=False,
                **kwargs,
            )
        except requests.RequestException as error:
            raise TransientError(
                f"{self.display_name} could not be reached ({type(error).__name__})."
            ) from error

    @property
    def display_name(self) -> str:
        from scheduling.models import CalendarConnection

        return CalendarConnection.Provider(self.provider).label

    def raise_for_status(self, response: requests.Response, *, ok=(200, 201, 204)) -> None:
        """Turn a failed answer of the calendar API into the matching error."""
        status = response.status_code
        if status in ok:
            return
        if status == 401:
            raise UnauthorizedError(f"{self.display_name} refused the access token.", status=status)
        if status == 429 or self.is_rate_limit(response):
            raise RateLimitedError(
                f"{self.display_name} asked us to slow down.",
                retry_after=retry_after_seconds(response),
                status=status,
            )
        if status >= 500:
            raise TransientError(
                f"{self.display_name} failed for now (HTTP {status}).",
                retry_after=retry_after_seconds(response),
                status=status,
            )
        raise CalendarError(
            f"{self.display_name} refused the request (HTTP {status}): "
            f"{self.error_message(response)}",
            status=status,
        )

    def raise_for_token_error(self, response: requests.Response, *, exchanging: bool) -> dict:
        """The token endpoint's JSON answer, or the matching error.

        RFC 6749 §5.2: a refused grant is 400 ``invalid_grant``; for a refresh it means
        the user revoked access (or it expired), for a code exchange a bad or used code.
        """
        body = json_of(response)
        if response.status_code == 200 and body.get("access_token"):
            return body
        if response.status_code == 429 or response.status_code >= 500:
            self.raise_for_status(response, ok=())
        code = str(body.get("error") or "")
        message = str(body.get("error_description") or code or f"HTTP {response.status_code}")
        if not exchanging and code in self.revoked_errors:
            raise AuthRevokedError(
                f"{self.display_name} no longer grants access ({code}).",
                status=response.status_code,
            )
        raise CalendarError(
            f"{self.display_name} refused the authorization: {message}",
            status=response.status_code,
        )

    # invalid_grant: revoked or expired; the others ask for the user to act again. (Not
    # invalid_client: that is our own configuration, which no user can fix.)
    revoked_errors: ClassVar[frozenset[str]] = frozenset(
        {"invalid_grant", "interaction_required", "consent_required"}
    )

    def is_rate_limit(self, response: requests.Response) -> bool:
        return False

    def error_message(self, response: requests.Response) -> str:
        error = json_of(response).get("error")
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or "")[:300]
        return str(error or response.reason or "")[:300]
