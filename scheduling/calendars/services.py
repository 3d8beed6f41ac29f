"""Writes of calendar sync: connecting a calendar, disconnecting it, and losing access.

Any member of a tenant may connect their own Google or Microsoft calendar there; the
connection belongs to that tenant (its schema) and that user only. Confirmed sessions the
user takes part in are then pushed to it, and a tutor's busy times are read from it.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_here
from notifications.services import notify
from scheduling.calendars.adapters import adapter_for, providers_offered
from scheduling.calendars.base import CalendarAdapter, CalendarError
from scheduling.calendars.crypto import (
    TokenUnreadableError,
    token_decrypt,
    token_encrypt,
    token_rotate,
)
from scheduling.calendars.oauth import flow_begin, flow_finish, redirect_uri, state_read
from scheduling.models import CalendarConnection

__all__ = [
    "connection_complete",
    "connection_delete",
    "connection_fail",
    "connection_start",
    "connection_tokens_rotate",
]

logger = logging.getLogger(__name__)
ERROR_LIMIT = 1000


def _offered(provider: str) -> CalendarAdapter:
    if provider not in providers_offered():
        raise ApplicationError(
            "This calendar provider is not available here.",
            code="calendar_provider_unavailable",
            status=404,
        )
    return adapter_for(provider)


def connection_start(*, actor: Membership, provider: str) -> str:
    """Begin connecting ``actor``'s calendar at ``provider``: the URL to send them to."""
    actor = require_here(actor)
    adapter = _offered(provider)
    state, challenge = flow_begin(
        user_id=actor.user_id, schema_name=actor.tenant.schema_name, provider=provider
    )
    return adapter.authorization_url(
        state=state, code_challenge=challenge, redirect_uri=redirect_uri(provider)
    )


def connection_complete(
    *,
    actor: Membership,
    provider: str,
    state: str,
    code: str = "",
    error: str = "",
    request=None,
) -> CalendarConnection:
    """Finish the flow ``actor`` began: check the state, trade the code for tokens, store
    them encrypted, then (after commit) read busy times and push upcoming sessions.

    The state must be this tenant's, this user's and this provider's, and is used once.
    """
    actor = require_here(actor)
    adapter = _offered(provider)
    flow = state_read(state)
    if flow.schema_name != actor.tenant.schema_name:
        raise ApplicationError(
            "This calendar connection was started on another site.",
            code="wrong_tenant",
            status=400,
        )
    if flow.user_id != actor.user_id or flow.provider != provider:
        raise ApplicationError(
            "This calendar connection was started by someone else. Please start again.",
            code="oauth_state_invalid",
            status=400,
        )
    verifier = flow_finish(flow)
    if error or not code:
        raise ApplicationError(
            f"{adapter.display_name} was not connected: access was not granted.",
            code="oauth_denied",
            status=400,
        )
    try:
        grant = adapter.code_exchange(
            code=code, code_verifier=verifier, redirect_uri=redirect_uri(provider)
        )
    except CalendarError as failure:
        logger.warning("Calendar code exchange failed (%s): %s", provider, failure)
        raise ApplicationError(
            f"{adapter.display_name} did not complete the connection. Please try again.",
            code="oauth_exchange_failed",
            status=502,
        ) from failure
    if adapter.missing_scopes(grant.scope) or not grant.refresh_token:
        raise ApplicationError(
            f"{adapter.display_name} was not connected: allow EduConnect to manage your "
            "calendar's events, see when you are busy, and stay connected.",
            code="oauth_scope_missing",
            status=400,
        )
    return _connection_store(actor=actor, provider=provider, grant=grant, request=request)


@transaction.atomic
def _connection_store(*, actor: Membership, provider: str, grant, request) -> CalendarConnection:
    connection, _ = CalendarConnection.objects.select_for_update().get_or_create(
        user=actor.user, provider=provider
    )
    if (
        connection.account_email
        and grant.account_email
        and connection.account_email.lower() != grant.account_email.lower()
    ):
        # Another account: the events pushed before live in the old one.
        connection.events.all().delete()
        connection.busy_times.all().delete()
    connection.account_email = grant.account_email
    connection.access_token = token_encrypt(grant.access_token)
    connection.refresh_token = token_encrypt(grant.refresh_token)
    connection.token_expires_at = grant.expires_at
    connection.scope = grant.scope
    connection.status = CalendarConnection.Status.ACTIVE
    connection.last_error = ""
    connection.save()
    audit_record(
        action="scheduling.calendar.connected",
        actor=actor.user,
        tenant=actor.tenant,
        target=connection,
        data={"provider": provider},
        request=request,
    )
    from scheduling.calendars.sync import connection_sync_queue

    connection_sync_queue(connection_id=connection.pk)
    return connection


def connection_delete(*, actor: Membership, connection: CalendarConnection, request=None) -> None:
    """Disconnect: forget the tokens, the event mapping and busy times; then revoke the grant
    at the provider where it documents how (events already added stay in the calendar).
    """
    actor = require_here(actor)
    if connection.user_id != actor.user_id:
        raise PermissionDenied("You can only disconnect your own calendars.")
    with transaction.atomic():
        locked = CalendarConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None:
            return
        try:
            grant = token_decrypt(locked.refresh_token) or token_decrypt(locked.access_token)
        except TokenUnreadableError:
            grant = ""
        audit_record(
            action="scheduling.calendar.disconnected",
            actor=actor.user,
            tenant=actor.tenant,
            target=locked,
            data={"provider": locked.provider},
            request=request,
        )
        locked.delete()  # its events mapping and busy times go with it (CASCADE)
        adapter = adapter_for(locked.provider)
        if grant:
            transaction.on_commit(lambda: _revoke(adapter, grant), robust=True)


def _revoke(adapter: CalendarAdapter, token: str) -> None:
    try:
        adapter.token_revoke(token=token)
    except CalendarError as failure:
        # The tokens are already forgotten here; the grant lapses unused at the provider.
        logger.warning("Revoking a %s grant failed: %s", adapter.provider, failure)


@transaction.atomic
def connection_fail(*, connection: CalendarConnection, reason: str) -> bool:
    """Mark ``connection`` as needing a reconnect and tell its user, once per failure.

    The unusable tokens are dropped. Returns True when this call changed the status.
    """
    locked = CalendarConnection.objects.select_for_update().filter(pk=connection.pk).first()
    if locked is None:
        return False
    locked.last_error = reason[:ERROR_LIMIT]
    if locked.status == CalendarConnection.Status.ERROR:
        locked.save(update_fields=["last_error", "updated_at"])
        return False
    locked.status = CalendarConnection.Status.ERROR
    locked.access_token = locked.refresh_token = ""
    locked.token_expires_at = None
    locked.save(
        update_fields=[
            "status",
            "last_error",
            "access_token",
            "refresh_token",
            "token_expires_at",
            "updated_at",
        ]
    )
    for field in ("status", "last_error", "access_token", "refresh_token", "token_expires_at"):
        setattr(connection, field, getattr(locked, field))
    name = locked.get_provider_display()
    notify(
        user=locked.user,
        event="scheduling.calendar_error",
        title=f"Reconnect your {name}",
        body=(
            f"EduConnect can no longer reach your {name} (access was removed or has "
            "expired). Sessions are not being added to it and its busy times no longer "
            "block your availability. Connect it again from your calendar settings."
        ),
        url=_calendars_url(),
    )
    return True


def _calendars_url() -> str:
    from django.db import connection as db

    path = reverse("scheduling:calendars")
    tenant = getattr(db, "tenant", None)
    if tenant is None or getattr(tenant, "pk", None) is None:
        return path
    return tenant.absolute_url(path)


def connection_tokens_rotate() -> int:
    """Re-encrypt this tenant's stored tokens with the first configured key.

    Tokens no key can open mark their connection for reconnecting. Returns how many
    connections were re-encrypted.
    """
    rotated = 0
    for pk in CalendarConnection.objects.values_list("pk", flat=True):
        with transaction.atomic():
            connection = CalendarConnection.objects.select_for_update().filter(pk=pk).first()
            if connection is None:
                continue
            try:
                connection.access_token = token_rotate(connection.access_token)
                connection.refresh_token = token_rotate(connection.refresh_token)
            except TokenUnreadableError:
                if connection.status == CalendarConnection.Status.ACTIVE:
                    connection_fail(
                        connection=connection,
                        reason="The stored credentials can no longer be read.",
                    )
                continue
            connection.save(update_fields=["access_token", "refresh_token", "updated_at"])
            rotated += 1
    return rotated
