"""A booking's money, from the student's payment to the tutor's transfer or a refund.

State per session (``Payment.status``): awaiting payment → held → released, or
refunded, cancelled (never paid), disputed. Stripe Connect with separate charges and
transfers: the student pays the platform once the tutor accepts; the money stays on the
platform until the class is confirmed (``session_changed`` "completed"), then transfers
under the booking's ``transfer_group`` pay the tutor and/or the agency and the platform
keeps its fee. Refunds follow the cancellation policy's outcome (``SessionChange``);
after a release the transfers are reversed first.

Every change of state locks the payment row. Stripe is called with an idempotency key
derived from the row the call is for (``Transfer``, ``Refund`` …), and the row is written
before the call: a crash or retry between the two sends the same key again and Stripe
answers with the first result, so no transfer, refund or payout is ever made twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from billing import ledger
from billing.fees import allocate, split_for
from billing.models import Payment, Refund, Transfer, TransferReversal
from config.errors import ApplicationError
from connect import gateway
from connect.gateway import GatewayError
from connect.selectors import account_of_tenant, account_of_user
from meetings.services.completion import manager_ids, student_side_users
from notifications.services import notify
from scheduling.models import Session, SessionChange
from scheduling.selectors.sessions import session_party
from tenants.models import ExternalRoute
from tenants.transactions import on_commit_in_tenant

__all__ = [
    "payment_checkout",
    "payment_create",
    "payment_for_session",
    "payment_open",
    "payment_refund",
    "payment_release",
    "payment_sync",
    "refund_manual",
    "release_retry",
    "session_changes_settle",
]

logger = logging.getLogger(__name__)
Status = Payment.Status
STRIPE = "stripe"
# Session states in which what is held (after any refund) belongs to the payees: a class
# that took place, or the fee a late cancellation or a no-show keeps.
RELEASABLE = (Session.Status.COMPLETED, Session.Status.CANCELLED, Session.Status.NO_SHOW)


class ReleaseInFlightError(Exception):
    """A refund waits while the payment's transfers are being sent (retried shortly)."""


def _schema() -> str:
    return connection.schema_name


def _key(*parts) -> str:
    return ":".join([_schema(), *map(str, parts)])


def _locked(payment_pk: int) -> Payment:
    return Payment.objects.select_for_update().select_related("session", "tutor").get(pk=payment_pk)


def _route(external_id: str) -> None:
    ExternalRoute.objects.get_or_create(
        provider=STRIPE, external_id=external_id, defaults={"tenant_id": connection.tenant.pk}
    )


def payment_url(payment: Payment) -> str:
    return connection.tenant.absolute_url(reverse("billing:pay", args=[payment.pk]))


def _tell(user_ids, *, event: str, title: str, body: str, url: str = "") -> None:
    for user_id in sorted(set(user_ids)):
        notify(event=event, title=title, body=body, url=url, user=_user(user_id))


def _platform_staff_ids() -> set[int]:
    return set(User.objects.filter(is_platform_staff=True).values_list("pk", flat=True))


def _user(user_id: int):
    return User.objects.get(pk=user_id)


# Opening -----------------------------------------------------------------------------------


def payment_create(session: Session, *, transfer_group: str = "") -> Payment:
    """A new payment of ``session`` with its split fixed now (the caller locked the session)."""
    parts = split_for(
        tutor=session.tutor,
        amount=session.price_minor,
        currency=session.currency,
        duration=session.duration,
    )
    return Payment.objects.create(
        session=session,
        tutor=session.tutor,
        student_id=session.student_id,
        amount_minor=parts.amount_minor,
        currency=session.currency,
        platform_fee_minor=parts.platform_fee_minor,
        agency_commission_minor=parts.agency_commission_minor,
        tutor_earnings_minor=parts.tutor_earnings_minor,
        platform_fee_basis_points=parts.platform_fee_basis_points,
        payout_route=parts.payout_route,
        transfer_group=transfer_group or f"{_schema()}-session-{session.pk}",
    )


def payment_open(session: Session) -> Payment | None:
    """The payment of a confirmed session, made once with its split (free classes: none)."""
    if session.price_minor <= 0:
        return None
    with transaction.atomic():
        session = Session.objects.select_for_update().select_related("tutor").get(pk=session.pk)
        existing = Payment.objects.filter(session=session).first()
        if existing is not None or session.status != Session.Status.CONFIRMED:
            return existing
        payment = payment_create(session)
        _tell(
            student_side_users(session),
            event="billing.payment_due",
            title="Your class is confirmed: please pay to keep it",
            body=f"{session.subject.name} on {session.starts_at:%d %b %Y %H:%M} UTC.",
            url=payment_url(payment),
        )
    return payment


def payment_for_session(session: Session) -> Payment | None:
    return Payment.objects.filter(session=session).first()


# Paying ------------------------------------------------------------------------------------


def payment_checkout(*, actor: Membership, payment: Payment) -> dict[str, str]:
    """What the payment element needs: the PaymentIntent's client secret (made once)."""
    if session_party(viewer=actor, session=payment.session) != "student":
        raise PermissionDenied("Only the student or their parent pays for a class.")
    if not settings.STRIPE_SECRET_KEY:
        raise ApplicationError(
            "Card payments are not set up on this platform.",
            code="payments_not_configured",
            status=409,
        )
    with transaction.atomic():
        payment = _locked(payment.pk)
        if payment.status != Status.AWAITING:
            raise ApplicationError(
                f"This class is {payment.get_status_display().lower()}; nothing to pay.",
                code="not_payable",
                status=409,
            )
        if payment.payment_intent_id:
            intent = gateway.payment_intent_retrieve(payment.payment_intent_id)
            if intent["status"] != "canceled":
                return {"client_secret": intent["client_secret"], "status": intent["status"]}
        attempt = payment.payment_intent_id or "first"
        try:
            intent = gateway.payment_intent_create(
                key=_key("pi", payment.pk, payment.amount_minor, attempt),
                amount=payment.amount_minor,
                currency=payment.currency,
                transfer_group=payment.transfer_group,
                metadata={"tenant": _schema(), "payment": str(payment.pk)},
                description=f"{payment.session.subject.name} class, session {payment.session_id}",
                receipt_email="",
            )
        except GatewayError as error:
            raise ApplicationError(
                f"The payment could not be started: {error.message}", code="gateway", status=502
            ) from error
        payment.payment_intent_id = intent["id"]
        payment.payer = actor.user
        payment.save(update_fields=["payment_intent_id", "payer", "updated_at"])
        _route(intent["id"])
    return {"client_secret": intent["client_secret"], "status": intent["status"]}


def payment_sync(payment_pk: int) -> Payment:
    """Bring a payment up to date with its PaymentIntent, as Stripe reports it now.

    Called from the return page, the webhook and retries, in any order and any number of
    times: the charge is recorded (held, ledger, receipt) once. A payment that arrives
    for a class cancelled meanwhile is refunded in full.
    """
    from billing.services.invoices import invoice_issue_receipt

    with transaction.atomic():
        payment = _locked(payment_pk)
        if not payment.payment_intent_id or payment.charge_id:
            return payment
        intent = gateway.payment_intent_retrieve(payment.payment_intent_id)
        if intent["status"] != "succeeded":
            return payment
        charge = intent["latest_charge"]
        charge_id = charge["id"] if isinstance(charge, dict) else charge
        was_cancelled = payment.status == Status.CANCELLED
        payment.charge_id = charge_id
        payment.paid_at = timezone.now()
        payment.status = Status.HELD
        payment.save()
        _post_charge(payment)
        invoice_issue_receipt(payment)
        audit_record(actor=None, action="billing.payment_received", target=payment)
        if was_cancelled:
            refund = Refund.objects.create(
                payment=payment,
                kind=Refund.Kind.POLICY,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                reason="The class was cancelled before the payment arrived.",
                idempotency_key=_key("refund-late", payment.pk),
            )
            _after_commit_refund(refund.pk)
        elif payment.session.status == Session.Status.COMPLETED:
            _after_commit_release(payment.pk)
        _tell(
            [payment.tutor.user_id],
            event="billing.payment_held",
            title="A student has paid for your class",
            body="The money is held until the class is confirmed.",
        )
    return payment


def _post_charge(payment: Payment) -> None:
    """The ledger of a received payment: from the payer, held for each payee."""
    ledger.post(
        kind="charge",
        key=f"charge:{payment.charge_id}",
        currency=payment.currency,
        payment=payment,
        stripe_object=payment.charge_id,
        entries=[
            (ledger.EXTERNAL_PAYER, -payment.amount_minor),
            (ledger.HELD_PLATFORM, payment.platform_fee_minor),
            (ledger.HELD_AGENCY, payment.agency_commission_minor),
            (ledger.held_tutor(payment.tutor_id), payment.tutor_earnings_minor),
        ],
        memo=f"Payment for session {payment.session_id}",
    )


# Releasing ---------------------------------------------------------------------------------


def _recipients(payment: Payment) -> list[tuple[str, int, str]]:
    """(recipient, amount still held for them, destination) for this payment's release."""
    held = ledger.payment_held(payment)
    tutor_part = held.get(ledger.held_tutor(payment.tutor_id), 0)
    agency_part = held.get(ledger.HELD_AGENCY, 0)
    agency_account = account_of_tenant(connection.tenant.pk)
    tutor_account = account_of_user(payment.tutor.user_id)
    if payment.payout_route == "agency":
        parts = [(Transfer.Recipient.AGENCY, tutor_part + agency_part, agency_account)]
    else:
        parts = [
            (Transfer.Recipient.TUTOR, tutor_part, tutor_account),
            (Transfer.Recipient.AGENCY, agency_part, agency_account),
        ]
    return [(who, amount, account) for who, amount, account in parts if amount > 0]


def payment_release(payment_pk: int) -> Payment:
    """Pay the tutor and/or agency for a confirmed class; the platform keeps its fee.

    Phase one (locked): check the state and write one ``Transfer`` per recipient.
    Phase two: send each pending transfer with its own key. Phase three (locked): once
    all are sent, post the ledger and mark the payment released. Safe to run again at
    any point; a dispute or refund that arrives meanwhile stops it before phase two.
    """
    with transaction.atomic():
        payment = _locked(payment_pk)
        if payment.status != Status.HELD:
            return payment
        if payment.session.status not in RELEASABLE:
            return payment
        if payment.refunds.filter(status=Refund.Status.PENDING).exists():
            return payment  # the refund's task releases what is left once it is sent
        if not payment.transfers.exists():
            recipients = _recipients(payment)
            missing = [who for who, _, acct in recipients if acct is None or not acct.can_receive]
            if missing:
                reason = f"No payout account ready for: {', '.join(missing)}."
                if payment.release_blocked_reason != reason:
                    tell = manager_ids()
                    if "tutor" in missing:
                        tell.add(payment.tutor.user_id)
                    _tell(
                        tell,
                        event="billing.payout_account_needed",
                        title="Set up payouts to receive a class's earnings",
                        body=reason,
                        url=connection.tenant.absolute_url(reverse("billing:connect")),
                    )
                payment.release_blocked_reason = reason
                payment.save(update_fields=["release_blocked_reason", "updated_at"])
                return payment
            for who, amount, account in recipients:
                Transfer.objects.create(
                    payment=payment,
                    recipient=who,
                    destination=account.stripe_id,
                    amount_minor=amount,
                    currency=payment.currency,
                    idempotency_key=_key("transfer", payment.pk, who),
                )
    for transfer in Transfer.objects.filter(payment_id=payment_pk, status="pending"):
        _transfer_send(transfer)
    with transaction.atomic():
        payment = _locked(payment_pk)
        transfers = list(payment.transfers.all())
        if payment.status != Status.HELD or any(t.status != "paid" for t in transfers):
            return payment
        _release_post(payment, transfers)
        payment.status = Status.RELEASED
        payment.released_at = timezone.now()
        payment.release_blocked_reason = ""
        payment.save()
        _tell(
            [payment.tutor.user_id],
            event="billing.payment_released",
            title="Your earnings for a class were released",
            body="They are in your wallet and will be paid out to your bank.",
        )
    return payment


def _release_post(payment: Payment, transfers: list[Transfer]) -> None:
    """The ledger of a release: each transfer out of what was held, the fee to revenue."""
    for transfer in transfers:
        held_account = (
            ledger.held_tutor(payment.tutor_id)
            if transfer.recipient == Transfer.Recipient.TUTOR
            else None
        )
        wallet = (
            ledger.wallet_tutor(payment.tutor_id)
            if transfer.recipient == Transfer.Recipient.TUTOR
            else ledger.WALLET_AGENCY
        )
        held = ledger.payment_held(payment)
        if held_account:
            entries = [(held_account, -transfer.amount_minor)]
        else:
            tutor_held = held.get(ledger.held_tutor(payment.tutor_id), 0)
            tutor_take = tutor_held if payment.payout_route == "agency" else 0
            entries = [
                (ledger.held_tutor(payment.tutor_id), -tutor_take),
                (ledger.HELD_AGENCY, -(transfer.amount_minor - tutor_take)),
            ]
        ledger.post(
            kind="release",
            key=f"transfer:{transfer.stripe_id}",
            currency=payment.currency,
            payment=payment,
            stripe_object=transfer.stripe_id,
            entries=[*entries, (wallet, transfer.amount_minor)],
            memo=f"Release of session {payment.session_id} to {transfer.recipient}",
        )
    fee = ledger.payment_held(payment).get(ledger.HELD_PLATFORM, 0)
    ledger.post(
        kind="release",
        key=f"fee:{_schema()}:{payment.pk}",
        currency=payment.currency,
        payment=payment,
        entries=[(ledger.HELD_PLATFORM, -fee), (ledger.PLATFORM_REVENUE, fee)],
        memo=f"Platform fee of session {payment.session_id}",
    )


def _transfer_send(transfer: Transfer) -> None:
    payment = transfer.payment
    try:
        sent = gateway.transfer_create(
            key=transfer.idempotency_key,
            amount=transfer.amount_minor,
            currency=transfer.currency,
            destination=transfer.destination,
            transfer_group=payment.transfer_group,
            source_transaction=payment.charge_id,
            metadata={"tenant": _schema(), "payment": str(payment.pk)},
        )
    except GatewayError as error:
        Transfer.objects.filter(pk=transfer.pk).update(last_error=error.message)
        if error.retryable:
            raise
        Transfer.objects.filter(pk=transfer.pk).update(status=Transfer.Status.FAILED)
        _tell(
            manager_ids(),
            event="billing.transfer_failed",
            title="A transfer to a payout account failed",
            body=error.message,
        )
        return
    Transfer.objects.filter(pk=transfer.pk).update(
        stripe_id=sent["id"], status=Transfer.Status.PAID, last_error=""
    )


def release_retry(*, actor: Membership, payment: Payment) -> Payment:
    """Try a stuck release again (owners, admins, platform staff): after a payee finished
    onboarding, or after a transfer Stripe refused. A refused transfer made nothing at
    Stripe, so it is sent again under a new key, to the payee's account as it is now."""
    if not (actor.is_manager or actor.user.is_platform_staff):
        raise PermissionDenied("Only the agency's owners and admins can retry a release.")
    with transaction.atomic():
        payment = _locked(payment.pk)
        if payment.status != Status.HELD or payment.session.status not in RELEASABLE:
            raise ApplicationError(
                "Only a held payment of a class that took place (or kept a fee) can be released.",
                code="not_releasable",
                status=409,
            )
        accounts = {who: account for who, _, account in _recipients(payment)}
        for transfer in payment.transfers.filter(status=Transfer.Status.FAILED):
            account = accounts.get(transfer.recipient)
            if account is None or not account.can_receive:
                raise ApplicationError(
                    f"The {transfer.recipient}'s payout account is not ready yet.",
                    code="payout_account_not_ready",
                    status=409,
                )
            attempt = transfer.idempotency_key.count(":retry") + 1
            transfer.destination = account.stripe_id
            transfer.status = Transfer.Status.PENDING
            transfer.idempotency_key = (
                f"{transfer.idempotency_key.split(':retry')[0]}:retry{attempt}"
            )
            transfer.last_error = ""
            transfer.save()
        payment.release_blocked_reason = ""
        payment.save(update_fields=["release_blocked_reason", "updated_at"])
        audit_record(actor=actor.user, action="billing.release_retried", target=payment)
        _after_commit_release(payment.pk)
    return payment


# Refunds -----------------------------------------------------------------------------------


def payment_refund(
    *,
    payment: Payment,
    amount: int,
    reason: str,
    kind: str = Refund.Kind.POLICY,
    change: SessionChange | None = None,
    actor=None,
) -> Refund | None:
    """Record a refund of ``amount`` and send it after commit (caller holds the row lock)."""
    if amount <= 0:
        return None
    if amount > payment.net_minor:
        raise ValidationError({"amount_minor": "More than what is left of the payment."})
    refund = Refund.objects.create(
        payment=payment,
        kind=kind,
        amount_minor=amount,
        currency=payment.currency,
        reason=reason,
        session_change=change,
        actor=actor,
        idempotency_key=_key(
            "refund", payment.pk, change.pk if change else timezone.now().timestamp()
        ),
    )
    _after_commit_refund(refund.pk)
    return refund


def refund_send(refund_pk: int) -> Refund:
    """Send a recorded refund: reverse the released share first, then refund the card."""
    with transaction.atomic():
        payment_pk = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_pk)
        payment = _locked(payment_pk)
        refund = Refund.objects.select_for_update().get(pk=refund_pk)
        if refund.status != Refund.Status.PENDING:
            return refund
        if payment.status == Status.HELD and payment.transfers.exists():
            raise ReleaseInFlightError(f"payment {payment.pk} is being released")
        platform_part, transfer_parts = _refund_shares(payment, refund)
        try:
            for transfer, amount in transfer_parts:
                _reverse(payment, transfer, refund, amount)
        except GatewayError as error:
            if error.retryable:
                raise
            # A payee's account could not give the money back (already paid out, closed):
            # people decide whether the platform refunds at its own cost.
            return _refund_failed(refund, f"A transfer could not be reversed: {error.message}")
        try:
            sent = gateway.refund_create(
                key=refund.idempotency_key,
                payment_intent=payment.payment_intent_id,
                amount=refund.amount_minor,
                metadata={"tenant": _schema(), "refund": str(refund.pk)},
            )
        except GatewayError as error:
            if error.retryable:
                raise
            return _refund_failed(refund, error.message)
        refund.stripe_id = sent["id"]
        refund.status = Refund.Status.SUCCEEDED
        refund.save()
        _post_refund(payment, refund, platform_part)
        payment.refunded_minor += refund.amount_minor
        if payment.refunded_minor == payment.amount_minor:
            payment.status = Status.REFUNDED
        payment.save()
        if payment.status == Status.HELD and payment.session.status in RELEASABLE:
            _after_commit_release(payment.pk)
        from billing.services.invoices import invoice_issue_credit_note

        invoice_issue_credit_note(refund)
        _tell(
            student_side_users(payment.session),
            event="billing.refunded",
            title="You have been refunded",
            body=f"{refund.amount_minor / 100:.2f} {refund.currency}: {refund.reason}",
        )
    return refund


def _refund_failed(refund: Refund, message: str) -> Refund:

    refund.status = Refund.Status.FAILED
    refund.last_error = message
    refund.save()
    _tell(
        manager_ids() | _platform_staff_ids(),
        event="billing.refund_failed",
        title="A refund could not be made",
        body=f"{message} The student has not been refunded yet.",
        url=payment_url(refund.payment),
    )
    return refund


def _refund_shares(payment: Payment, refund: Refund) -> tuple[int, list[tuple[Transfer, int]]]:
    """How much of a refund the platform's fee gives back and how much each transfer does.

    Before release everything is still held (no transfers). After release the refund is
    spread over the fee and the transfers in proportion to what each still holds.
    """
    transfers = [t for t in payment.transfers.all() if t.status == "paid"]
    if not transfers or payment.status != Status.RELEASED:
        return 0, []
    revenue_left = payment.platform_fee_minor - _refunded_fee(payment)
    parts = [revenue_left, *[t.amount_minor - t.reversed_minor for t in transfers]]
    shares = allocate(refund.amount_minor, parts)
    return shares[0], list(zip(transfers, shares[1:], strict=True))


def _refunded_fee(payment: Payment) -> int:
    from django.db.models import Sum

    from billing.models import LedgerEntry

    total = LedgerEntry.objects.filter(
        transaction__payment=payment,
        transaction__kind="refund",
        account=ledger.PLATFORM_REVENUE,
    ).aggregate(total=Sum("amount_minor"))["total"]
    return -(total or 0)


def _reverse(payment: Payment, transfer: Transfer, refund: Refund, amount: int) -> None:
    if amount <= 0:
        return
    reversal, _ = TransferReversal.objects.get_or_create(
        transfer=transfer,
        refund=refund,
        defaults={
            "amount_minor": amount,
            "idempotency_key": _key("reversal", transfer.pk, refund.pk),
        },
    )
    if not reversal.stripe_id:
        sent = gateway.transfer_reversal_create(
            transfer.stripe_id,
            key=reversal.idempotency_key,
            amount=reversal.amount_minor,
            metadata={"tenant": _schema(), "refund": str(refund.pk)},
        )
        reversal.stripe_id = sent["id"]
        reversal.save(update_fields=["stripe_id"])
        transfer.reversed_minor += reversal.amount_minor
        transfer.save(update_fields=["reversed_minor", "updated_at"])
    wallet = (
        ledger.wallet_tutor(payment.tutor_id)
        if transfer.recipient == Transfer.Recipient.TUTOR
        else ledger.WALLET_AGENCY
    )
    held = (
        ledger.held_tutor(payment.tutor_id)
        if transfer.recipient == Transfer.Recipient.TUTOR
        else ledger.HELD_AGENCY
    )
    ledger.post(
        kind="reversal",
        key=f"reversal:{reversal.stripe_id}",
        currency=payment.currency,
        payment=payment,
        stripe_object=reversal.stripe_id,
        entries=[(wallet, -reversal.amount_minor), (held, reversal.amount_minor)],
        memo=f"Reversed for refund {refund.pk}",
    )


def _post_refund(payment: Payment, refund: Refund, platform_part: int) -> None:
    """Take the refund out of what is held for the payment (in proportion) and the fee."""
    held = ledger.payment_held(payment)
    accounts = sorted(held)
    from_held = refund.amount_minor - platform_part
    shares = allocate(from_held, [held[a] for a in accounts])
    entries = [(a, -s) for a, s in zip(accounts, shares, strict=True)]
    entries += [
        (ledger.PLATFORM_REVENUE, -platform_part),
        (ledger.EXTERNAL_PAYER, refund.amount_minor),
    ]
    ledger.post(
        kind="refund",
        key=f"refund:{refund.stripe_id}",
        currency=payment.currency,
        payment=payment,
        stripe_object=refund.stripe_id,
        entries=entries,
        memo=refund.reason[:200],
    )


def refund_manual(*, actor: Membership, payment: Payment, amount: int, reason: str) -> Refund:
    """A refund decided by the agency (owner/admin) or the platform's staff, with a reason."""
    if not (actor.is_manager or actor.user.is_platform_staff):
        raise PermissionDenied("Only the agency's owners and admins can issue refunds.")
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = "Say why the money is refunded."
    if not isinstance(amount, int) or amount <= 0:
        errors["amount_minor"] = "Enter a positive amount in minor units."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        payment = _locked(payment.pk)
        if payment.status not in (Status.HELD, Status.RELEASED):
            raise ApplicationError(
                "Only a held or released payment can be refunded.",
                code="not_refundable",
                status=409,
            )
        refund = payment_refund(
            payment=payment, amount=amount, reason=reason, kind=Refund.Kind.MANUAL, actor=actor.user
        )
        audit_record(actor=actor.user, action="billing.refund_issued", target=payment)
    return refund


# Policy outcomes ---------------------------------------------------------------------------


def session_changes_settle(session_pk: int) -> None:
    """Act on the session's cancellations and no-shows billing has not handled yet."""
    with transaction.atomic():
        payment = Payment.objects.filter(session_id=session_pk).first()
        changes = SessionChange.objects.select_for_update().filter(
            session_id=session_pk, billing_processed_at__isnull=True
        )
        for change in changes:
            if change.kind != SessionChange.Kind.RESCHEDULE and payment is not None:
                _settle(payment.pk, change)
            change.billing_processed_at = timezone.now()
            change.save(update_fields=["billing_processed_at"])


def _settle(payment_pk: int, change: SessionChange) -> None:
    payment = _locked(payment_pk)
    if payment.status == Status.AWAITING:
        payment.status = Status.CANCELLED
        payment.save()
        if payment.payment_intent_id:
            intent_id = payment.payment_intent_id
            key = _key("pi-cancel", payment.pk)
            on_commit_in_tenant(lambda: _cancel_intent(intent_id, key))
        return
    if payment.status not in (Status.HELD, Status.RELEASED):
        return
    refund_amount = min(change.refund_minor, payment.net_minor)
    payment_refund(
        payment=payment,
        amount=refund_amount,
        reason=change.reason
        or f"{change.get_kind_display()} by the {change.get_party_display().lower()}",
        change=change,
    )
    if payment.status == Status.HELD and refund_amount == 0:
        # The policy keeps it all (a no-show, a very late cancellation): pay the payees.
        _after_commit_release(payment.pk)


def _cancel_intent(intent_id: str, key: str) -> None:
    try:
        gateway.payment_intent_cancel(intent_id, key=key)
    except GatewayError as error:
        logger.warning("Could not cancel PaymentIntent %s: %s", intent_id, error.message)


def _after_commit_release(payment_pk: int) -> None:
    from billing import tasks

    on_commit_in_tenant(lambda: tasks.payment_release_task.delay(payment_pk))


def _after_commit_refund(refund_pk: int) -> None:
    from billing import tasks

    on_commit_in_tenant(lambda: tasks.refund_send_task.delay(refund_pk))


# Disputes ----------------------------------------------------------------------------------

DISPUTE_WON = ("won", "warning_closed")


def dispute_apply(payment_pk: int, dispute: dict) -> Payment:
    """Apply a dispute's current state: open freezes release, won lifts it, lost books it."""

    with transaction.atomic():
        payment = _locked(payment_pk)
        state = dispute["status"]
        payment.dispute_id = dispute["id"]
        previous = payment.dispute_status
        payment.dispute_status = state
        if state in DISPUTE_WON:
            if payment.status == Status.DISPUTED:
                payment.status = payment.status_before_dispute or Status.HELD
            if payment.status == Status.HELD and payment.session.status in RELEASABLE:
                _after_commit_release(payment.pk)
        elif state == "lost":
            if payment.status != Status.DISPUTED:
                payment.status_before_dispute = payment.status
                payment.status = Status.DISPUTED
            _post_dispute_loss(payment, dispute)
        elif payment.status != Status.DISPUTED:
            payment.status_before_dispute = payment.status
            payment.status = Status.DISPUTED
        payment.save()
        if state != previous:
            _tell(
                _platform_staff_ids() | manager_ids(),
                event="billing.dispute",
                title=f"Payment dispute: {state.replace('_', ' ')}",
                body=(
                    f"The payment for session {payment.session_id} is disputed "
                    f"({dispute.get('reason', 'no reason given')}); its release is frozen."
                    if state not in (*DISPUTE_WON, "lost")
                    else f"The dispute on session {payment.session_id}'s payment is {state}."
                ),
                url=payment_url(payment),
            )
    return payment


def _post_dispute_loss(payment: Payment, dispute: dict) -> None:
    """The disputed amount is gone: from what is still held, the rest at the platform's cost."""
    held = ledger.payment_held(payment)
    amount = min(int(dispute.get("amount") or payment.net_minor), payment.net_minor)
    from_held = min(amount, sum(held.values()))
    accounts = sorted(held)
    shares = allocate(from_held, [held[a] for a in accounts])
    entries = [(a, -s) for a, s in zip(accounts, shares, strict=True)]
    entries += [
        (ledger.PLATFORM_REVENUE, -(amount - from_held)),
        (ledger.EXTERNAL_PAYER, amount),
    ]
    ledger.post(
        kind="dispute_lost",
        key=f"dispute:{dispute['id']}",
        currency=payment.currency,
        payment=payment,
        stripe_object=dispute["id"],
        entries=entries,
        memo=f"Dispute lost on session {payment.session_id}",
    )
