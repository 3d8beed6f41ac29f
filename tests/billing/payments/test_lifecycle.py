"""The money of one class, end to end against the fake Stripe: open, pay, hold, release,
refund, dispute; never a second transfer, refund or payout, whatever runs twice."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django_tenants.utils import tenant_context

from billing import ledger
from billing.models import Invoice, LedgerEntry, Payment, Refund, Transfer
from billing.services import payments
from config.errors import ApplicationError
from scheduling.models import Session
from scheduling.services.bookings import session_cancel
from tests.billing.payments.conftest import START

pytestmark = pytest.mark.django_db

Status = Payment.Status


def _complete(acme, payment, capture):
    with tenant_context(acme), capture(execute=True):
        Session.objects.filter(pk=payment.session_id).update(status=Session.Status.COMPLETED)
        return payments.payment_release(payment.pk)


def _balances(acme) -> dict[str, int]:
    with tenant_context(acme):
        rows = LedgerEntry.objects.values("account").annotate(total=Sum("amount_minor"))
        return {r["account"]: r["total"] for r in rows if r["total"]}


# Opening and paying -------------------------------------------------------------------------


def test_a_confirmed_class_opens_one_payment_with_its_split(acme, lesson, opened):
    assert (opened.status, opened.amount_minor, opened.currency) == (Status.AWAITING, 4000, "GBP")
    # 10% platform by default, 20% agency commission by default, the rest to the tutor.
    assert (
        opened.platform_fee_minor,
        opened.agency_commission_minor,
        opened.tutor_earnings_minor,
    ) == (400, 800, 2800)
    with tenant_context(acme):
        assert payments.payment_open(lesson).pk == opened.pk
        assert Payment.objects.count() == 1


def test_a_free_class_needs_no_payment(acme, booked, tutor_profile, student_profile):
    free = booked(tutor_profile, student_profile, START, price_minor=0)
    with tenant_context(acme):
        assert payments.payment_open(free) is None


def test_a_request_not_yet_accepted_has_no_payment(acme, booked, tutor_profile, student_profile):
    asked = booked(tutor_profile, student_profile, START, status=Session.Status.REQUESTED)
    with tenant_context(acme):
        assert payments.payment_open(asked) is None


def test_checkout_makes_one_payment_intent_with_an_idempotency_key(
    acme, opened, student, fake_stripe
):
    with tenant_context(acme):
        first = payments.payment_checkout(actor=student, payment=opened)
        again = payments.payment_checkout(actor=student, payment=opened)
    assert first["client_secret"] == again["client_secret"]
    (create,) = fake_stripe.calls("POST", "/v1/payment_intents")
    assert create.headers["idempotency-key"]
    assert create.form["amount"] == "4000"
    assert create.form["currency"] == "gbp"
    assert create.form["transfer_group"] == opened.transfer_group
    assert create.form["automatic_payment_methods[enabled]"] == "true"


def test_the_tutor_cannot_pay_for_the_student(acme, opened, tutor, fake_stripe):
    with tenant_context(acme), pytest.raises(PermissionDenied):
        payments.payment_checkout(actor=tutor, payment=opened)
    assert fake_stripe.calls("POST", "/v1/payment_intents") == []


def test_a_paid_class_is_held_with_its_ledger_and_receipt_once(acme, opened, pay, fake_stripe):
    payment = pay(opened)
    assert payment.status == Status.HELD
    assert payment.charge_id.startswith("ch_")
    with tenant_context(acme):
        payments.payment_sync(payment.pk)  # the webhook, arriving second
        assert Invoice.objects.filter(payment=payment, kind="receipt").count() == 1
    assert _balances(acme) == {
        "external:payer": -4000,
        "held:platform": 400,
        "held:agency": 800,
        ledger.held_tutor(payment.tutor_id): 2800,
    }


def test_an_unfinished_payment_stays_awaiting(acme, opened, student, fake_stripe):
    with tenant_context(acme):
        payments.payment_checkout(actor=student, payment=opened)
        assert payments.payment_sync(opened.pk).status == Status.AWAITING
        assert LedgerEntry.objects.count() == 0


def test_a_held_payment_cannot_be_paid_again(acme, opened, pay, student):
    pay(opened)
    with tenant_context(acme), pytest.raises(ApplicationError) as refused:
        payments.payment_checkout(actor=student, payment=opened)
    assert refused.value.status == 409


# Releasing --------------------------------------------------------------------------------


def test_completion_releases_to_the_agency_account_under_the_transfer_group(
    acme, opened, pay, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = _complete(acme, pay(opened), django_capture_on_commit_callbacks)
    assert payment.status == Status.RELEASED
    (transfer,) = fake_stripe.calls("POST", "/v1/transfers")
    assert transfer.form["destination"] == accounts["agency"].stripe_id
    assert transfer.form["amount"] == "3600"  # the tutor's 2800 and the agency's 800
    assert transfer.form["transfer_group"] == payment.transfer_group
    assert transfer.form["source_transaction"] == payment.charge_id
    balances = _balances(acme)
    assert balances["wallet:agency"] == 3600
    assert balances["platform:revenue"] == 400
    assert not [a for a in balances if a.startswith("held:")]


def test_tutors_paid_directly_get_their_own_transfer(
    acme, opened, pay, accounts, route, fake_stripe, django_capture_on_commit_callbacks
):
    route("tutors")
    with tenant_context(acme):
        Payment.objects.filter(pk=opened.pk).update(payout_route="tutors")
    _complete(acme, pay(opened), django_capture_on_commit_callbacks)
    sent = {
        c.form["destination"]: c.form["amount"] for c in fake_stripe.calls("POST", "/v1/transfers")
    }
    assert sent == {accounts["tutor"].stripe_id: "2800", accounts["agency"].stripe_id: "800"}
    with tenant_context(acme):
        (wallet,) = ledger.wallet_for(tutor_id=opened.tutor_id)
    assert (wallet.pending_minor, wallet.available_minor) == (0, 2800)


def test_releasing_twice_transfers_once(
    acme, opened, pay, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = _complete(acme, pay(opened), django_capture_on_commit_callbacks)
    with tenant_context(acme):
        payments.payment_release(payment.pk)
        assert Transfer.objects.count() == 1
    assert len(fake_stripe.calls("POST", "/v1/transfers")) == 1


def test_a_transfer_lost_in_a_timeout_is_sent_again_with_the_same_key(
    acme, opened, pay, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = pay(opened)
    fake_stripe.fail("POST", "/v1/transfers", 500)
    with pytest.raises(payments.GatewayError):
        _complete(acme, payment, django_capture_on_commit_callbacks)
    with tenant_context(acme):
        assert Payment.objects.get(pk=payment.pk).status == Status.HELD
        assert payments.payment_release(payment.pk).status == Status.RELEASED
    first, second = fake_stripe.calls("POST", "/v1/transfers")
    assert first.headers["idempotency-key"] == second.headers["idempotency-key"]


def test_a_class_not_yet_completed_is_not_released(acme, opened, pay, accounts, fake_stripe):
    payment = pay(opened)
    with tenant_context(acme):
        assert payments.payment_release(payment.pk).status == Status.HELD
    assert fake_stripe.calls("POST", "/v1/transfers") == []


def test_release_waits_for_a_payout_account_then_goes_through(
    acme, opened, pay, fake_stripe, django_capture_on_commit_callbacks
):
    payment = _complete(acme, pay(opened), django_capture_on_commit_callbacks)
    assert payment.status == Status.HELD
    with tenant_context(acme):
        payment.refresh_from_db()
        assert "agency" in payment.release_blocked_reason
        assert Transfer.objects.count() == 0
    from tests.billing.payments.conftest import account

    account(fake_stripe, tenant=acme)
    with tenant_context(acme):
        assert payments.payment_release(payment.pk).status == Status.RELEASED


# Refunds ----------------------------------------------------------------------------------


def test_cancelling_inside_the_free_window_refunds_everything(
    acme, opened, pay, student, fake_stripe, django_capture_on_commit_callbacks
):
    payment = pay(opened)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        session_cancel(actor=student, session=payment.session, reason="Exam moved")
    with tenant_context(acme):
        payment.refresh_from_db()
        refund = Refund.objects.get()
        assert (payment.status, payment.refunded_minor) == (Status.REFUNDED, 4000)
        assert (refund.amount_minor, refund.status, refund.kind) == (4000, "succeeded", "policy")
        assert refund.reason == "Exam moved"
        assert refund.session_change.billing_processed_at is not None
        assert Invoice.objects.filter(kind="credit_note", refund=refund).exists()
    (sent,) = fake_stripe.calls("POST", "/v1/refunds")
    assert (sent.form["amount"], sent.form["payment_intent"]) == ("4000", payment.payment_intent_id)
    assert not [a for a, n in _balances(acme).items() if a.startswith("held:")]


def test_cancelling_late_refunds_part_and_pays_the_fee_to_the_payees(
    acme,
    booked,
    tutor_profile,
    student_profile,
    student,
    accounts,
    pay,
    fake_stripe,
    django_capture_on_commit_callbacks,
):
    import datetime as dt

    from django.utils import timezone

    soon = booked(tutor_profile, student_profile, timezone.now() + dt.timedelta(hours=3))
    with tenant_context(acme):
        payment = payments.payment_open(soon)
    pay(payment)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        change = session_cancel(actor=student, session=soon, reason="Ill")
    assert 0 < change.refund_minor < 4000
    with tenant_context(acme):
        payment.refresh_from_db()
        assert payment.refunded_minor == change.refund_minor
        assert payment.status == Status.RELEASED
    (transfer,) = fake_stripe.calls("POST", "/v1/transfers")
    assert int(transfer.form["amount"]) + change.refund_minor < 4000  # the platform kept its share
    assert not [a for a in _balances(acme) if a.startswith("held:")]


def test_a_refund_after_release_reverses_the_transfers_first(
    acme, opened, pay, owner, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = _complete(acme, pay(opened), django_capture_on_commit_callbacks)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        payments.refund_manual(actor=owner, payment=payment, amount=4000, reason="Tutor no-show")
    (reversal,) = fake_stripe.calls("POST", "/reversals")
    (refund,) = fake_stripe.calls("POST", "/v1/refunds")
    assert fake_stripe.requests.index(reversal) < fake_stripe.requests.index(refund)
    assert reversal.form["amount"] == "3600"
    balances = _balances(acme)
    assert balances == {}  # every account back to zero: nothing held, kept or owed
    with tenant_context(acme):
        payment.refresh_from_db()
        assert payment.status == Status.REFUNDED


def test_a_partial_refund_after_release_is_shared_in_proportion(
    acme, opened, pay, owner, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = _complete(acme, pay(opened), django_capture_on_commit_callbacks)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        payments.refund_manual(actor=owner, payment=payment, amount=1000, reason="Half the class")
    (reversal,) = fake_stripe.calls("POST", "/reversals")
    assert reversal.form["amount"] == "900"  # 3600/4000 of it; the platform gives back 100
    balances = _balances(acme)
    assert (balances["wallet:agency"], balances["platform:revenue"]) == (2700, 300)
    with tenant_context(acme):
        payment.refresh_from_db()
        assert (payment.status, payment.refunded_minor) == (Status.RELEASED, 1000)


@pytest.mark.parametrize(
    ("amount", "reason", "field"), [(0, "x", "amount_minor"), (100, " ", "reason")]
)
def test_a_manual_refund_needs_an_amount_and_a_reason(
    acme, opened, pay, owner, amount, reason, field
):
    from django.core.exceptions import ValidationError

    payment = pay(opened)
    with tenant_context(acme), pytest.raises(ValidationError) as refused:
        payments.refund_manual(actor=owner, payment=payment, amount=amount, reason=reason)
    assert field in refused.value.message_dict


def test_a_refund_above_what_is_left_is_refused(acme, opened, pay, owner):
    from django.core.exceptions import ValidationError

    payment = pay(opened)
    with tenant_context(acme), pytest.raises(ValidationError):
        payments.refund_manual(actor=owner, payment=payment, amount=4001, reason="Too much")


def test_only_managers_refund(acme, opened, pay, tutor):
    payment = pay(opened)
    with tenant_context(acme), pytest.raises(PermissionDenied):
        payments.refund_manual(actor=tutor, payment=payment, amount=100, reason="Nice")


def test_cancelling_before_paying_cancels_the_intent(
    acme, opened, student, fake_stripe, django_capture_on_commit_callbacks
):
    with tenant_context(acme):
        payments.payment_checkout(actor=student, payment=opened)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        session_cancel(actor=student, session=opened.session, reason="")
    with tenant_context(acme):
        opened.refresh_from_db()
        assert opened.status == Status.CANCELLED
    assert len(fake_stripe.calls("POST", "/cancel")) == 1
    assert fake_stripe.calls("POST", "/v1/refunds") == []


def test_a_payment_arriving_after_the_class_was_cancelled_is_refunded(
    acme, opened, student, fake_stripe, django_capture_on_commit_callbacks
):
    with tenant_context(acme):
        intent = payments.payment_checkout(actor=student, payment=opened)
        Payment.objects.filter(pk=opened.pk).update(status=Status.CANCELLED)
    fake_stripe.intent_succeed(intent["client_secret"].split("_secret_")[0])
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        payments.payment_sync(opened.pk)
    with tenant_context(acme):
        opened.refresh_from_db()
    assert (opened.status, opened.refunded_minor) == (Status.REFUNDED, 4000)


# Disputes ---------------------------------------------------------------------------------


def test_a_dispute_freezes_release_and_winning_it_releases(
    acme, opened, pay, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = pay(opened)
    dispute = fake_stripe.dispute(payment.charge_id)
    with tenant_context(acme):
        payments.dispute_apply(payment.pk, dispute)
        Session.objects.filter(pk=payment.session_id).update(status=Session.Status.COMPLETED)
        assert payments.payment_release(payment.pk).status == Status.DISPUTED
    assert fake_stripe.calls("POST", "/v1/transfers") == []
    won = fake_stripe.dispute(payment.charge_id, status="won")
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        payments.dispute_apply(payment.pk, won)
    with tenant_context(acme):
        assert Payment.objects.get(pk=payment.pk).status == Status.RELEASED
    assert len(fake_stripe.calls("POST", "/v1/transfers")) == 1


def test_a_lost_dispute_is_booked_once(acme, opened, pay, fake_stripe):
    payment = pay(opened)
    lost = fake_stripe.dispute(payment.charge_id, status="lost")
    with tenant_context(acme):
        payments.dispute_apply(payment.pk, lost)
        payments.dispute_apply(payment.pk, lost)
        payment.refresh_from_db()
    assert (payment.status, payment.dispute_status) == (Status.DISPUTED, "lost")
    balances = _balances(acme)
    assert "external:payer" not in balances
    assert not [a for a in balances if a.startswith("held:")]


def test_a_refund_whose_transfer_cannot_be_reversed_fails_loudly_and_books_nothing_wrong(
    acme, opened, pay, owner, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = _complete(acme, pay(opened), django_capture_on_commit_callbacks)
    fake_stripe.connected_balance[accounts["agency"].stripe_id] = 0  # already paid out
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        payments.refund_manual(actor=owner, payment=payment, amount=4000, reason="No-show")
    with tenant_context(acme):
        refund = Refund.objects.get()
        assert refund.status == Refund.Status.FAILED
        assert "reversed" in refund.last_error
        assert Payment.objects.get(pk=payment.pk).refunded_minor == 0
    assert fake_stripe.calls("POST", "/v1/refunds") == []
    assert _balances(acme)["wallet:agency"] == 3600


def test_the_students_confirmation_releases_the_payment(
    acme, opened, pay, student, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    from meetings.services.completion import session_completion_confirm

    payment = pay(opened)
    with tenant_context(acme):
        # The class took place yesterday.
        start = timezone.now() - dt.timedelta(days=1)
        Session.objects.filter(pk=payment.session_id).update(
            starts_at=start, ends_at=start + dt.timedelta(hours=1)
        )
        session = Session.objects.get(pk=payment.session_id)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        session_completion_confirm(actor=student, session=session)
    with tenant_context(acme):
        assert Payment.objects.get(pk=payment.pk).status == Status.RELEASED
    assert len(fake_stripe.calls("POST", "/v1/transfers")) == 1


def test_the_tutors_acceptance_opens_the_payment_and_asks_the_student_to_pay(
    acme, booked, tutor_profile, student_profile, tutor, student, django_capture_on_commit_callbacks
):
    from notifications.models import Notification
    from scheduling.services.bookings import session_accept

    asked = booked(tutor_profile, student_profile, START, status=Session.Status.REQUESTED)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        session_accept(actor=tutor, session=asked)
    with tenant_context(acme):
        payment = Payment.objects.get(session=asked)
        assert payment.status == Status.AWAITING
        notice = Notification.objects.get(user=student.user, event="billing.payment_due")
        assert notice.url.endswith(f"/billing/payments/{payment.pk}/pay/")


def test_a_refused_transfer_is_sent_again_under_a_new_key_when_a_manager_retries(
    acme, opened, pay, owner, accounts, fake_stripe, django_capture_on_commit_callbacks
):
    payment = pay(opened)
    fake_stripe.fail("POST", "/v1/transfers", 400)
    payment = _complete(acme, payment, django_capture_on_commit_callbacks)
    with tenant_context(acme):
        assert Transfer.objects.get().status == Transfer.Status.FAILED
        assert payments.payment_release(payment.pk).status == Status.HELD  # not by itself
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        payments.release_retry(actor=owner, payment=payment)
    with tenant_context(acme):
        assert Payment.objects.get(pk=payment.pk).status == Status.RELEASED
    first, second = fake_stripe.calls("POST", "/v1/transfers")
    assert first.headers["idempotency-key"] != second.headers["idempotency-key"]


def test_only_managers_retry_a_release(acme, opened, pay, tutor, accounts):
    payment = pay(opened)
    with tenant_context(acme), pytest.raises(PermissionDenied):
        payments.release_retry(actor=tutor, payment=payment)


def test_a_release_cannot_be_retried_before_the_class(acme, opened, pay, owner, accounts):
    payment = pay(opened)
    with tenant_context(acme), pytest.raises(ApplicationError) as refused:
        payments.release_retry(actor=owner, payment=payment)
    assert refused.value.code == "not_releasable"
