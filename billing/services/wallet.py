"""Withdrawals: money a payee has in their connected account goes to their bank as a
Stripe payout, asked for (``withdrawal_request``) or automatic (``payouts_automatic``).

A withdrawal is written first (``requested``, with its idempotency key), and sent after
commit by a task (``withdrawal_send``): the payout is created with that key, so a
retried or duplicated task gets Stripe's first answer, and the ledger movement is posted
once by the payout's id. Until it is posted, a requested withdrawal still counts against
the available balance, and every withdrawal of one payee is decided under one lock, so
two requests at once cannot spend the same money. Stripe then reports the bank's answer
(``payout.paid`` / ``payout.failed``, ``payout_event``); a failed payout's money comes
back to the wallet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from audit.services import audit_record
from billing import ledger
from billing.models import LedgerEntry, Withdrawal
from billing.selectors.wallet import Payee, payee_of, tutor_wallets, wallet_balances
from billing.templatetags.money import money
from config.errors import ApplicationError
from connect import gateway
from connect.gateway import GatewayError
from crm.guards import require_here
from crm.models import TutorProfile
from meetings.services.completion import manager_ids
from notifications.services import notify
from tenants.models import ExternalRoute
from tenants.transactions import on_commit_in_tenant

__all__ = [
    "payout_event",
    "payouts_automatic",
    "withdrawal_request",
    "withdrawal_send",
    "withdrawals_resend",
]

logger = logging.getLogger(__name__)
Status = Withdrawal.Status
STRIPE = "stripe"
# Withdrawals still ``requested`` this long after being asked for are sent again, but
# only while Stripe still remembers their idempotency key (24 hours): after that a resend
# could make a second payout if the first call had reached Stripe, so people look at it.
RESEND_AFTER = dt.timedelta(minutes=10)
RESEND_UNTIL = dt.timedelta(hours=23)


def _lock(payee: Payee) -> None:
    """Serialise every withdrawal decision of one payee until the transaction ends."""
    name = f"{connection.schema_name}:{payee.account_name}".encode()
    key = int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _payee(withdrawal: Withdrawal) -> Payee:
    return Payee(kind=withdrawal.payee, tutor=withdrawal.tutor)


def _wallet_url() -> str:
    page = reverse("billing:wallet", urlconf=settings.ROOT_URLCONF)
    return connection.tenant.absolute_url(page)


def _payee_users(payee: Payee) -> list[User]:
    """Who hears about the payee's payouts: the tutor, or the agency's owners and admins."""
    ids = {payee.tutor.user_id} if payee.tutor else manager_ids()
    return list(User.objects.filter(pk__in={pk for pk in ids if pk}, is_active=True))


def _tell(payee: Payee, *, event: str, title: str, body: str) -> None:
    url = _wallet_url()
    for user in _payee_users(payee):
        notify(user=user, event=event, title=title, body=body, url=url)


def _account_ready(payee: Payee):
    account = payee.connected_account()
    if account is None or not account.can_receive:
        raise ApplicationError(
            "Payouts need a payout account that Stripe has enabled: finish setting it up "
            "on the payout account page first.",
            code="payout_account_not_ready",
            status=409,
        )
    return account


def _create(
    *, payee: Payee, account, amount: int, currency: str, by: User | None, automatic: bool
) -> Withdrawal:
    """Write the withdrawal (the caller holds the payee's lock) and send it after commit."""
    from billing.tasks_wallet import withdrawal_send_run

    withdrawal = Withdrawal.objects.create(
        payee=payee.kind,
        tutor=payee.tutor,
        destination=account.stripe_id,
        amount_minor=amount,
        currency=currency,
        automatic=automatic,
        requested_by=by,
        idempotency_key=f"payout:{connection.schema_name}:{uuid.uuid4().hex}",
    )
    on_commit_in_tenant(lambda: withdrawal_send_run.delay(withdrawal.pk))
    return withdrawal


@transaction.atomic
def withdrawal_request(
    *, actor: Membership, amount_minor: int, currency: str, request=None
) -> Withdrawal:
    """Ask to pay ``amount_minor`` of the actor's wallet out to their bank: a tutor's own,
    or the agency's (owners and admins). At most the available balance; 409 without an
    enabled payout account."""
    actor = require_here(actor)
    payee = payee_of(actor)
    if payee is None:
        if actor.role == Membership.Role.TUTOR:
            raise ApplicationError(
                "You have no tutor profile here yet.", code="no_tutor_profile", status=409
            )
        raise PermissionDenied("Only tutors and the agency's owners and admins have a wallet.")
    errors = {}
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        errors["amount_minor"] = ["Enter a whole number of minor units (cents)."]
    elif amount_minor <= 0:
        errors["amount_minor"] = ["Enter an amount above zero."]
    code = currency.upper() if isinstance(currency, str) else ""
    if not re.fullmatch(r"[A-Z]{3}", code):
        errors["currency"] = ["Enter a three-letter currency code."]
    if errors:
        raise ValidationError(errors)
    account = _account_ready(payee)
    _lock(payee)
    balance = next((b for b in wallet_balances(payee) if b.currency == code), None)
    if balance is None:
        raise ValidationError({"currency": [f"Your wallet holds no {code}."]})
    if amount_minor > balance.available_minor:
        available = max(balance.available_minor, 0)
        message = (
            f"At most {money(available, code)} is available."
            if available
            else "Nothing is available to withdraw yet."
        )
        raise ValidationError({"amount_minor": [message]})
    withdrawal = _create(
        payee=payee,
        account=account,
        amount=amount_minor,
        currency=code,
        by=actor.user,
        automatic=False,
    )
    audit_record(
        action="billing.withdrawal.requested",
        actor=actor.user,
        tenant=actor.tenant,
        target=withdrawal,
        data={"amount_minor": amount_minor, "currency": code, "payee": payee.kind},
        request=request,
    )
    return withdrawal


# Sending -------------------------------------------------------------------------------------


def _fail(withdrawal_id: int, message: str) -> Withdrawal | None:
    """A payout Stripe refused before it was made: nothing left the wallet."""
    with transaction.atomic():
        withdrawal = (
            Withdrawal.objects.select_for_update(of=("self",))
            .select_related("tutor")
            .filter(pk=withdrawal_id)
            .first()
        )
        if withdrawal is None or withdrawal.status != Status.REQUESTED:
            return withdrawal
        withdrawal.status = Status.FAILED
        withdrawal.failure_message = message[:1000]
        withdrawal.save(update_fields=["status", "failure_message", "updated_at"])
        audit_record(
            action="billing.withdrawal.failed", target=withdrawal, data={"message": message}
        )
        _tell(
            _payee(withdrawal),
            event="billing.withdrawal_failed",
            title=f"A payout of {money(withdrawal.amount_minor, withdrawal.currency)} failed",
            body=f"Stripe refused it: {message} The money is still in your wallet.",
        )
        return withdrawal


def withdrawal_send(*, withdrawal_id: int) -> Withdrawal | None:
    """Create the Stripe payout of a requested withdrawal and post it to the ledger, once.

    Retryable gateway errors propagate (the task retries with the same key); a refusal
    marks the withdrawal failed and tells the payee.
    """
    withdrawal = Withdrawal.objects.filter(pk=withdrawal_id).first()
    if withdrawal is None or withdrawal.status != Status.REQUESTED:
        return withdrawal
    try:
        payout = gateway.payout_create(
            key=withdrawal.idempotency_key,
            account=withdrawal.destination,
            amount=withdrawal.amount_minor,
            currency=withdrawal.currency,
            metadata={"tenant": connection.schema_name, "withdrawal": str(withdrawal.pk)},
        )
    except GatewayError as error:
        if error.retryable:
            raise
        return _fail(withdrawal.pk, error.message)
    with transaction.atomic():
        withdrawal = (
            Withdrawal.objects.select_for_update(of=("self",))
            .select_related("tutor")
            .get(pk=withdrawal_id)
        )
        if withdrawal.status != Status.REQUESTED:
            return withdrawal
        withdrawal.status = Status.PENDING
        withdrawal.stripe_id = payout["id"]
        withdrawal.save(update_fields=["status", "stripe_id", "updated_at"])
        ledger.post(
            kind="payout",
            key=f"payout:{payout['id']}",
            currency=withdrawal.currency,
            stripe_object=payout["id"],
            entries=[
                (_payee(withdrawal).account_name, -withdrawal.amount_minor),
                (ledger.EXTERNAL_BANK, withdrawal.amount_minor),
            ],
            memo=f"Withdrawal {withdrawal.pk}",
        )
        ExternalRoute.objects.get_or_create(
            provider=STRIPE, external_id=payout["id"], defaults={"tenant_id": connection.tenant.pk}
        )
    # Stripe may already know the bank's answer (and its event may have come first).
    if payout.get("status") in ("paid", "failed", "canceled"):
        _settle(withdrawal.stripe_id, payout)
    return withdrawal


def withdrawals_resend(*, now: dt.datetime | None = None) -> int:
    """Queue again the withdrawals of this tenant still not sent a while after being
    asked for (a lost task, retries given up); return how many."""
    from billing.tasks_wallet import withdrawal_send_run

    now = now or timezone.now()
    stuck = Withdrawal.objects.filter(status=Status.REQUESTED, created_at__lte=now - RESEND_AFTER)
    too_old = list(stuck.filter(created_at__lte=now - RESEND_UNTIL).values_list("pk", flat=True))
    if too_old:
        logger.error(
            "Withdrawals in %s still not sent after a day, check them at Stripe: %s",
            connection.schema_name,
            too_old,
        )
    stuck = stuck.filter(created_at__gt=now - RESEND_UNTIL)
    ids = list(stuck.order_by("created_at").values_list("pk", flat=True)[:500])
    for pk in ids:
        withdrawal_send_run.delay(pk)
    return len(ids)


# Stripe's answer -----------------------------------------------------------------------------


def _settle(payout_id: str, payout: dict) -> Withdrawal | None:
    """Apply the payout's state as Stripe has it now to its withdrawal (current tenant).

    ``failed`` (or ``canceled``) is final and brings the money back to the wallet once;
    ``paid`` never overrides it, since a payout can fail after being paid but not the
    other way round.
    """
    with transaction.atomic():
        withdrawal = (
            Withdrawal.objects.select_for_update(of=("self",))
            .select_related("tutor")
            .filter(stripe_id=payout_id)
            .first()
        )
        if withdrawal is None:
            return None
        state = payout.get("status")
        if state == "paid" and withdrawal.status == Status.PENDING:
            withdrawal.status = Status.PAID
            withdrawal.save(update_fields=["status", "updated_at"])
        elif state in ("failed", "canceled") and withdrawal.status != Status.FAILED:
            withdrawal.status = Status.FAILED
            withdrawal.failure_message = (
                payout.get("failure_message") or payout.get("failure_code") or f"Payout {state}."
            )[:1000]
            withdrawal.save(update_fields=["status", "failure_message", "updated_at"])
            payee = _payee(withdrawal)
            ledger.post(
                kind="payout_failed",
                key=f"payout_failed:{payout_id}",
                currency=withdrawal.currency,
                stripe_object=payout_id,
                entries=[
                    (payee.account_name, withdrawal.amount_minor),
                    (ledger.EXTERNAL_BANK, -withdrawal.amount_minor),
                ],
                memo=f"Withdrawal {withdrawal.pk} returned",
            )
            audit_record(
                action="billing.withdrawal.failed",
                target=withdrawal,
                data={"payout": payout_id, "message": withdrawal.failure_message},
            )
            _tell(
                payee,
                event="billing.withdrawal_failed",
                title=(
                    f"A payout of {money(withdrawal.amount_minor, withdrawal.currency)} "
                    "did not reach the bank"
                ),
                body=(
                    f"{withdrawal.failure_message} The money is back in your wallet; check "
                    "the bank details of your payout account, then withdraw it again."
                ),
            )
        return withdrawal


def payout_event(event: dict) -> Withdrawal | None:
    """Handle ``payout.paid`` / ``payout.failed`` (a Connect event, in the public schema).

    The tenant comes from the payout's ``ExternalRoute``; the payout is read again from
    Stripe, so events arriving late, twice or out of order all leave its current state.
    A payout of ours not routed yet (its send has not committed) raises ``LookupError``
    so the event is retried; anyone else's payout is ignored.
    """
    payout = event["data"]["object"]
    payout_id = payout["id"]
    route = (
        ExternalRoute.objects.filter(provider=STRIPE, external_id=payout_id)
        .select_related("tenant")
        .first()
    )
    if route is None:
        if (payout.get("metadata") or {}).get("withdrawal"):
            raise LookupError(f"Payout {payout_id} is not recorded yet")
        return None
    with tenant_context(route.tenant):
        withdrawal = Withdrawal.objects.filter(stripe_id=payout_id).first()
        if withdrawal is None:
            return None
        current = gateway.payout_retrieve(payout_id, account=withdrawal.destination)
        return _settle(payout_id, current)


# Automatic payouts ---------------------------------------------------------------------------


def _payees() -> list[Payee]:
    """Everyone with money in a wallet of this tenant: the agency and each tutor."""
    payees = [Payee(kind="agency")]
    tutor_ids = sorted({w.tutor.pk for w in tutor_wallets() if w.available_minor > 0})
    for tutor in TutorProfile.objects.filter(pk__in=tutor_ids).select_related("user"):
        payees.append(Payee(kind="tutor", tutor=tutor))
    return payees


def _settled(payee: Payee, currency: str, available: int, cutoff: dt.datetime) -> int:
    """What of ``available`` was released before ``cutoff``: releases younger than the
    delay wait for a later run, so each is paid out between one and two delays after it."""
    recent = LedgerEntry.objects.filter(
        account=payee.account_name,
        currency=currency,
        amount_minor__gt=0,
        transaction__kind="release",
        transaction__created_at__gt=cutoff,
    ).aggregate(total=Sum("amount_minor"))["total"]
    return max(available - (recent or 0), 0)


def _automatic(payee: Payee, account, currency: str, cutoff: dt.datetime) -> Withdrawal | None:
    with transaction.atomic():
        _lock(payee)
        balance = next(b for b in wallet_balances(payee) if b.currency == currency)
        amount = _settled(payee, currency, balance.available_minor, cutoff)
        if amount <= 0:
            return None
        withdrawal = _create(
            payee=payee, account=account, amount=amount, currency=currency, by=None, automatic=True
        )
        audit_record(
            action="billing.withdrawal.automatic",
            target=withdrawal,
            data={"amount_minor": amount, "currency": currency, "payee": payee.kind},
        )
        return withdrawal


def payouts_automatic(*, now: dt.datetime | None = None) -> list[Withdrawal]:
    """Pay out, in the current tenant, every payee's earnings released at least
    ``PAYOUT_DELAY_HOURS`` ago.

    Skipped (and logged): payees without an enabled payout account, and those whose last
    payout in the currency failed (their bank refused it: paying again every hour would
    fail again; their next own withdrawal starts the automatic ones again).
    """
    cutoff = (now or timezone.now()) - dt.timedelta(hours=settings.PAYOUT_DELAY_HOURS)
    made: list[Withdrawal] = []
    skipped: list[str] = []
    for payee in _payees():
        account = payee.connected_account()
        for currency in [b.currency for b in wallet_balances(payee) if b.available_minor > 0]:
            last = payee.withdrawals().filter(currency=currency).order_by("-created_at", "-id")
            if account is None or not account.can_receive:
                skipped.append(f"{payee.label} ({currency}): no enabled payout account")
            elif (last := last.first()) is not None and last.status == Status.FAILED:
                skipped.append(f"{payee.label} ({currency}): last payout failed")
            elif withdrawal := _automatic(payee, account, currency, cutoff):
                made.append(withdrawal)
    if skipped:
        logger.info(
            "Automatic payouts in %s skipped: %s", connection.schema_name, "; ".join(skipped)
        )
    return made
