"""Celery tasks of billing. Each runs in the tenant that queued it and is idempotent:
Stripe calls carry keys derived from database rows, and state changes lock the payment.

Retryable failures (network, rate limits, Stripe's 5xx, a refund waiting for a release in
flight) are retried with backoff; beat's ``retry_dispatch`` picks up anything still
pending later (a worker that died, a payout account finished after the class).
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import connection
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from billing import tasks_invoices, tasks_wallet  # noqa: F401 (their tasks register here)
from billing.models import Payment, Refund
from billing.services import payments
from connect.gateway import GatewayError
from scheduling.dispatch import tenants_dispatch

__all__ = [
    "payment_release_task",
    "payment_sync_task",
    "payouts_dispatch",
    "refund_send_task",
    "retry_dispatch",
    "retry_run",
    "session_settle_task",
]

RETRYABLE = (GatewayError, payments.ReleaseInFlightError)
RETRY = {"max_retries": 8, "acks_late": True, "bind": True}
# Work older than this that is still pending is picked up again by ``retry_run``.
STALE = dt.timedelta(minutes=10)


def _retry(task, error: Exception):
    if isinstance(error, GatewayError) and not error.retryable:
        raise error
    raise task.retry(exc=error, countdown=min(600, 15 * 2**task.request.retries))


@shared_task(**RETRY)
def payment_release_task(self, payment_pk: int) -> str:
    try:
        return payments.payment_release(payment_pk).status
    except RETRYABLE as error:
        _retry(self, error)


@shared_task(**RETRY)
def refund_send_task(self, refund_pk: int) -> str:
    try:
        return payments.refund_send(refund_pk).status
    except RETRYABLE as error:
        _retry(self, error)


@shared_task(**RETRY)
def payment_sync_task(self, payment_pk: int) -> str:
    try:
        return payments.payment_sync(payment_pk).status
    except RETRYABLE as error:
        _retry(self, error)


@shared_task(**RETRY)
def session_settle_task(self, session_pk: int) -> None:
    payments.session_changes_settle(session_pk)


@shared_task(acks_late=True)
def retry_run() -> dict[str, int]:
    """Requeue what is stale: releases of confirmed classes, pending refunds."""
    cutoff = timezone.now() - STALE
    pending_refund = Refund.objects.filter(payment=OuterRef("pk"), status=Refund.Status.PENDING)
    releases = Payment.objects.filter(
        status=Payment.Status.HELD,
        session__status__in=payments.RELEASABLE,
        updated_at__lt=cutoff,
    ).exclude(Exists(pending_refund))
    refunds = Refund.objects.filter(status=Refund.Status.PENDING, created_at__lt=cutoff)
    counts = {"releases": 0, "refunds": 0}
    for pk in releases.values_list("pk", flat=True):
        payment_release_task.delay(pk)
        counts["releases"] += 1
    for pk in refunds.values_list("pk", flat=True):
        refund_send_task.delay(pk)
        counts["refunds"] += 1
    tasks_wallet.withdrawals_resend_run.delay()
    return counts


@shared_task
def retry_dispatch() -> int:
    assert connection.schema_name == get_public_schema_name()
    return tenants_dispatch(retry_run)


@shared_task
def payouts_dispatch() -> int:
    return tenants_dispatch(tasks_wallet.payouts_run)
