"""Stripe's webhook endpoint on the root domain (platform and Connect events alike).

It answers 400 to anything without a valid ``Stripe-Signature`` from one of the
endpoint secrets (or signed outside Stripe's five-minute tolerance), stores the event by
its id and answers 200 at once; processing happens in a task after commit. A replayed
or retried event is stored once and processed once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from connect import gateway
from connect.events import event_store

__all__ = ["stripe_webhook"]

MAX_BODY = 512 * 1024


@csrf_exempt
@require_POST
def stripe_webhook(request):
    if not settings.STRIPE_WEBHOOK_SECRETS:
        return HttpResponse("Stripe webhooks are not configured.", status=503)
    payload = request.body
    if len(payload) > MAX_BODY:
        return HttpResponseBadRequest("Too large.")
    try:
        event = gateway.webhook_event(
            payload, request.headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRETS
        )
    except ValueError:
        return HttpResponseBadRequest("Invalid signature.")
    if not isinstance(event.get("id"), str) or not event["id"]:
        return HttpResponseBadRequest("Not an event.")
    stored, created = event_store(event)
    if stored.processed_at is None:
        from connect.tasks import event_process_task

        pk = stored.pk
        transaction.on_commit(lambda: event_process_task.delay(pk), robust=True)
    return HttpResponse("ok" if created else "already received")
