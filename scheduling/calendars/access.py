"""Calling a provider for one connection with a valid access token.

The access token is refreshed shortly before it expires, and once more if the provider
refuses it anyway (401); new tokens are saved, encrypted, on the connection at once. A
refused refresh (``invalid_grant``) or tokens that can no longer be decrypted raise
``AuthRevokedError``: the caller marks the connection as needing a reconnect.

Callers hold the connection's row lock (``select_for_update``), so two tasks never
refresh the same grant at once; Microsoft rotates refresh tokens and the loser of such a
race would otherwise keep an outdated one.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from scheduling.calendars.adapters import adapter_for
from scheduling.calendars.base import (
    AuthRevokedError,
    CalendarAdapter,
    CalendarError,
    RetryLaterError,
    UnauthorizedError,
)
from scheduling.calendars.crypto import TokenUnreadableError, token_decrypt, token_encrypt
from scheduling.models import CalendarConnection

__all__ = ["CalendarAccess", "connection_step"]

logger = logging.getLogger(__name__)
T = TypeVar("T")
ERROR_LIMIT = 1000
# Refresh this long before the provider's stated expiry (clocks and slow calls).
EXPIRY_MARGIN = dt.timedelta(seconds=90)


class CalendarAccess:
    """One connection's provider, with its tokens kept fresh (see the module doc)."""

    def __init__(self, connection: CalendarConnection) -> None:
        self.connection = connection
        self.adapter: CalendarAdapter = adapter_for(connection.provider)

    def call(self, operation: Callable[[str], T]) -> T:
        """``operation(access_token)``, refreshing the token first if needed and once on 401."""
        token = self._access_token()
        if not token or self._expiring():
            token = self.refresh()
        try:
            return operation(token)
        except UnauthorizedError:
            token = self.refresh()
        try:
            return operation(token)
        except UnauthorizedError as error:
            raise AuthRevokedError(
                f"{self.adapter.display_name} refused a freshly refreshed token."
            ) from error

    def refresh(self) -> str:
        """Trade the refresh token for a new access token; save both; return the access token."""
        connection = self.connection
        try:
            refresh_token = token_decrypt(connection.refresh_token)
        except TokenUnreadableError as error:
            raise AuthRevokedError("The stored credentials can no longer be read.") from error
        if not refresh_token:
            raise AuthRevokedError("No refresh token is stored for this calendar.")
        grant = self.adapter.token_refresh(refresh_token=refresh_token)
        connection.access_token = token_encrypt(grant.access_token)
        fields = ["access_token", "token_expires_at", "updated_at"]
        if grant.refresh_token:
            connection.refresh_token = token_encrypt(grant.refresh_token)
            fields.append("refresh_token")
        if grant.scope:
            connection.scope = grant.scope
            fields.append("scope")
        connection.token_expires_at = grant.expires_at
        connection.save(update_fields=fields)
        return grant.access_token

    def _access_token(self) -> str:
        try:
            return token_decrypt(self.connection.access_token)
        except TokenUnreadableError:
            return ""  # try the refresh token, which may still be readable

    def _expiring(self) -> bool:
        expires = self.connection.token_expires_at
        return expires is not None and expires <= timezone.now() + EXPIRY_MARGIN


def connection_step(
    connection_id: int, work: Callable[[CalendarConnection, CalendarAccess], T]
) -> T | str:
    """Run ``work`` on the connection, locked, if it is still active ("skipped" if not).

    A revoked grant marks the connection (and tells its user, once): "revoked". Errors
    worth retrying are raised after the transaction commits, so refreshed tokens are kept.
    Anything else the provider refuses is recorded on the connection, not retried: "failed".
    """
    from scheduling.calendars.services import connection_fail

    retry: RetryLaterError | None = None
    with transaction.atomic():
        connection = (
            CalendarConnection.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=connection_id)
            .first()
        )
        if connection is None or connection.status != CalendarConnection.Status.ACTIVE:
            return "skipped"
        try:
            return work(connection, CalendarAccess(connection))
        except AuthRevokedError as error:
            connection_fail(connection=connection, reason=error.message)
            return "revoked"
        except RetryLaterError as error:
            retry = error
        except CalendarError as error:
            logger.warning("Calendar %s refused a request: %s", connection_id, error)
            connection.last_error = error.message[:ERROR_LIMIT]
            connection.save(update_fields=["last_error", "updated_at"])
            return "failed"
    raise retry
