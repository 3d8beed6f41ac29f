"""Webhook handlers of billing (dispatched by ``connect.events``, in the public schema).

Each finds the tenant through ``tenants.ExternalRoute`` (written when the PaymentIntent
was made), switches to it, and applies the object's state as Stripe reports it now.
"""

from __future__ import annotations

import logging

from django_tenants.utils import tenant_context

from billing.models import Payment
from billing.services import payments
from connect import gateway
from tenants.models import ExternalRoute

__all__ = ["dispute_event", "payment_intent_event"]

logger = logging.getLogger(__name__)


def _tenant_of(intent_id: str):
    route = ExternalRoute.objects.filter(provider="stripe", external_id=intent_id).first()
    if route is None:
        logger.warning("Stripe object %s belongs to no tenant; ignored", intent_id)
    return route.tenant if route else None


def payment_intent_event(event: dict) -> None:
    intent_id = event["data"]["object"]["id"]
    tenant = _tenant_of(intent_id)
    if tenant is None:
        return
    with tenant_context(tenant):
        payment = Payment.objects.filter(payment_intent_id=intent_id).first()
        if payment is not None:
            payments.payment_sync(payment.pk)


def dispute_event(event: dict) -> None:
    snapshot = event["data"]["object"]
    tenant = _tenant_of(snapshot.get("payment_intent") or "")
    if tenant is None:
        return
    dispute = gateway.dispute_retrieve(snapshot["id"])
    with tenant_context(tenant):
        payment = Payment.objects.filter(payment_intent_id=dispute["payment_intent"]).first()
        if payment is not None:
            payments.dispute_apply(payment.pk, dispute)
