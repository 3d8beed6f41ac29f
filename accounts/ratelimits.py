"""Fixed-window rate limits on authentication, per client IP and per account.

Counters live in the shared ``ratelimit`` cache (Valkey), not per tenant: an attacker
must not get a fresh allowance on every agency's host.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import caches


class RateLimitedError(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts; try again in {retry_after} seconds.")
        self.retry_after = retry_after


def _keys(scope: str, *, ip: str | None, account: str | None) -> list[tuple[str, int, int]]:
    limits = settings.AUTH_RATE_LIMITS[scope]
    now = int(time.time())
    keys = []
    for kind, ident in (("ip", ip), ("account", account)):
        if not ident:
            continue
        limit, window = limits[kind]
        digest = hashlib.sha256(ident.strip().lower().encode()).hexdigest()[:32]
        keys.append((f"{scope}:{kind}:{digest}:{now // window}", limit, window - now % window))
    return keys


def rate_limit_check(scope: str, *, ip: str | None = None, account: str | None = None) -> None:
    """Raise ``RateLimitedError`` if either counter has already reached its limit."""
    cache = caches["ratelimit"]
    for key, limit, retry_after in _keys(scope, ip=ip, account=account):
        if (cache.get(key) or 0) >= limit:
            raise RateLimitedError(retry_after)


def rate_limit_consume(scope: str, *, ip: str | None = None, account: str | None = None) -> None:
    """Count one attempt; raise ``RateLimitedError`` when it goes over the limit."""
    cache = caches["ratelimit"]
    worst = 0
    for key, limit, retry_after in _keys(scope, ip=ip, account=account):
        cache.add(key, 0, timeout=retry_after + 1)
        if cache.incr(key) > limit:
            worst = max(worst, retry_after)
    if worst:
        raise RateLimitedError(worst)
