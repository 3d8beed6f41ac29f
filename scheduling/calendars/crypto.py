"""Encryption of calendar OAuth tokens at rest (Fernet: AES-128-CBC with HMAC-SHA256).

``CALENDAR_TOKEN_KEYS`` lists Fernet keys; the first encrypts and all of them decrypt
(``MultiFernet``), so a key is rotated by putting a new one first, re-encrypting the
stored tokens (``tokens_rotate``) and then removing the old key. Without configured keys
(development, tests) one key is derived from ``SECRET_KEY`` with HKDF, so changing the
secret key makes stored tokens unreadable: the connections then ask to be reconnected.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["TokenUnreadableError", "token_decrypt", "token_encrypt", "token_rotate"]

_HKDF_SALT = b"educonnect.scheduling.calendars"
_HKDF_INFO = b"calendar-token-fernet-key"


class TokenUnreadableError(Exception):
    """A stored token was encrypted with a key that is no longer configured (or altered)."""


def derived_key(secret: str) -> bytes:
    """A Fernet key derived from ``secret`` (the development and test fallback)."""
    material = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(material)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret: str) -> MultiFernet:
    if not keys:
        return MultiFernet([Fernet(derived_key(secret))])
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "CALENDAR_TOKEN_KEYS must list Fernet keys (32 url-safe base64-encoded bytes each)"
        ) from error


def _current() -> MultiFernet:
    return _fernet(tuple(settings.CALENDAR_TOKEN_KEYS or ()), settings.SECRET_KEY)


def token_encrypt(value: str) -> str:
    """The encrypted form of ``value`` to store; empty stays empty."""
    if not value:
        return ""
    return _current().encrypt(value.encode()).decode("ascii")


def token_decrypt(stored: str) -> str:
    """The token ``stored`` holds; raises ``TokenUnreadableError`` if no configured key opens it."""
    if not stored:
        return ""
    try:
        return _current().decrypt(stored.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as error:
        raise TokenUnreadableError("The stored calendar token cannot be decrypted.") from error


def token_rotate(stored: str) -> str:
    """``stored`` re-encrypted with the first key (unchanged when empty)."""
    if not stored:
        return ""
    try:
        return _current().rotate(stored.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as error:
        raise TokenUnreadableError("The stored calendar token cannot be decrypted.") from error
