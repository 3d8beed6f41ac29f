"""Processing of stored Stripe events (queued by the webhook, retried by beat)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from connect.events import event_process
from connect.models import StripeEvent

__all__ = ["event_process_task", "events_retry"]

MAX_ATTEMPTS = 12


@shared_task(bind=True, max_retries=6, acks_late=True)
def event_process_task(self, event_pk: int) -> bool:
    try:
        return event_process(event_pk)
    except Exception as error:
        raise self.retry(exc=error, countdown=min(900, 30 * 2**self.request.retries)) from error


@shared_task
def events_retry() -> int:
    """Queue again every event still unprocessed after five minutes (a few times)."""
    cutoff = timezone.now() - dt.timedelta(minutes=5)
    stale = StripeEvent.objects.filter(
        processed_at__isnull=True, received_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", flat=True)
    count = 0
    for pk in stale:
        event_process_task.delay(pk)
        count += 1
    return count
