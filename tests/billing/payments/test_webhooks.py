"""Stripe's webhook: signed events only, each stored and processed once, in any order."""

from __future__ import annotations

import json
import time

import pytest
from django_tenants.utils import tenant_context

from billing.models import Payment, Transfer
from connect.models import StripeEvent
from scheduling.models import Session

pytestmark = pytest.mark.django_db

URL = "/billing/stripe/webhook/"
Status = Payment.Status


@pytest.fixture
def deliver(public_tenant, web_client, fake_stripe, django_capture_on_commit_callbacks):
    client = web_client()

    def send(event: dict, *, signature: str | None = None, body: bytes | None = None):
        payload = body if body is not None else json.dumps(event).encode()
        header = signature if signature is not None else fake_stripe.signature(payload)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                URL, payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
            )

    return send


@pytest.fixture
def intent(acme, opened, student, fake_stripe):
    from billing.services import payments

    with tenant_context(acme):
        secret = payments.payment_checkout(actor=student, payment=opened)["client_secret"]
    return fake_stripe.objects[secret.split("_secret_")[0]]


def _status(acme, payment) -> str:
    with tenant_context(acme):
        return Payment.objects.get(pk=payment.pk).status


def test_payment_intent_succeeded_holds_the_payment(acme, opened, intent, deliver, fake_stripe):
    fake_stripe.intent_succeed(intent["id"])
    response = deliver(fake_stripe.event("payment_intent.succeeded", intent))
    assert response.status_code == 200
    assert _status(acme, opened) == Status.HELD
    assert StripeEvent.objects.get().processed_at is not None


def test_a_replayed_event_is_stored_and_processed_once(acme, opened, intent, deliver, fake_stripe):
    fake_stripe.intent_succeed(intent["id"])
    event = fake_stripe.event("payment_intent.succeeded", intent)
    assert deliver(event).content == b"ok"
    assert deliver(event).content == b"already received"
    assert StripeEvent.objects.count() == 1
    assert StripeEvent.objects.get().attempts == 1


def test_an_event_snapshot_older_than_stripes_state_does_not_win(
    acme, opened, intent, deliver, fake_stripe
):
    stale = json.loads(json.dumps(intent))  # still requires_payment_method
    fake_stripe.intent_succeed(intent["id"])
    # The success event comes first; the failed attempt's event, with its old snapshot, last.
    deliver(fake_stripe.event("payment_intent.succeeded", fake_stripe.objects[intent["id"]]))
    deliver(fake_stripe.event("payment_intent.payment_failed", stale))
    assert _status(acme, opened) == Status.HELD


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "t=1,v1=deadbeef",
        "garbage",
    ],
)
def test_badly_signed_events_are_refused_and_not_stored(
    acme, intent, deliver, fake_stripe, signature
):
    response = deliver(fake_stripe.event("payment_intent.succeeded", intent), signature=signature)
    assert response.status_code == 400
    assert StripeEvent.objects.count() == 0


def test_an_event_signed_with_another_secret_is_refused(intent, deliver, fake_stripe):
    event = fake_stripe.event("payment_intent.succeeded", intent)
    payload = json.dumps(event).encode()
    forged = fake_stripe.signature(payload, secret="whsec_someone_else")
    assert deliver(event, body=payload, signature=forged).status_code == 400


def test_an_event_signed_outside_the_tolerance_is_refused(intent, deliver, fake_stripe):
    event = fake_stripe.event("payment_intent.succeeded", intent)
    payload = json.dumps(event).encode()
    old = fake_stripe.signature(payload, timestamp=int(time.time()) - 301)
    assert deliver(event, body=payload, signature=old).status_code == 400


def test_a_tampered_body_is_refused(intent, deliver, fake_stripe):
    event = fake_stripe.event("payment_intent.succeeded", intent)
    payload = json.dumps(event).encode()
    signature = fake_stripe.signature(payload)
    tampered = payload.replace(b"payment_intent.succeeded", b"payment_intent.canceled")
    assert deliver(event, body=tampered, signature=signature).status_code == 400


def test_a_failing_event_is_kept_unprocessed_for_retry(
    acme, opened, intent, deliver, fake_stripe, settings
):
    fake_stripe.intent_succeed(intent["id"])
    for _ in range(8):
        fake_stripe.fail("GET", "/v1/payment_intents/", 500)
    event = fake_stripe.event("payment_intent.succeeded", intent)
    assert deliver(event).status_code == 200  # stored; processing failed and is retried
    stored = StripeEvent.objects.get()
    assert stored.processed_at is None
    assert "GatewayError" in stored.last_error
    fake_stripe.faults.clear()
    from connect.events import event_process

    assert event_process(stored.pk)
    assert _status(acme, opened) == Status.HELD


def test_dispute_events_in_any_order_end_in_stripes_state(
    acme, opened, pay, accounts, deliver, fake_stripe
):
    payment = pay(opened)
    with tenant_context(acme):
        Session.objects.filter(pk=payment.session_id).update(status=Session.Status.COMPLETED)
    opened_dispute = dict(fake_stripe.dispute(payment.charge_id))
    won = fake_stripe.dispute(payment.charge_id, status="won")
    # "closed" (won) arrives before "created"; both re-read the dispute: it is won.
    deliver(fake_stripe.event("charge.dispute.closed", won))
    deliver(fake_stripe.event("charge.dispute.created", opened_dispute))
    with tenant_context(acme):
        payment.refresh_from_db()
        assert payment.dispute_status == "won"
        assert payment.status == Status.RELEASED
        assert Transfer.objects.count() == 1
    assert len(fake_stripe.calls("POST", "/v1/transfers")) == 1


def test_an_open_dispute_alerts_platform_staff(acme, opened, pay, deliver, fake_stripe):
    from accounts.models import User
    from notifications.models import Notification
    from tests.factories import UserFactory

    staff = UserFactory(is_platform_staff=True)
    payment = pay(opened)
    deliver(fake_stripe.event("charge.dispute.created", fake_stripe.dispute(payment.charge_id)))
    assert _status(acme, payment) == Status.DISPUTED
    with tenant_context(acme):
        assert Notification.objects.filter(user=staff, event="billing.dispute").exists()
    assert User.objects.filter(pk=staff.pk).exists()


def test_events_of_unknown_objects_are_acknowledged_and_ignored(deliver, fake_stripe):
    event = fake_stripe.event("payment_intent.succeeded", {"id": "pi_unknown", "object": "pi"})
    assert deliver(event).status_code == 200
    assert StripeEvent.objects.get().processed_at is not None


def test_the_webhook_is_only_on_the_root_domain(acme, web_client, fake_stripe):
    client = web_client(acme)
    response = client.post(URL, b"{}", content_type="application/json")
    assert response.status_code == 404
