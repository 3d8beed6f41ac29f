"""Stripe webhook events: stored by id once, processed once, in any order, with retries.

The endpoint (``connect/views.py``) verifies the signature and stores the event; a task
then processes it: the event row is locked, skipped if already processed, and the
handler's writes commit together with ``processed_at``. A handler that fails leaves the
event unprocessed with the error, for the task's retries and beat's ``events_retry``.

Handlers never trust the event's snapshot where order matters: they re-read the object
from Stripe (the PaymentIntent, the Account, the Dispute) and apply its state now.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from connect.models import StripeEvent

__all__ = ["HANDLERS", "event_process", "event_store"]

logger = logging.getLogger(__name__)

HANDLERS: dict[str, str] = {
    "account.updated": "connect.services.account_event",
    "account.application.deauthorized": "connect.services.account_event",
    "payment_intent.succeeded": "billing.events.payment_intent_event",
    "payment_intent.payment_failed": "billing.events.payment_intent_event",
    "payment_intent.canceled": "billing.events.payment_intent_event",
    "charge.dispute.created": "billing.events.dispute_event",
    "charge.dispute.updated": "billing.events.dispute_event",
    "charge.dispute.closed": "billing.events.dispute_event",
    "charge.dispute.funds_withdrawn": "billing.events.dispute_event",
    "charge.dispute.funds_reinstated": "billing.events.dispute_event",
    "payout.paid": "billing.services.wallet.payout_event",
    "payout.failed": "billing.services.wallet.payout_event",
    "payout.canceled": "billing.services.wallet.payout_event",
}


def event_store(event: dict) -> tuple[StripeEvent, bool]:
    """Keep the verified event (once per id); returns it and whether it is new."""
    try:
        with transaction.atomic():
            return (
                StripeEvent.objects.create(
                    event_id=event["id"],
                    type=event.get("type", ""),
                    account=event.get("account") or "",
                    livemode=bool(event.get("livemode")),
                    payload=event,
                ),
                True,
            )
    except IntegrityError:
        return StripeEvent.objects.get(event_id=event["id"]), False


def _handler(kind: str) -> Callable[[dict], None] | None:
    path = HANDLERS.get(kind)
    return import_string(path) if path else None


def event_process(event_pk: int) -> bool:
    """Process a stored event once; True when it is (now or already) processed."""
    try:
        with transaction.atomic():
            event = StripeEvent.objects.select_for_update().get(pk=event_pk)
            if event.processed_at is not None:
                return True
            handler = _handler(event.type)
            if handler is not None:
                handler(event.payload)
            event.attempts += 1
            event.processed_at = timezone.now()
            event.last_error = ""
            event.save(update_fields=["attempts", "last_error", "processed_at"])
    except Exception as error:
        logger.exception("Stripe event %s failed", event_pk)
        StripeEvent.objects.filter(pk=event_pk).update(
            attempts=F("attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise
    return True
