"""Celery tasks of the wallet: sending a withdrawal as a payout, automatic payouts, and
sending again what is stuck. Each runs in the tenant that queued it and can run twice
without harm (the payout's idempotency key, the ledger's unique keys, row locks).
"""

from __future__ import annotations

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from billing.services import wallet
from connect.gateway import GatewayError

__all__ = ["payouts_run", "withdrawal_send_run", "withdrawals_resend_run"]

MAX_RETRIES = 8


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True)
def withdrawal_send_run(self, withdrawal_id: int) -> str:
    """Send one requested withdrawal; network trouble and Stripe's 5xx are retried with
    backoff (the same key each time, so at most one payout is made)."""
    try:
        withdrawal = wallet.withdrawal_send(withdrawal_id=withdrawal_id)
    except GatewayError as error:
        if self.request.retries >= self.max_retries:
            raise  # left requested: ``withdrawals_resend_run`` queues it again later
        raise self.retry(exc=error, countdown=min(3600, 30 * 2**self.request.retries)) from error
    return withdrawal.status if withdrawal else ""


@shared_task(acks_late=True)
def payouts_run() -> int:
    """Automatic payouts of the tenant this task was queued in (hourly, by beat)."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return len(wallet.payouts_automatic())


@shared_task(acks_late=True)
def withdrawals_resend_run() -> int:
    """Queue again this tenant's withdrawals still not sent a while after being asked."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return wallet.withdrawals_resend()
