"""Signing a person in to a web session bound to the host it happened on."""

from __future__ import annotations

from django.contrib.auth import login

from accounts.models import User

# The schema of the host a session signed in on; the membership middleware refuses the
# session anywhere else.
SESSION_TENANT_KEY = "tenant_schema"


def session_sign_in(request, user: User) -> None:
    """Start a web session for ``user`` on this host (password, handoff or invitation)."""
    login(request, user, backend="accounts.backends.EmailBackend")
    request.session[SESSION_TENANT_KEY] = request.tenant.schema_name
