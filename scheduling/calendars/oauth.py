"""The OAuth handshake's safeguards: a signed ``state``, PKCE, and a single-use pending flow.

``state`` names the user, the tenant (schema), the provider and a random nonce, signed with
the project's secret and valid for ``CALENDAR_OAUTH_STATE_MAX_AGE`` seconds, so the
root-domain callback knows where the flow belongs and nobody can forge or alter one. The
PKCE verifier never leaves the server: it waits in the tenant's cache under the nonce and
is taken out once, so a state (or an authorization code) cannot be replayed.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.urls import reverse

from config.errors import ApplicationError
from tenants.selectors import root_url

__all__ = ["OAuthState", "flow_begin", "flow_finish", "redirect_uri", "state_read"]

STATE_SALT = "scheduling.calendars.oauth-state"
CALLBACK_ROUTE = "calendar_oauth_callback"


@dataclass(frozen=True)
class OAuthState:
    user_id: int
    schema_name: str
    provider: str
    nonce: str


def redirect_uri(provider: str) -> str:
    """The one callback URL registered with ``provider``: on the root domain."""
    path = reverse(
        CALLBACK_ROUTE, urlconf=settings.PUBLIC_SCHEMA_URLCONF, kwargs={"provider": provider}
    )
    return root_url(path)


def _pending_key(nonce: str) -> str:
    return f"scheduling:calendar-oauth:{nonce}"


def _pkce_pair() -> tuple[str, str]:
    """RFC 7636: a high-entropy verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return verifier, challenge


def flow_begin(*, user_id: int, schema_name: str, provider: str) -> tuple[str, str]:
    """Start a flow in the current tenant: return its signed state and PKCE challenge."""
    nonce = secrets.token_urlsafe(18)
    verifier, challenge = _pkce_pair()
    cache.set(
        _pending_key(nonce),
        {"user": user_id, "provider": provider, "verifier": verifier},
        timeout=settings.CALENDAR_OAUTH_STATE_MAX_AGE,
    )
    state = signing.dumps(
        {"u": user_id, "t": schema_name, "p": provider, "n": nonce}, salt=STATE_SALT
    )
    return state, challenge


def _refused(message: str, code: str = "oauth_state_invalid") -> ApplicationError:
    return ApplicationError(message, code=code, status=400)


def state_read(state: str) -> OAuthState:
    """The flow ``state`` stands for; refused when altered, expired or malformed."""
    try:
        payload = signing.loads(
            state or "", salt=STATE_SALT, max_age=settings.CALENDAR_OAUTH_STATE_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise _refused(
            "This calendar connection took too long. Please start again.", "oauth_state_expired"
        ) from error
    except signing.BadSignature as error:
        raise _refused("This calendar connection link is not valid.") from error
    try:
        return OAuthState(
            user_id=int(payload["u"]),
            schema_name=str(payload["t"]),
            provider=str(payload["p"]),
            nonce=str(payload["n"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise _refused("This calendar connection link is not valid.") from error


def flow_finish(state: OAuthState) -> str:
    """Take the pending flow of ``state`` out of the cache (once); return its PKCE verifier."""
    key = _pending_key(state.nonce)
    pending = cache.get(key)
    if not pending or not cache.delete(key):
        raise _refused(
            "This calendar connection was already completed or has expired. Please start again.",
            "oauth_state_used",
        )
    if pending.get("user") != state.user_id or pending.get("provider") != state.provider:
        raise _refused("This calendar connection link is not valid.")
    return str(pending["verifier"])
