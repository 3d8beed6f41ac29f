"""Periodic booking jobs: unanswered requests expire.

Beat calls ``session_requests_expire_dispatch`` (in the public schema) every few minutes;
it queues ``session_requests_expire`` once per active tenant, which runs in that tenant's
schema. Running either twice does no harm: expired requests are no longer ``requested``.
"""

from __future__ import annotations

from celery import shared_task

from scheduling.dispatch import tenants_dispatch
from scheduling.services.bookings import requests_expire

__all__ = ["session_requests_expire", "session_requests_expire_dispatch"]


@shared_task(acks_late=True)
def session_requests_expire() -> int:
    """Expire the current tenant's requests whose time to be answered has passed."""
    return requests_expire()


@shared_task
def session_requests_expire_dispatch() -> int:
    """Queue ``session_requests_expire`` in every active tenant."""
    return tenants_dispatch(session_requests_expire)
