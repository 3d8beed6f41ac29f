"""Writes about an agency's Zoom account: connecting it, choosing it for the agency's
meetings, disconnecting it, and losing access to it.

Only the agency's owners and admins manage its Zoom connections. A connection belongs to
the tenant whose schema it is stored in; the OAuth flow is bound to the tenant, the user
and the browser that started it (see ``meetings.views_zoom``).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection as db
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_manager
from meetings.models import MeetingSettings, ZoomConnection
from meetings.providers.base import MeetingError
from meetings.zoom import api
from meetings.zoom.oauth import (
    zoom_flow_begin,
    zoom_flow_finish,
    zoom_redirect_uri,
    zoom_state_read,
)
from notifications.services import notify
from scheduling.calendars.crypto import TokenUnreadableError, token_decrypt, token_encrypt

__all__ = [
    "connection_complete",
    "connection_delete",
    "connection_revoked",
    "connection_start",
    "connection_use",
    "oauth_available",
]

logger = logging.getLogger(__name__)
ERROR_LIMIT = 1000


def oauth_available() -> bool:
    """Whether agencies can connect their own Zoom (the platform's OAuth app is set)."""
    return bool(settings.ZOOM_OAUTH_CLIENT_ID and settings.ZOOM_OAUTH_CLIENT_SECRET)


def connection_start(*, actor: Membership) -> str:
    """Begin connecting the agency's Zoom: the URL of Zoom's consent page."""
    actor = require_manager(actor, "Only the agency's owners and admins can connect Zoom.")
    if not oauth_available():
        raise ApplicationError(
            "Connecting a Zoom account is not available on this platform.",
            code="zoom_unavailable",
            status=404,
        )
    state, challenge = zoom_flow_begin(user_id=actor.user_id, schema_name=actor.tenant.schema_name)
    return api.authorization_url(
        state=state, code_challenge=challenge, redirect_uri=zoom_redirect_uri()
    )


def connection_complete(
    *, actor: Membership, state: str, code: str = "", error: str = "", request=None
) -> ZoomConnection:
    """Finish the flow ``actor`` began: check the state, trade the code for tokens, learn
    which Zoom user granted them (``GET /users/me``) and store the connection.

    The state must be this tenant's and this user's, and is used once.
    """
    actor = require_manager(actor, "Only the agency's owners and admins can connect Zoom.")
    flow = zoom_state_read(state)
    if flow.schema_name != actor.tenant.schema_name:
        raise ApplicationError(
            "This Zoom connection was started on another site.", code="wrong_tenant", status=400
        )
    if flow.user_id != actor.user_id:
        raise ApplicationError(
            "This Zoom connection was started by someone else. Please start again.",
            code="oauth_state_invalid",
            status=400,
        )
    verifier = zoom_flow_finish(flow)
    if error or not code:
        raise ApplicationError(
            "Zoom was not connected: access was not granted.", code="oauth_denied", status=400
        )
    try:
        grant = api.code_exchange(
            code=code, code_verifier=verifier, redirect_uri=zoom_redirect_uri()
        )
        user = api.user_me(token=grant.access_token)
    except MeetingError as failure:
        logger.warning("Zoom code exchange failed: %s", failure)
        raise ApplicationError(
            "Zoom did not complete the connection. Please try again.",
            code="oauth_exchange_failed",
            status=502,
        ) from failure
    if not grant.refresh_token:
        raise ApplicationError(
            "Zoom was not connected: it did not let EduConnect stay connected.",
            code="oauth_scope_missing",
            status=400,
        )
    return _connection_store(actor=actor, grant=grant, user=user, request=request)


@transaction.atomic
def _connection_store(*, actor: Membership, grant, user: dict, request) -> ZoomConnection:
    row, created = ZoomConnection.objects.select_for_update().get_or_create(
        zoom_user_id=str(user["id"])[:64], defaults={"connected_by": actor.user}
    )
    row.connected_by = actor.user
    row.zoom_account_id = str(user.get("account_id") or "")[:64]
    row.email = str(user.get("email") or "")[:254]
    row.access_token = token_encrypt(grant.access_token)
    row.refresh_token = token_encrypt(grant.refresh_token)
    row.access_expires_at = grant.expires_at
    row.scope = grant.scope
    row.status = ZoomConnection.Status.ACTIVE
    row.last_error = ""
    row.save()
    audit_record(
        action="meetings.zoom.connected",
        actor=actor.user,
        tenant=actor.tenant,
        target=row,
        data={"zoom_user": row.zoom_user_id, "reconnected": not created},
        request=request,
    )
    return row


@transaction.atomic
def connection_use(
    *, actor: Membership, connection: ZoomConnection | None, request=None
) -> MeetingSettings:
    """Make ``connection`` the account the agency's new Zoom meetings are made under
    (None: the platform's account). Meetings made before keep their account."""
    actor = require_manager(actor, "Only the agency's owners and admins can choose this.")
    if connection is not None:
        connection = ZoomConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if connection is None:
            raise ApplicationError(
                "This Zoom connection no longer exists.", code="not_found", status=404
            )
        if connection.status != ZoomConnection.Status.ACTIVE:
            raise ApplicationError(
                "This Zoom account needs reconnecting before it can be used.",
                code="zoom_connection_revoked",
                status=409,
            )
    current = MeetingSettings.current()
    row = MeetingSettings.objects.select_for_update().get(pk=current.pk)
    if row.zoom_connection_id != (connection.pk if connection else None):
        row.zoom_connection = connection
        row.save(update_fields=["zoom_connection", "updated_at"])
        audit_record(
            action="meetings.zoom.chosen",
            actor=actor.user,
            tenant=actor.tenant,
            target=connection,
            data={"zoom_user": connection.zoom_user_id if connection else "platform"},
            request=request,
        )
    return row


def connection_delete(*, actor: Membership, connection: ZoomConnection, request=None) -> None:
    """Disconnect: forget the tokens (the agency falls back to the platform's account if it
    used this one), then revoke the grant at Zoom once the removal is committed.

    Meetings already made stay in that Zoom account; their links keep working there.
    """
    actor = require_manager(actor, "Only the agency's owners and admins can disconnect Zoom.")
    with transaction.atomic():
        row = ZoomConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if row is None:
            return
        try:
            grant = token_decrypt(row.refresh_token) or token_decrypt(row.access_token)
        except TokenUnreadableError:
            grant = ""
        audit_record(
            action="meetings.zoom.disconnected",
            actor=actor.user,
            tenant=actor.tenant,
            target=row,
            data={"zoom_user": row.zoom_user_id},
            request=request,
        )
        row.delete()  # MeetingSettings.zoom_connection and Meeting.zoom_connection: SET_NULL
        if grant:
            transaction.on_commit(lambda: _revoke(grant), robust=True)


def _revoke(token: str) -> None:
    try:
        if not api.token_revoke(token=token):
            logger.warning("Zoom did not confirm revoking a disconnected grant.")
    except MeetingError as failure:
        # The tokens are already forgotten here; the grant lapses unused at Zoom.
        logger.warning("Revoking a Zoom grant failed: %s", failure)


@transaction.atomic
def connection_revoked(*, connection_id: int, reason: str) -> bool:
    """Mark the connection as needing a reconnect and tell the agency's owners and admins,
    once per loss of access. The unusable tokens are dropped.

    Returns True when this call changed the status.
    """
    row = ZoomConnection.objects.select_for_update().filter(pk=connection_id).first()
    if row is None or row.status == ZoomConnection.Status.REVOKED:
        return False  # the first reason given stays on record
    row.last_error = reason[:ERROR_LIMIT]
    row.status = ZoomConnection.Status.REVOKED
    row.access_token = row.refresh_token = ""
    row.access_expires_at = None
    row.save(
        update_fields=[
            "status",
            "last_error",
            "access_token",
            "refresh_token",
            "access_expires_at",
            "updated_at",
        ]
    )
    logger.warning("Zoom connection %s lost access: %s", connection_id, reason)
    _managers_notify(row)
    return True


def _managers_notify(row: ZoomConnection) -> None:
    tenant = getattr(db, "tenant", None)
    if tenant is None or getattr(tenant, "pk", None) is None:
        return
    managers = Membership.objects.filter(
        tenant_id=tenant.pk, role__in=Membership.MANAGER_ROLES, is_active=True
    ).select_related("user")
    account = row.email or "the agency's Zoom account"
    for membership in managers:
        notify(
            user=membership.user,
            event="meetings.zoom_revoked",
            title="Reconnect Zoom",
            body=(
                f"EduConnect can no longer reach {account} (access was removed or has "
                "expired). Classes cannot be set up or changed in that account until an "
                "owner or admin connects it again from the Zoom page."
            ),
            url=tenant.absolute_url(reverse("meetings:zoom")),
        )
