"""Celery tasks of calendar sync: each takes ids, runs one step of ``sync``, and can run
twice without harm. Rate limits and provider outages are retried after the provider's
``Retry-After`` (else with exponential backoff); a revoked grant is not retried.

Beat runs ``calendar_busy_dispatch`` (public schema), which queues
``calendar_busy_refresh_tenant`` in every active tenant.
"""

from __future__ import annotations

from celery import shared_task

from scheduling.calendars.base import RetryLaterError
from scheduling.calendars.busy import busy_refresh, busy_refresh_queue
from scheduling.calendars.services import connection_tokens_rotate
from scheduling.calendars.sync import connection_backfill, event_push
from scheduling.dispatch import tenants_dispatch

__all__ = [
    "calendar_busy_dispatch",
    "calendar_busy_refresh",
    "calendar_busy_refresh_tenant",
    "calendar_connection_backfill",
    "calendar_event_push",
    "calendar_tokens_rotate",
    "calendar_tokens_rotate_dispatch",
]

RETRIES = 8
MAX_BACKOFF = 60 * 60


def retry_countdown(error: RetryLaterError, retries: int) -> int:
    """Seconds to wait: what the provider asked for, else 30 s doubling up to an hour."""
    if error.retry_after is not None:
        return max(1, error.retry_after)
    return min(MAX_BACKOFF, 30 * 2**retries)


@shared_task(bind=True, max_retries=RETRIES, acks_late=True)
def calendar_event_push(self, connection_id: int, session_id: int) -> str:
    try:
        return event_push(connection_id=connection_id, session_id=session_id)
    except RetryLaterError as error:
        raise self.retry(
            exc=error, countdown=retry_countdown(error, self.request.retries)
        ) from error


@shared_task(bind=True, max_retries=RETRIES, acks_late=True)
def calendar_busy_refresh(self, connection_id: int) -> int | str:
    try:
        return busy_refresh(connection_id=connection_id)
    except RetryLaterError as error:
        raise self.retry(
            exc=error, countdown=retry_countdown(error, self.request.retries)
        ) from error


@shared_task(acks_late=True)
def calendar_connection_backfill(connection_id: int) -> int:
    return connection_backfill(connection_id=connection_id)


@shared_task(acks_late=True)
def calendar_busy_refresh_tenant() -> int:
    return busy_refresh_queue()


@shared_task
def calendar_busy_dispatch() -> int:
    return tenants_dispatch(calendar_busy_refresh_tenant)


@shared_task(acks_late=True)
def calendar_tokens_rotate() -> int:
    return connection_tokens_rotate()


@shared_task
def calendar_tokens_rotate_dispatch() -> int:
    """After putting a new key first in CALENDAR_TOKEN_KEYS: re-encrypt in every tenant."""
    return tenants_dispatch(calendar_tokens_rotate)
