"""Connecting an agency's Zoom account: the calendar OAuth safeguards, reused.

``scheduling.calendars.oauth`` already signs the ``state`` (user, tenant schema,
provider, nonce; valid ``CALENDAR_OAUTH_STATE_MAX_AGE`` seconds), keeps the PKCE verifier
server-side in the tenant's cache and lets it be taken out once. Zoom flows use it with
the provider name "zoom" (which no calendar callback accepts); only the callback URL and
the wording of refusals differ.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from config.errors import ApplicationError
from scheduling.calendars.oauth import OAuthState, flow_begin, flow_finish, state_read
from tenants.selectors import root_url

__all__ = [
    "PROVIDER",
    "zoom_flow_begin",
    "zoom_flow_finish",
    "zoom_redirect_uri",
    "zoom_state_read",
]

PROVIDER = "zoom"
CALLBACK_ROUTE = "zoom_oauth_callback"
MESSAGES = {
    "oauth_state_expired": "Connecting Zoom took too long. Please start again.",
    "oauth_state_used": "This Zoom connection was already completed or has expired. "
    "Please start again.",
}
INVALID = "This Zoom connection link is not valid."


def zoom_redirect_uri() -> str:
    """The one redirect URI registered with Zoom's OAuth app: on the root domain."""
    return root_url(reverse(CALLBACK_ROUTE, urlconf=settings.PUBLIC_SCHEMA_URLCONF))


def _reworded(error: ApplicationError) -> ApplicationError:
    return ApplicationError(MESSAGES.get(error.code, INVALID), code=error.code, status=error.status)


def zoom_flow_begin(*, user_id: int, schema_name: str) -> tuple[str, str]:
    """Start a flow in the current tenant: its signed state and PKCE challenge."""
    return flow_begin(user_id=user_id, schema_name=schema_name, provider=PROVIDER)


def zoom_state_read(state: str) -> OAuthState:
    """The Zoom flow ``state`` stands for; refused when altered, expired or not Zoom's."""
    try:
        flow = state_read(state)
    except ApplicationError as error:
        raise _reworded(error) from error
    if flow.provider != PROVIDER:
        raise ApplicationError(INVALID, code="oauth_state_invalid", status=400)
    return flow


def zoom_flow_finish(flow: OAuthState) -> str:
    """Take the pending flow out of the cache (once); return its PKCE verifier."""
    try:
        return flow_finish(flow)
    except ApplicationError as error:
        raise _reworded(error) from error
