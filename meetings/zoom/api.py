"""Zoom's HTTP endpoints, as documented, with Zoom's answers turned into the provider
errors of ``meetings.providers.base``. Stateless: tokens are handed in per call
(``access.py`` keeps them fresh) and nothing here touches the database.

What this follows (developers.zoom.us):

- *Using Zoom APIs* / *API reference*: REST API v2 at ``ZOOM_API_URL``
  (``https://api.zoom.us/v2``), ``Authorization: Bearer <token>``, tokens valid one hour.
- *OAuth 2.0 for Zoom* and *Server-to-Server OAuth*: the token endpoint
  ``{ZOOM_OAUTH_URL}/token`` authenticates the client with HTTP Basic
  (``client_id:client_secret``) and takes a form body: ``grant_type=account_credentials``
  with ``account_id`` (no refresh token; several tokens may be valid at once),
  ``authorization_code`` with ``code``, ``redirect_uri`` and the PKCE ``code_verifier``,
  and ``refresh_token`` (each refresh returns a new refresh token; the previous one stops
  working). ``{ZOOM_OAUTH_URL}/revoke`` takes ``token``. The browser is sent to
  ``{ZOOM_OAUTH_URL}/authorize`` with ``response_type=code``, ``client_id``,
  ``redirect_uri``, ``state``, ``code_challenge`` and ``code_challenge_method=S256``.
- *Error codes*: a JSON body ``{"code": ..., "message": ...}``; 401 for an invalid or
  expired access token (code 124); 404 with code 3001 when a meeting does not exist
  (other 404s, such as code 1001 for an unknown user, are refusals, not a missing meeting).
- *Rate limits*: HTTP 429; ``Retry-After`` (seconds, or an instant such as
  ``2020-05-31T00:00:00Z`` for daily limits) and ``X-RateLimit-Type: Daily-limit``; the
  per-user limit of 100 meeting create/update requests a day answers "You have exceeded
  the daily rate limit (100) of Meeting Create/Update API requests permitted for this
  particular user. You may resume these requests at GMT 00:00:00."
- *Meetings*: ``POST /users/{userId}/meetings``, ``GET /users/{userId}/meetings``
  (``type``, ``page_size`` up to 300, ``next_page_token``, ``from``/``to``; each item's
  ``agenda`` cut to 250 characters), ``GET``/``PATCH``/``DELETE /meetings/{meetingId}``
  (PATCH and DELETE answer 204). *Users*: ``GET /users/me``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.utils import timezone

from meetings.providers.base import (
    AuthRevokedError,
    MeetingError,
    NotConfiguredError,
    RateLimitedError,
    TransientError,
)
from meetings.zoom.throttle import seconds_until_utc_midnight
from scheduling.calendars.base import expires_at, json_of, retry_after_seconds

__all__ = [
    "DailyLimitError",
    "MeetingGoneError",
    "TokenGrant",
    "UnauthorizedError",
    "authorization_url",
    "code_exchange",
    "meeting_create",
    "meeting_delete",
    "meeting_get",
    "meeting_update",
    "meetings_list",
    "token_account_credentials",
    "token_refresh",
    "token_revoke",
    "user_me",
]

CONNECT_TIMEOUT = 5
# Zoom's "Meeting does not exist" (and "not found or has expired").
MEETING_NOT_FOUND = 3001
LIST_PAGE_SIZE = 300
LIST_MAX_PAGES = 10
# A Retry-After further away than this is not believed (a daily limit resets within a day).
MAX_RETRY_AFTER = 26 * 60 * 60


class UnauthorizedError(MeetingError):
    """Zoom refused the access token (401): refresh it and try once more."""


class MeetingGoneError(MeetingError):
    """The meeting no longer exists at Zoom (404, or error code 3001)."""


class DailyLimitError(RateLimitedError):
    """A daily limit (for meeting writes: the host user's 100 a day) is used up."""


@dataclass(frozen=True)
class TokenGrant:
    """An answer of the token endpoint; ``refresh_token`` is empty for account credentials."""

    access_token: str
    refresh_token: str
    expires_at: dt.datetime | None
    scope: str


# HTTP --------------------------------------------------------------------------------------


def _send(method: str, url: str, *, token: str | None = None, **kwargs) -> requests.Response:
    """One request with timeouts; network failures become ``TransientError``."""
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    try:
        return requests.request(
            method,
            url,
            headers=headers,
            timeout=(CONNECT_TIMEOUT, settings.MEETING_HTTP_TIMEOUT),
            allow_redirects=False,
            **kwargs,
        )
    except requests.RequestException as error:
        raise TransientError(f"Zoom could not be reached ({type(error).__name__}).") from error


def _api(path: str) -> str:
    return f"{settings.ZOOM_API_URL.rstrip('/')}/{path.lstrip('/')}"


def _oauth(path: str) -> str:
    return f"{settings.ZOOM_OAUTH_URL.rstrip('/')}/{path.lstrip('/')}"


def _message(response: requests.Response) -> str:
    body = json_of(response)
    text = body.get("message") or body.get("reason") or body.get("error_description")
    return str(text or body.get("error") or response.reason or "")[:300]


def _retry_after(response: requests.Response, *, daily: bool) -> int | None:
    """Seconds to wait: ``Retry-After`` as seconds, an HTTP date or an ISO 8601 instant;
    for a daily limit without one, until midnight UTC."""
    seconds = retry_after_seconds(response)
    if seconds is not None:
        return seconds
    value = (response.headers.get("Retry-After") or "").strip()
    if value:
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
            return max(1, min(int((when - timezone.now()).total_seconds()), MAX_RETRY_AFTER))
    return seconds_until_utc_midnight() if daily else None


def _is_daily(response: requests.Response) -> bool:
    kind = (response.headers.get("X-RateLimit-Type") or "").lower()
    return kind.startswith("daily") or "daily rate limit" in _message(response).lower()


def _check(response: requests.Response, *, ok=(200, 201, 204)) -> None:
    """Turn a failed answer of the REST API into the matching error."""
    status = response.status_code
    if status in ok:
        return
    body = json_of(response)
    message = _message(response)
    if status == 401:
        raise UnauthorizedError(f"Zoom refused the access token: {message}", status=status)
    if status == 429:
        daily = _is_daily(response)
        error = DailyLimitError if daily else RateLimitedError
        raise error(
            f"Zoom asked us to slow down: {message}",
            retry_after=_retry_after(response, daily=daily),
            status=status,
        )
    if status >= 500:
        raise TransientError(
            f"Zoom failed for now (HTTP {status}).",
            retry_after=retry_after_seconds(response),
            status=status,
        )
    if body.get("code") == MEETING_NOT_FOUND or (status == 404 and "code" not in body):
        raise MeetingGoneError(f"Zoom does not know this meeting: {message}", status=status)
    raise MeetingError(f"Zoom refused the request (HTTP {status}): {message}", status=status)


# OAuth -------------------------------------------------------------------------------------


def authorization_url(*, state: str, code_challenge: str, redirect_uri: str) -> str:
    """Where to send the browser to ask a Zoom user for access (PKCE S256)."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.ZOOM_OAUTH_CLIENT_ID,
            "redirect_uri": redirect_uri,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{_oauth('authorize')}?{query}"


def _grant(body: dict) -> TokenGrant:
    return TokenGrant(
        access_token=str(body["access_token"]),
        refresh_token=str(body.get("refresh_token") or ""),
        expires_at=expires_at(body.get("expires_in")),
        scope=str(body.get("scope") or ""),
    )


def _token_request(data: dict, *, client: tuple[str, str]) -> tuple[requests.Response, dict]:
    response = _send("POST", _oauth("token"), data=data, auth=client)
    body = json_of(response)
    if response.status_code == 200 and body.get("access_token"):
        return response, body
    if response.status_code == 429 or response.status_code >= 500:
        _check(response, ok=())
    return response, body


def _user_app() -> tuple[str, str]:
    if not (settings.ZOOM_OAUTH_CLIENT_ID and settings.ZOOM_OAUTH_CLIENT_SECRET):
        raise NotConfiguredError("Zoom's OAuth app (ZOOM_OAUTH_CLIENT_ID/SECRET) is not set.")
    return settings.ZOOM_OAUTH_CLIENT_ID, settings.ZOOM_OAUTH_CLIENT_SECRET


def token_account_credentials() -> TokenGrant:
    """A token of the platform's Server-to-Server OAuth app (account credentials grant)."""
    if not (settings.ZOOM_ACCOUNT_ID and settings.ZOOM_CLIENT_ID and settings.ZOOM_CLIENT_SECRET):
        raise NotConfiguredError("The platform's Zoom account (ZOOM_ACCOUNT_ID, ...) is not set.")
    response, body = _token_request(
        {"grant_type": "account_credentials", "account_id": settings.ZOOM_ACCOUNT_ID},
        client=(settings.ZOOM_CLIENT_ID, settings.ZOOM_CLIENT_SECRET),
    )
    if body.get("access_token") and response.status_code == 200:
        return _grant(body)
    # Wrong or deactivated credentials: only the platform's operators can fix that.
    raise NotConfiguredError(
        f"Zoom refused the platform's account credentials: {_message(response)}",
        status=response.status_code,
    )


def code_exchange(*, code: str, code_verifier: str, redirect_uri: str) -> TokenGrant:
    """Tokens for the authorization code Zoom sent back to the callback."""
    response, body = _token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": code_verifier,
        },
        client=_user_app(),
    )
    if body.get("access_token") and response.status_code == 200:
        return _grant(body)
    raise MeetingError(
        f"Zoom refused the authorization: {_message(response)}", status=response.status_code
    )


def _revoked(response: requests.Response, body: dict) -> bool:
    """RFC 6749 §5.2 ``invalid_grant``; Zoom also answers an unusable refresh token with
    ``invalid_request`` and the reason "Invalid Token!"."""
    error = str(body.get("error") or "")
    reason = str(body.get("reason") or body.get("error_description") or "").lower()
    return error == "invalid_grant" or (error == "invalid_request" and "invalid token" in reason)


def token_refresh(*, refresh_token: str) -> TokenGrant:
    """A new access token and (Zoom rotates them) a new refresh token."""
    response, body = _token_request(
        {"grant_type": "refresh_token", "refresh_token": refresh_token}, client=_user_app()
    )
    if body.get("access_token") and response.status_code == 200:
        return _grant(body)
    if _revoked(response, body):
        raise AuthRevokedError(
            f"Zoom no longer grants access: {_message(response)}", status=response.status_code
        )
    raise MeetingError(
        f"Zoom refused to refresh the access: {_message(response)}", status=response.status_code
    )


def token_revoke(*, token: str) -> bool:
    """Revoke the grant ``token`` belongs to; True when Zoom confirmed it."""
    response = _send("POST", _oauth("revoke"), data={"token": token}, auth=_user_app())
    return response.status_code == 200


# Users and meetings ------------------------------------------------------------------------


def user_me(*, token: str) -> dict[str, Any]:
    """The Zoom user the token acts for (``id``, ``email``, ``account_id``, ...)."""
    response = _send("GET", _api("users/me"), token=token)
    _check(response, ok=(200,))
    body = json_of(response)
    if not body.get("id"):
        raise MeetingError("Zoom did not say which user connected.")
    return body


def _meeting_path(meeting_id: str) -> str:
    return f"meetings/{quote(str(meeting_id), safe='')}"


def meeting_create(*, token: str, user_id: str, body: dict) -> dict[str, Any]:
    response = _send(
        "POST", _api(f"users/{quote(user_id, safe='@')}/meetings"), token=token, json=body
    )
    _check(response, ok=(201, 200))
    created = json_of(response)
    if not created.get("id") or not created.get("join_url"):
        raise MeetingError("Zoom answered the new meeting without its id or join URL.")
    return created


def meeting_get(*, token: str, meeting_id: str) -> dict[str, Any]:
    response = _send("GET", _api(_meeting_path(meeting_id)), token=token)
    _check(response, ok=(200,))
    return json_of(response)


def meeting_update(*, token: str, meeting_id: str, body: dict) -> None:
    response = _send("PATCH", _api(_meeting_path(meeting_id)), token=token, json=body)
    _check(response, ok=(204, 200))


def meeting_delete(*, token: str, meeting_id: str) -> None:
    """Delete the meeting without emailing its registrants a cancellation."""
    response = _send(
        "DELETE",
        _api(_meeting_path(meeting_id)),
        token=token,
        params={"schedule_for_reminder": "false"},
    )
    _check(response, ok=(204, 200))


def meetings_list(
    *, token: str, user_id: str, day_from: dt.date, day_to: dt.date
) -> Iterator[dict[str, Any]]:
    """The user's unexpired scheduled meetings between two dates (``type=scheduled``)."""
    params: dict[str, Any] = {
        "type": "scheduled",
        "page_size": LIST_PAGE_SIZE,
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
    }
    for _ in range(LIST_MAX_PAGES):
        response = _send(
            "GET", _api(f"users/{quote(user_id, safe='@')}/meetings"), token=token, params=params
        )
        _check(response, ok=(200,))
        body = json_of(response)
        yield from (item for item in body.get("meetings") or [] if isinstance(item, dict))
        following = body.get("next_page_token")
        if not following:
            return
        params = {**params, "next_page_token": following}
