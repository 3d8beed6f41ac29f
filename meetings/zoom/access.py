"""Whose Zoom account a meeting is made under, and a valid access token for it.

Two kinds of host:

- **The platform's account**: a Server-to-Server OAuth app (account credentials grant).
  Its token lives an hour, has no refresh token, and several may be valid at once (Zoom's
  *Server-to-Server OAuth* guide), so one is kept in the shared cache until shortly
  before it expires and simply fetched again. Meetings are made under ``ZOOM_HOST_USER``.
- **An agency's connection** (``ZoomConnection``, a user-authorized OAuth app): meetings
  are made under that user (``userId`` "me"). Tokens are stored encrypted; the access
  token is refreshed shortly before it expires, and once more if Zoom refuses it anyway.
  Zoom rotates refresh tokens (the old one stops working once used), so the refresh
  happens under the connection's row lock: a second worker waits, then finds the new
  tokens instead of spending the old refresh token and losing the grant.

A grant that no longer works (``invalid_grant``, unreadable tokens, a fresh token refused)
marks the connection revoked and tells the agency's managers (``services``).

The new tokens are saved in the caller's transaction: run provider calls outside any
transaction that may roll back, or a rotated refresh token could be lost with it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from meetings.models import Meeting, MeetingSettings, ZoomConnection
from meetings.providers.base import AuthRevokedError, NotConfiguredError
from meetings.zoom import api
from meetings.zoom.api import UnauthorizedError
from scheduling.calendars.crypto import TokenUnreadableError, token_decrypt, token_encrypt

__all__ = ["ZoomHost", "host_for_meeting", "host_for_new_meeting", "platform_configured"]

logger = logging.getLogger(__name__)
T = TypeVar("T")

CACHE = "ratelimit"
# Refresh this long before Zoom's stated expiry (clocks, slow calls).
EXPIRY_MARGIN = dt.timedelta(seconds=120)
# Keep the platform's token in the cache until this long before it expires.
PLATFORM_TOKEN_MARGIN = 5 * 60


def platform_configured() -> bool:
    """Whether the platform's own Zoom account (Server-to-Server OAuth) is set up."""
    return bool(
        settings.ZOOM_ACCOUNT_ID
        and settings.ZOOM_CLIENT_ID
        and settings.ZOOM_CLIENT_SECRET
        and settings.ZOOM_HOST_USER
    )


# The platform's token ----------------------------------------------------------------------


def _platform_key() -> str:
    client = hashlib.sha256(
        f"{settings.ZOOM_ACCOUNT_ID}:{settings.ZOOM_CLIENT_ID}".encode()
    ).hexdigest()[:24]
    return f"meetings:zoom:s2s-token:{client}"


def _platform_token(*, stale: str = "") -> str:
    """The cached account-credentials token, fetched anew when missing or refused."""
    cache = caches[CACHE]
    key = _platform_key()
    token = cache.get(key)
    if token and token != stale:
        return token
    grant = api.token_account_credentials()
    lifetime = (
        int((grant.expires_at - timezone.now()).total_seconds()) if grant.expires_at else 3600
    )
    cache.set(key, grant.access_token, timeout=max(30, lifetime - PLATFORM_TOKEN_MARGIN))
    return grant.access_token


# A connection's tokens ---------------------------------------------------------------------


def _fresh(row: ZoomConnection) -> str:
    """The stored access token if it is readable and not about to expire, else ""."""
    try:
        token = token_decrypt(row.access_token)
    except TokenUnreadableError:
        return ""
    expires = row.access_expires_at
    if not token or (expires is not None and expires <= timezone.now() + EXPIRY_MARGIN):
        return ""
    return token


def _connection_token(connection_id: int, *, stale: str = "") -> str:
    row = ZoomConnection.objects.filter(pk=connection_id).first()
    if row is None or row.status != ZoomConnection.Status.ACTIVE:
        raise AuthRevokedError("This Zoom connection was removed or needs reconnecting.")
    token = _fresh(row)
    if token and token != stale:
        return token
    return _connection_refresh(connection_id, stale=stale)


def _connection_refresh(connection_id: int, *, stale: str) -> str:
    """Trade the refresh token for new tokens under the row lock; save both, encrypted."""
    with transaction.atomic():
        row = ZoomConnection.objects.select_for_update().filter(pk=connection_id).first()
        if row is None or row.status != ZoomConnection.Status.ACTIVE:
            raise AuthRevokedError("This Zoom connection was removed or needs reconnecting.")
        token = _fresh(row)
        if token and token != stale:
            return token  # another worker refreshed while we waited for the lock
        try:
            refresh_token = token_decrypt(row.refresh_token)
        except TokenUnreadableError as error:
            raise AuthRevokedError("The stored Zoom credentials can no longer be read.") from error
        if not refresh_token:
            raise AuthRevokedError("No Zoom refresh token is stored for this connection.")
        grant = api.token_refresh(refresh_token=refresh_token)
        row.access_token = token_encrypt(grant.access_token)
        row.access_expires_at = grant.expires_at
        fields = ["access_token", "access_expires_at", "updated_at"]
        if grant.refresh_token:
            row.refresh_token = token_encrypt(grant.refresh_token)
            fields.append("refresh_token")
        if grant.scope:
            row.scope = grant.scope
            fields.append("scope")
        row.save(update_fields=fields)
        return grant.access_token


# Hosts -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZoomHost:
    """A Zoom user meetings are made under, with the credentials that reach it."""

    # The API's ``userId`` path segment: "me" for a connection, else the host's email.
    user_id: str
    # Saved on the meeting (``Meeting.host_account``): the Zoom user's email or id.
    account: str
    # Zoom counts meeting writes per user: ours are counted under this name.
    quota_key: str
    connection_id: int | None = None

    def call(self, operation: Callable[[str], T]) -> T:
        """``operation(access_token)``; on 401 the token is renewed once and it is retried.

        ``AuthRevokedError`` when the grant no longer works (the connection is marked).
        """
        try:
            token = self._token()
            try:
                return operation(token)
            except UnauthorizedError:
                token = self._token(stale=token)
            try:
                return operation(token)
            except UnauthorizedError as error:
                raise AuthRevokedError(
                    "Zoom refused a freshly issued access token.", status=error.status
                ) from error
        except AuthRevokedError as error:
            if self.connection_id is not None:
                from meetings.zoom.services import connection_revoked

                connection_revoked(connection_id=self.connection_id, reason=error.message)
            raise

    def _token(self, *, stale: str = "") -> str:
        if self.connection_id is None:
            return _platform_token(stale=stale)
        return _connection_token(self.connection_id, stale=stale)


def _platform_host() -> ZoomHost:
    user = settings.ZOOM_HOST_USER
    return ZoomHost(user_id=user, account=user, quota_key=f"user:{user.lower()}")


def _connection_host(row: ZoomConnection) -> ZoomHost:
    return ZoomHost(
        user_id="me",
        account=row.email or row.zoom_user_id,
        quota_key=f"user:{row.zoom_user_id}",
        connection_id=row.pk,
    )


def host_for_new_meeting() -> ZoomHost:
    """The agency's connection when it chose one and it works, else the platform's account."""
    if db.schema_name != settings.PUBLIC_SCHEMA_NAME:
        chosen = MeetingSettings.current().zoom_connection
        if chosen is not None and chosen.status == ZoomConnection.Status.ACTIVE:
            return _connection_host(chosen)
    if not platform_configured():
        raise NotConfiguredError(
            "Zoom is not set up: connect the agency's Zoom account, or configure the "
            "platform's (ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET, ZOOM_HOST_USER)."
        )
    return _platform_host()


def host_for_meeting(meeting: Meeting) -> ZoomHost | None:
    """The host ``meeting`` was made under, whatever the agency uses now.

    None when that was a connection since removed: the meeting is out of our reach.
    """
    if meeting.zoom_connection_id is not None:
        row = ZoomConnection.objects.filter(pk=meeting.zoom_connection_id).first()
        if row is not None:
            return _connection_host(row)
        return None
    host = (meeting.host_account or "").strip().lower()
    if host and host != (settings.ZOOM_HOST_USER or "").strip().lower():
        return None
    if not platform_configured():
        raise NotConfiguredError("The platform's Zoom account is not configured.")
    return _platform_host()
