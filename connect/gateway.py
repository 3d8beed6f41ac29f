"""Stripe's REST API, as the rest of the platform uses it: nothing else calls the SDK.

Built on ``stripe.StripeClient`` (the official library), pointed at ``STRIPE_API_BASE``
(Stripe itself; the test fake in tests). Every POST takes an ``idempotency_key``: the
caller derives it from the database row the call is for, so a retry after a timeout, a
crash or a duplicate task returns Stripe's first answer instead of moving money twice.
Answers are returned as plain dicts; errors become ``GatewayError`` with ``retryable``
set for network failures, rate limits and Stripe's own 5xx answers.

What this follows (docs.stripe.com):
- *Connect, separate charges and transfers*: the PaymentIntent is created on the platform
  with a ``transfer_group``; ``POST /v1/transfers`` with ``destination`` (the connected
  account), ``transfer_group`` and ``source_transaction`` (the charge, so a transfer can
  be made before the funds are available); ``POST /v1/transfers/{id}/reversals``.
- *Express accounts*: ``POST /v1/accounts`` with ``controller`` (Stripe-hosted
  onboarding and dashboard, losses and fees on the platform), ``capabilities[transfers]``;
  ``POST /v1/account_links`` (``type=account_onboarding``, ``refresh_url``,
  ``return_url``); ``POST /v1/accounts/{id}/login_links`` for the Express dashboard.
- *Payouts*: ``POST /v1/payouts`` with the ``Stripe-Account`` header pays out a
  connected account's balance (their payout schedule is set to manual).
- *Refunds*: ``POST /v1/refunds`` with ``payment_intent``, ``amount``, ``reason``.
- *Balance transactions*: ``GET /v1/balance_transactions`` (``created[gte]``,
  ``starting_after``, ``limit`` ≤ 100) for reconciliation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import stripe
from django.conf import settings

__all__ = [
    "GatewayError",
    "account_create",
    "account_link_create",
    "account_retrieve",
    "balance_transactions",
    "client",
    "dispute_retrieve",
    "login_link_create",
    "payment_intent_cancel",
    "payment_intent_create",
    "payment_intent_retrieve",
    "payout_create",
    "payout_retrieve",
    "refund_create",
    "transfer_create",
    "transfer_reversal_create",
    "webhook_event",
]


class GatewayError(Exception):
    def __init__(self, message: str, *, retryable: bool, code: str = "", status: int = 0):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.code = code
        self.status = status


def client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=settings.STRIPE_NETWORK_RETRIES,
    )


def _plain(obj: Any) -> dict[str, Any]:
    return obj.to_dict(recursive=True) if hasattr(obj, "to_dict") else dict(obj)


def _call(method, *args, **kwargs) -> dict[str, Any]:
    try:
        return _plain(method(*args, **kwargs))
    except (stripe.APIConnectionError, stripe.RateLimitError) as error:
        raise GatewayError(str(error.user_message or error), retryable=True) from error
    except stripe.StripeError as error:
        status = error.http_status or 0
        raise GatewayError(
            str(error.user_message or error),
            retryable=status >= 500 or status in (409, 429),
            code=error.code or "",
            status=status,
        ) from error


def _post(resource, *args, key: str, on_account: str = "", **params) -> dict[str, Any]:
    """POST with an idempotency key; ``on_account`` makes the call as a connected account."""
    if not key:
        raise ValueError("Every Stripe POST needs an idempotency key")
    options: dict[str, Any] = {"idempotency_key": key}
    if on_account:
        options["stripe_account"] = on_account
    return _call(resource, *args, params=params, options=options)


# Payments ----------------------------------------------------------------------------------


def payment_intent_create(
    *,
    key: str,
    amount: int,
    currency: str,
    transfer_group: str,
    metadata: dict[str, str],
    description: str,
    receipt_email: str = "",
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency.lower(),
        "transfer_group": transfer_group,
        "metadata": metadata,
        "description": description,
        "automatic_payment_methods": {"enabled": True},
    }
    if receipt_email:
        params["receipt_email"] = receipt_email
    return _post(client().v1.payment_intents.create, key=key, **params)


def payment_intent_retrieve(intent_id: str) -> dict[str, Any]:
    return _call(
        client().v1.payment_intents.retrieve, intent_id, params={"expand": ["latest_charge"]}
    )


def payment_intent_cancel(intent_id: str, *, key: str) -> dict[str, Any]:
    return _post(
        client().v1.payment_intents.cancel, intent_id, key=key, cancellation_reason="abandoned"
    )


def dispute_retrieve(dispute_id: str) -> dict[str, Any]:
    return _call(client().v1.disputes.retrieve, dispute_id)


def refund_create(
    *, key: str, payment_intent: str, amount: int, metadata: dict[str, str]
) -> dict[str, Any]:
    return _post(
        client().v1.refunds.create,
        key=key,
        payment_intent=payment_intent,
        amount=amount,
        reason="requested_by_customer",
        metadata=metadata,
    )


# Transfers and payouts ---------------------------------------------------------------------


def transfer_create(
    *,
    key: str,
    amount: int,
    currency: str,
    destination: str,
    transfer_group: str,
    source_transaction: str,
    metadata: dict[str, str],
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency.lower(),
        "destination": destination,
        "transfer_group": transfer_group,
        "metadata": metadata,
    }
    if source_transaction:
        params["source_transaction"] = source_transaction
    return _post(client().v1.transfers.create, key=key, **params)


def transfer_reversal_create(
    transfer_id: str, *, key: str, amount: int, metadata: dict[str, str]
) -> dict[str, Any]:
    return _post(
        client().v1.transfers.reversals.create,
        transfer_id,
        key=key,
        amount=amount,
        metadata=metadata,
    )


def payout_create(
    *, key: str, account: str, amount: int, currency: str, metadata: dict[str, str]
) -> dict[str, Any]:
    return _post(
        client().v1.payouts.create,
        key=key,
        on_account=account,
        amount=amount,
        currency=currency.lower(),
        metadata=metadata,
    )


def payout_retrieve(payout_id: str, *, account: str) -> dict[str, Any]:
    """A payout of a connected account as Stripe has it now (``status``: pending,
    in_transit, paid, failed or canceled)."""
    return _call(client().v1.payouts.retrieve, payout_id, options={"stripe_account": account})


# Connect accounts --------------------------------------------------------------------------


def account_create(*, key: str, email: str, country: str, metadata: dict[str, str]) -> dict:
    return _post(
        client().v1.accounts.create,
        key=key,
        country=country,
        email=email,
        controller={
            "stripe_dashboard": {"type": "express"},
            "fees": {"payer": "application"},
            "losses": {"payments": "application"},
        },
        capabilities={"transfers": {"requested": True}},
        settings={"payouts": {"schedule": {"interval": "manual"}}},
        metadata=metadata,
    )


def account_retrieve(account_id: str) -> dict[str, Any]:
    return _call(client().v1.accounts.retrieve, account_id)


def account_link_create(
    *, key: str, account: str, refresh_url: str, return_url: str
) -> dict[str, Any]:
    return _post(
        client().v1.account_links.create,
        key=key,
        account=account,
        refresh_url=refresh_url,
        return_url=return_url,
        type="account_onboarding",
    )


def login_link_create(account_id: str, *, key: str) -> dict[str, Any]:
    return _post(client().v1.accounts.login_links.create, account_id, key=key)


# Reading the balance -----------------------------------------------------------------------


def balance_transactions(*, created_gte: int, created_lt: int) -> Iterator[dict[str, Any]]:
    """Every balance transaction of the platform account in the window, oldest page first."""
    starting_after = ""
    while True:
        params: dict[str, Any] = {
            "limit": 100,
            "created": {"gte": created_gte, "lt": created_lt},
        }
        if starting_after:
            params["starting_after"] = starting_after
        page = _call(client().v1.balance_transactions.list, params=params)
        yield from page["data"]
        if not page.get("has_more") or not page["data"]:
            return
        starting_after = page["data"][-1]["id"]


# Webhooks ----------------------------------------------------------------------------------


def webhook_event(payload: bytes, signature: str, secrets: list[str]) -> dict[str, Any]:
    """The verified event, or ``ValueError`` if no endpoint secret signed it (or too late).

    Uses the library's check: the ``Stripe-Signature`` header's ``v1`` HMAC-SHA256 of
    ``"{t}.{payload}"`` with the endpoint secret, and ``t`` within
    ``STRIPE_WEBHOOK_TOLERANCE`` seconds of now.
    """
    for secret in secrets:
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError:
            continue
        return _plain(event)
    raise ValueError("No valid Stripe signature")
