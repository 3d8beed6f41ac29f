"""Celery task of the meeting lifecycle: sync one session's meeting, retried on the
provider's "later" (rate limits, outages) after its ``Retry-After``, else with backoff.

Queued by ``meetings.services.lifecycle.meeting_sync_queue`` (after a session is
confirmed, moved or released, from the agency's retry button and the backfill command)
in the tenant's schema, which tenant-schemas-celery carries to the worker.
"""

from __future__ import annotations

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from meetings.providers.base import RetryLaterError
from meetings.services.lifecycle import meeting_sync
from scheduling.calendars.tasks import retry_countdown

__all__ = ["SYNC_RETRIES", "meeting_sync_run"]

SYNC_RETRIES = 8


@shared_task(bind=True, max_retries=SYNC_RETRIES, acks_late=True)
def meeting_sync_run(self, session_id: int) -> str:
    """Sync the meeting of ``session_id``; the last retry fails it instead of raising."""
    if connection.schema_name == get_public_schema_name():
        return "public"
    retries = self.request.retries
    try:
        return meeting_sync(session_id=session_id, final_attempt=retries >= self.max_retries)
    except RetryLaterError as error:
        raise self.retry(exc=error, countdown=retry_countdown(error, retries)) from error
