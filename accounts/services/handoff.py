"""Signing in on a tenant's host straight from the root domain.

Cookies are per host, so after choosing a membership on the root domain the browser
carries a signed, one-minute, single-use link to the tenant's host.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import caches
from django.urls import reverse
from django.utils.http import urlencode

from accounts.models import Membership, User
from config.errors import ApplicationError

_SALT = "accounts.login-handoff"


def login_handoff_url(*, user: User, membership: Membership, next_path: str = "/dashboard/") -> str:
    """A one-time link that signs ``user`` in on ``membership``'s tenant and opens ``next_path``."""
    token = signing.dumps(
        {
            "user": user.pk,
            "tenant": membership.tenant.schema_name,
            "nonce": secrets.token_urlsafe(12),
        },
        salt=_SALT,
    )
    query = urlencode({"token": token, "next": next_path})
    return membership.tenant.absolute_url(f"{reverse('accounts:handoff')}?{query}")


def login_handoff_consume(*, token: str, tenant) -> User:
    """The user a handoff link signs in, once, on the tenant it was made for."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=settings.LOGIN_HANDOFF_MAX_AGE)
    except signing.BadSignature as error:
        raise ApplicationError(
            "This sign-in link has expired. Please sign in again.", code="link_invalid", status=400
        ) from error
    if payload.get("tenant") != tenant.schema_name:
        raise ApplicationError(
            "This sign-in link is for another site.", code="wrong_tenant", status=400
        )
    if not caches["ratelimit"].add(
        f"handoff:{payload['nonce']}", 1, timeout=settings.LOGIN_HANDOFF_MAX_AGE * 2
    ):
        raise ApplicationError("This sign-in link was already used.", code="link_used", status=400)
    membership = (
        Membership.objects.select_related("user")
        .filter(user_id=payload["user"], tenant=tenant, is_active=True, user__is_active=True)
        .first()
    )
    if membership is None:
        raise ApplicationError("Your account has no access here.", code="not_a_member", status=403)
    return membership.user
