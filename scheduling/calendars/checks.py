"""System checks of calendar sync: usable token keys, and real ones in production."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def calendar_token_keys_valid(app_configs=None, **kwargs) -> list[Error]:
    from scheduling.calendars.crypto import token_encrypt

    if not settings.CALENDAR_TOKEN_KEYS:
        return []
    try:
        token_encrypt("check")
    except ImproperlyConfigured as error:
        return [Error(str(error), id="scheduling.E001")]
    return []


@register(Tags.security, deploy=True)
def calendar_token_keys_set(app_configs=None, **kwargs) -> list[Error]:
    """Tokens must not be encrypted with a key derived from SECRET_KEY in production:
    rotating the secret key would then cut every connected calendar off.
    """
    from scheduling.calendars.adapters import providers_offered

    if settings.CALENDAR_TOKEN_KEYS or not providers_offered():
        return []
    return [
        Error(
            "CALENDAR_TOKEN_KEYS must be set when a calendar provider is configured.",
            hint="Generate one with cryptography's Fernet.generate_key().",
            id="scheduling.E002",
        )
    ]
