"""Our own count of Zoom's per-user daily limit on meeting writes.

Zoom allows each user 100 "Meeting Create/Update API requests" a day and resets the count
at 00:00 UTC (its rate-limits guide and the daily-limit 429 message: "You may resume these
requests at GMT 00:00:00"). Meetings are made under a few host users only (the platform's
``ZOOM_HOST_USER`` and each agency's connected user), so every create or update is counted
here per host and UTC day first; at ``ZOOM_DAILY_MEETING_WRITES`` the write is refused
without calling Zoom, with the seconds until midnight UTC to retry after. A write that
then fails still counts: Zoom may have counted it too (a timeout, for instance).

The counters live in the ``ratelimit`` cache, which is not split per tenant: the
platform's host user is shared by every agency that has not connected its own Zoom.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from meetings.providers.base import RateLimitedError

__all__ = ["seconds_until_utc_midnight", "writes_exhausted", "writes_reserve"]

CACHE = "ratelimit"
# The counter outlives its day a little, so clocks slightly apart still find it.
SLACK = 120


def seconds_until_utc_midnight(now: dt.datetime | None = None) -> int:
    """Seconds from ``now`` to the next 00:00 UTC (at least 1)."""
    now = (now or timezone.now()).astimezone(dt.UTC)
    midnight = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return max(1, int((midnight - now).total_seconds()))


def _key(host: str, now: dt.datetime) -> str:
    digest = hashlib.sha256(host.strip().lower().encode()).hexdigest()[:32]
    return f"meetings:zoom:writes:{now.astimezone(dt.UTC):%Y%m%d}:{digest}"


def writes_reserve(host: str) -> int:
    """Count one meeting create or update for ``host`` today; return today's count.

    Raises ``RateLimitedError`` (retry after midnight UTC) once the day's allowance is used.
    """
    cache = caches[CACHE]
    now = timezone.now()
    key = _key(host, now)
    wait = seconds_until_utc_midnight(now)
    cache.add(key, 0, timeout=wait + SLACK)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, timeout=wait + SLACK)
        count = cache.incr(key)
    if count > settings.ZOOM_DAILY_MEETING_WRITES:
        raise RateLimitedError(
            f"The Zoom user {host} has used today's {settings.ZOOM_DAILY_MEETING_WRITES} "
            "meeting changes; trying again after midnight UTC.",
            retry_after=wait,
            status=429,
        )
    return count


def writes_exhausted(host: str) -> None:
    """Zoom said ``host`` reached its daily limit: refuse further writes until midnight UTC."""
    now = timezone.now()
    caches[CACHE].set(
        _key(host, now),
        settings.ZOOM_DAILY_MEETING_WRITES,
        timeout=seconds_until_utc_midnight(now) + SLACK,
    )
