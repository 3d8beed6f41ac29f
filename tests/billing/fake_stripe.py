"""Stripe's REST API as documented, served locally for the billing tests.

It speaks Stripe's wire format (form-encoded bodies with ``a[b][c]`` keys, Bearer secret
key, ``Idempotency-Key`` and ``Stripe-Account`` headers, ``{"error": {...}}`` answers) and
keeps the state Stripe keeps for what the platform uses: Express accounts and their
onboarding, account and login links, PaymentIntents with their charges, refunds,
transfers (with ``source_transaction`` never over-spent) and their reversals, payouts
from a connected account's balance, and the platform's balance transactions (paged
newest first).

Idempotency works as Stripe's: a key seen before returns the first answer, and a key
reused with different parameters is a 400 ``idempotency_error``. Every request is
recorded; anything malformed goes to ``problems`` (the fixture fails the test on it).

Tests drive the other side through helpers: ``intent_succeed`` (the customer paid),
``account_complete`` (onboarding finished), ``dispute`` and ``event`` / ``signature``
(a webhook as Stripe would sign it).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

from tests.fake_http import FakeService, Recorded, Reply

SECRET_KEY = "sk_test_fake_0123456789"
WEBHOOK_SECRET = "whsec_test_fake_0123456789"


# Stands in for js.stripe.com/v3/ in browser tests: the same calls the payment page makes
# (Stripe(), elements({clientSecret}), create("payment").mount(), confirmPayment()), a
# plain card field instead of Stripe's frames, and the redirect to ``return_url``.
STRIPE_JS = """
(function () {
  var base = new URL(document.currentScript.src).origin;
  window.Stripe = function (key) {
    return {
      elements: function (options) {
        var secret = options.clientSecret;
        return {
          secret: secret,
          create: function () {
            return {
              mount: function (selector) {
                var box = document.querySelector(selector);
                box.innerHTML = '<label>Card number <input data-testid="fake-card" ' +
                  'name="card" value="4242 4242 4242 4242"></label>';
              },
            };
          },
        };
      },
      confirmPayment: function (args) {
        var secret = args.elements.secret;
        var id = secret.split("_secret_")[0];
        var card = document.querySelector('[data-testid="fake-card"]').value;
        var body = new URLSearchParams({ client_secret: secret, key: key, card: card });
        var url = base + "/v1/payment_intents/" + id + "/confirm";
        return fetch(url, { method: "POST", body: body })
          .then(function (response) { return response.json(); })
          .then(function (intent) {
            if (intent.error) return { error: intent.error };
            window.location.href = args.confirmParams.return_url +
              "?payment_intent=" + id + "&redirect_status=succeeded";
            return {};
          });
      },
    };
  };
})();
"""


def nest(form: dict[str, str]) -> dict[str, Any]:
    """Stripe's ``a[b][c]=v`` form keys as nested dicts (``expand[0]`` as a list)."""
    out: dict[str, Any] = {}
    for key, value in form.items():
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return _lists(out)


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(k.isdigit() for k in node):
            return [_lists(node[k]) for k in sorted(node, key=int)]
        return {k: _lists(v) for k, v in node.items()}
    return node


def processing_fee(amount: int) -> int:
    return round(amount * 0.029) + 30


class FakeStripe(FakeService):
    def reset(self) -> None:
        super().reset()
        self.objects: dict[str, dict[str, Any]] = {}
        self.idempotent: dict[str, tuple[str, Reply]] = {}
        self.balance: list[dict[str, Any]] = []  # platform balance transactions, in order
        self.connected_balance: dict[str, int] = {}
        self.payout_accounts: dict[str, str] = {}  # payout id → the connected account
        self.clock = int(time.time())

    # Wire format -------------------------------------------------------------------------------

    def problem_body(self, message: str, status: int) -> Any:
        return {"error": {"type": "invalid_request_error", "message": message}}

    def fault_body(self, status: int) -> Any:
        kind = "rate_limit_error" if status == 429 else "api_error"
        return {"error": {"type": kind, "message": f"Fake failure {status}"}}

    def _error(self, message: str, *, code: str = "", status: int = 400, kind="") -> Reply:
        body = {"type": kind or "invalid_request_error", "message": message}
        if code:
            body["code"] = code
        return Reply(status, {"error": body})

    def _now(self) -> int:
        self.clock = max(self.clock, int(time.time()))
        return self.clock

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{secrets.token_hex(8)}{next(self.ids)}"

    def handle(self, recorded: Recorded) -> Reply:
        if recorded.path == "/v3/" or recorded.path.endswith("/confirm"):
            return super().handle(recorded)  # Stripe.js: the publishable key, from a browser
        if recorded.headers.get("authorization") != f"Bearer {SECRET_KEY}":
            with self.lock:
                self.requests.append(recorded)
            return self._error("Invalid API Key provided", status=401)
        if recorded.method != "POST":
            return super().handle(recorded)
        key = recorded.headers.get("idempotency-key", "")
        if not key:
            with self.lock:
                self.problems.append(f"POST {recorded.path} without an Idempotency-Key")
        with self.lock:
            fingerprint = json.dumps([recorded.path, recorded.form], sort_keys=True)
            if key in self.idempotent:
                self.requests.append(recorded)
                seen, reply = self.idempotent[key]
                if seen != fingerprint:
                    return self._error(
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        kind="idempotency_error",
                    )
                return Reply(
                    reply.status, reply.body, {**reply.headers, "Idempotent-Replayed": "true"}
                )
            reply = super().handle(recorded)
            if key and reply.status < 500 and reply.status != 429:
                self.idempotent[key] = (fingerprint, reply)
            return reply

    def _routes(self):
        return [
            (r"/v1/accounts", "POST", self._account_create),
            (r"/v1/accounts/(?P<oid>acct_\w+)", "GET", self._get),
            (r"/v1/accounts/(?P<oid>acct_\w+)/login_links", "POST", self._login_link),
            (r"/v1/account_links", "POST", self._account_link),
            (r"/v1/payment_intents", "POST", self._intent_create),
            (r"/v1/payment_intents/(?P<oid>pi_\w+)", "GET", self._intent_get),
            (r"/v1/payment_intents/(?P<oid>pi_\w+)/cancel", "POST", self._intent_cancel),
            (r"/v1/payment_intents/(?P<oid>pi_\w+)/confirm", "POST", self._intent_confirm),
            (r"/v3/", "GET", self._stripe_js),
            (r"/v1/charges/(?P<oid>ch_\w+)", "GET", self._get),
            (r"/v1/refunds", "POST", self._refund_create),
            (r"/v1/transfers", "POST", self._transfer_create),
            (r"/v1/transfers/(?P<oid>tr_\w+)", "GET", self._get),
            (r"/v1/transfers/(?P<oid>tr_\w+)/reversals", "POST", self._reversal_create),
            (r"/v1/payouts", "POST", self._payout_create),
            (r"/v1/payouts/(?P<oid>po_\w+)", "GET", self._payout_get),
            (r"/v1/balance_transactions", "GET", self._balance_list),
            (r"/v1/disputes/(?P<oid>dp_\w+)", "GET", self._get),
        ]

    def _get(self, recorded: Recorded, oid: str) -> Reply:
        obj = self.objects.get(oid)
        if obj is None:
            return self._error(f"No such object: '{oid}'", code="resource_missing", status=404)
        return Reply(200, obj)

    def _ledger(self, kind: str, amount: int, source: str, fee: int = 0) -> None:
        self.balance.append(
            {
                "id": self._id("txn"),
                "object": "balance_transaction",
                "type": kind,
                "amount": amount,
                "fee": fee,
                "net": amount - fee,
                "currency": "usd",
                "source": source,
                "created": self._now(),
            }
        )

    # Accounts ---------------------------------------------------------------------------------

    def _account_create(self, recorded: Recorded) -> Reply:
        form = nest(recorded.form)
        if form.get("controller", {}).get("stripe_dashboard", {}).get("type") != "express":
            return self._problem("accounts must be Express (controller.stripe_dashboard)")
        if form.get("capabilities", {}).get("transfers", {}).get("requested") != "true":
            return self._problem("the transfers capability must be requested")
        account = {
            "id": self._id("acct"),
            "object": "account",
            "type": "express",
            "country": form.get("country", "US"),
            "email": form.get("email"),
            "default_currency": "usd",
            "details_submitted": False,
            "charges_enabled": False,
            "payouts_enabled": False,
            "capabilities": {"transfers": "inactive"},
            "requirements": {
                "currently_due": ["external_account", "individual.dob.day"],
                "disabled_reason": "requirements.past_due",
            },
            "settings": {
                "payouts": {
                    "schedule": form.get("settings", {}).get("payouts", {}).get("schedule", {})
                }
            },
            "metadata": form.get("metadata", {}),
            "created": self._now(),
        }
        self.objects[account["id"]] = account
        self.connected_balance[account["id"]] = 0
        return Reply(200, account)

    def _account_link(self, recorded: Recorded) -> Reply:
        form = nest(recorded.form)
        if form.get("account") not in self.objects:
            return self._error("No such account", code="resource_missing", status=404)
        if (
            form.get("type") != "account_onboarding"
            or not form.get("return_url", "").startswith("http")
            or not form.get("refresh_url", "").startswith("http")
        ):
            return self._problem("account link needs type, refresh_url and return_url")
        link = {
            "object": "account_link",
            "url": f"{self.url}/setup/e/{form['account']}/{secrets.token_urlsafe(8)}",
            "created": self._now(),
            "expires_at": self.clock + 300,
            "return_url": form["return_url"],
            "refresh_url": form["refresh_url"],
        }
        return Reply(200, link)

    def _login_link(self, recorded: Recorded, oid: str) -> Reply:
        account = self.objects.get(oid)
        if account is None:
            return self._error("No such account", code="resource_missing", status=404)
        if not account["details_submitted"]:
            return self._error(
                "Cannot create a login link for an account that has not completed onboarding."
            )
        return Reply(
            200,
            {"object": "login_link", "url": f"{self.url}/express/{oid}", "created": self._now()},
        )

    def account_complete(self, account_id: str) -> dict[str, Any]:
        account = self.objects[account_id]
        account.update(
            details_submitted=True,
            charges_enabled=True,
            payouts_enabled=True,
            capabilities={"transfers": "active"},
            requirements={"currently_due": [], "disabled_reason": None},
        )
        return account

    def account_add(self, *, complete: bool = True) -> str:
        """A connected account made outside the tests' flow (returns its id)."""
        reply = self._account_create(
            Recorded(
                "POST",
                "/v1/accounts",
                {},
                {},
                form={
                    "controller[stripe_dashboard][type]": "express",
                    "capabilities[transfers][requested]": "true",
                },
            )
        )
        if complete:
            self.account_complete(reply.body["id"])
        return reply.body["id"]

    # Payment intents --------------------------------------------------------------------------

    def _intent_create(self, recorded: Recorded) -> Reply:
        form = nest(recorded.form)
        try:
            amount = int(form["amount"])
        except (KeyError, ValueError):
            return self._error("Missing required param: amount.", code="parameter_missing")
        if amount < 50:
            return self._error("Amount must be at least $0.50 usd", code="amount_too_small")
        if form.get("automatic_payment_methods", {}).get("enabled") != "true":
            return self._problem("payment methods must come from automatic_payment_methods")
        intent_id = self._id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_received": 0,
            "currency": form.get("currency"),
            "status": "requires_payment_method",
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "transfer_group": form.get("transfer_group"),
            "metadata": form.get("metadata", {}),
            "description": form.get("description"),
            "latest_charge": None,
            "created": self._now(),
        }
        self.objects[intent_id] = intent
        return Reply(200, intent)

    def _intent_get(self, recorded: Recorded, oid: str) -> Reply:
        intent = self.objects.get(oid)
        if intent is None:
            return self._error(
                f"No such payment_intent: '{oid}'", code="resource_missing", status=404
            )
        body = dict(intent)
        if recorded.query.get("expand[0]") == "latest_charge" and intent["latest_charge"]:
            body["latest_charge"] = self.objects[intent["latest_charge"]]
        return Reply(200, body)

    def _intent_cancel(self, recorded: Recorded, oid: str) -> Reply:
        intent = self.objects.get(oid)
        if intent is None:
            return self._error(
                f"No such payment_intent: '{oid}'", code="resource_missing", status=404
            )
        if intent["status"] in ("succeeded", "canceled"):
            return self._error(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        intent["status"] = "canceled"
        return Reply(200, intent)

    def _intent_confirm(self, recorded: Recorded, oid: str) -> Reply:
        """What Stripe.js does when the payment element is confirmed (browser tests)."""
        cors = {"Access-Control-Allow-Origin": "*"}
        intent = self.objects.get(oid)
        if intent is None or recorded.form.get("client_secret") != intent["client_secret"]:
            return Reply(404, {"error": {"type": "invalid_request_error"}}, cors)
        if not recorded.form.get("key", "").startswith("pk_"):
            return Reply(401, {"error": {"type": "invalid_request_error"}}, cors)
        if recorded.form.get("card", "").replace(" ", "") == "4000000000000002":
            self.intent_fail(oid)
            body = {"error": {"type": "card_error", "message": "Your card was declined."}}
            return Reply(402, body, cors)
        return Reply(200, self.intent_succeed(oid), cors)

    def _stripe_js(self, recorded: Recorded) -> Reply:
        return Reply(
            200,
            STRIPE_JS,
            {"Content-Type": "application/javascript", "Access-Control-Allow-Origin": "*"},
        )

    def intent_succeed(self, intent_id: str) -> dict[str, Any]:
        """The customer completed the payment element: a charge exists and the intent succeeded."""
        with self.lock:
            intent = self.objects[intent_id]
            if intent["status"] == "succeeded":
                return intent
            charge_id = self._id("ch")
            self.objects[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": intent["amount"],
                "amount_refunded": 0,
                "currency": intent["currency"],
                "payment_intent": intent_id,
                "transfer_group": intent["transfer_group"],
                "status": "succeeded",
                "paid": True,
                "disputed": False,
                "created": self._now(),
            }
            self.objects[charge_id]["transferred"] = 0
            intent.update(
                status="succeeded", amount_received=intent["amount"], latest_charge=charge_id
            )
            self._ledger("charge", intent["amount"], charge_id, processing_fee(intent["amount"]))
            return intent

    def intent_fail(self, intent_id: str) -> dict[str, Any]:
        intent = self.objects[intent_id]
        intent.update(
            status="requires_payment_method",
            last_payment_error={"code": "card_declined", "message": "Your card was declined."},
        )
        return intent

    # Refunds ---------------------------------------------------------------------------------

    def _refund_create(self, recorded: Recorded) -> Reply:
        form = nest(recorded.form)
        intent = self.objects.get(form.get("payment_intent", ""))
        if intent is None:
            return self._error("No such payment_intent", code="resource_missing", status=404)
        if intent["status"] != "succeeded":
            return self._error("This PaymentIntent does not have a successful charge to refund.")
        charge = self.objects[intent["latest_charge"]]
        amount = int(form.get("amount") or charge["amount"] - charge["amount_refunded"])
        if amount <= 0 or amount > charge["amount"] - charge["amount_refunded"]:
            return self._error(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge",
                code="amount_too_large",
            )
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "charge": charge["id"],
            "payment_intent": intent["id"],
            "currency": charge["currency"],
            "status": "succeeded",
            "reason": form.get("reason"),
            "metadata": form.get("metadata", {}),
            "created": self._now(),
        }
        self.objects[refund["id"]] = refund
        self._ledger("refund", -amount, refund["id"])
        return Reply(200, refund)

    # Transfers ----------------------------------------------------------------------------------

    def _transfer_create(self, recorded: Recorded) -> Reply:
        form = nest(recorded.form)
        destination = self.objects.get(form.get("destination", ""))
        if destination is None:
            return self._error("No such destination", code="resource_missing", status=404)
        if destination["capabilities"].get("transfers") != "active":
            return self._error(
                "Your destination account needs to have at least one of the following "
                "capabilities enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
            )
        amount = int(form.get("amount", 0))
        source = form.get("source_transaction")
        if source:
            charge = self.objects.get(source)
            if charge is None:
                return self._error("No such charge", code="resource_missing", status=404)
            if amount > charge["amount"] - charge["amount_refunded"] - charge["transferred"]:
                return self._error(
                    "Insufficient funds in the source transaction",
                    code="balance_insufficient",
                )
            charge["transferred"] += amount
        transfer = {
            "id": self._id("tr"),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": form.get("currency"),
            "destination": destination["id"],
            "transfer_group": form.get("transfer_group"),
            "source_transaction": source,
            "metadata": form.get("metadata", {}),
            "reversals": {"object": "list", "data": []},
            "created": self._now(),
        }
        self.objects[transfer["id"]] = transfer
        self.connected_balance[destination["id"]] += amount
        self._ledger("transfer", -amount, transfer["id"])
        return Reply(200, transfer)

    def _reversal_create(self, recorded: Recorded, oid: str) -> Reply:
        transfer = self.objects.get(oid)
        if transfer is None:
            return self._error("No such transfer", code="resource_missing", status=404)
        form = nest(recorded.form)
        amount = int(form.get("amount") or transfer["amount"] - transfer["amount_reversed"])
        if amount > transfer["amount"] - transfer["amount_reversed"]:
            return self._error(
                "Transfer reversal amount is greater than what remains", code="amount_too_large"
            )
        if amount > self.connected_balance[transfer["destination"]]:
            return self._error(
                "Insufficient funds in the connected account", code="balance_insufficient"
            )
        transfer["amount_reversed"] += amount
        self.connected_balance[transfer["destination"]] -= amount
        reversal = {
            "id": self._id("trr"),
            "object": "transfer_reversal",
            "amount": amount,
            "transfer": oid,
            "currency": transfer["currency"],
            "metadata": form.get("metadata", {}),
            "created": self._now(),
        }
        transfer["reversals"]["data"].append(reversal)
        self.objects[reversal["id"]] = reversal
        if transfer["source_transaction"]:
            self.objects[transfer["source_transaction"]]["transferred"] -= amount
        self._ledger("transfer_refund", amount, reversal["id"])
        return Reply(200, reversal)

    # Payouts ----------------------------------------------------------------------------------

    def _payout_create(self, recorded: Recorded) -> Reply:
        account = recorded.headers.get("stripe-account", "")
        if account not in self.objects:
            return self._problem("payouts are made on a connected account (Stripe-Account)")
        form = nest(recorded.form)
        amount = int(form.get("amount", 0))
        if amount <= 0 or amount > self.connected_balance[account]:
            return self._error(
                "You have insufficient funds in your Stripe account for this transfer.",
                code="balance_insufficient",
            )
        if not self.objects[account]["payouts_enabled"]:
            return self._error(
                "Payouts are not enabled for this account", code="payouts_not_allowed"
            )
        self.connected_balance[account] -= amount
        payout = {
            "id": self._id("po"),
            "object": "payout",
            "amount": amount,
            "currency": form.get("currency"),
            "status": "pending",
            "arrival_date": self.clock + 86400,
            "metadata": form.get("metadata", {}),
            "destination": "ba_fake",
            "failure_code": None,
            "failure_message": None,
            "created": self._now(),
        }
        self.payout_accounts[payout["id"]] = account
        self.objects[payout["id"]] = payout
        return Reply(200, payout)

    def _payout_get(self, recorded: Recorded, oid: str) -> Reply:
        payout = self.objects.get(oid)
        account = recorded.headers.get("stripe-account", "")
        if payout is None or self.payout_accounts.get(oid) != account:
            return self._error(f"No such payout: '{oid}'", code="resource_missing", status=404)
        return Reply(200, payout)

    def payout_settle(self, payout_id: str, status: str, *, failure_code: str = "") -> dict:
        """The bank's answer: the payout is ``paid`` or ``failed`` (its money returns to the
        connected account's balance). A payout may fail after it was paid."""
        with self.lock:
            payout = self.objects[payout_id]
            if status == "failed" and payout["status"] != "failed":
                self.connected_balance[self.payout_accounts[payout_id]] += payout["amount"]
                payout["failure_code"] = failure_code or "account_closed"
                payout["failure_message"] = "The bank account has been closed."
            payout["status"] = status
            return payout

    # Balance ----------------------------------------------------------------------------------

    def _balance_list(self, recorded: Recorded) -> Reply:
        gte = int(recorded.query.get("created[gte]", 0))
        lt = int(recorded.query.get("created[lt]", 2**62))
        limit = int(recorded.query.get("limit", 10))
        rows = [r for r in reversed(self.balance) if gte <= r["created"] < lt]
        after = recorded.query.get("starting_after")
        if after:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(after) + 1 :] if after in ids else []
        page = rows[:limit]
        return Reply(
            200,
            {
                "object": "list",
                "data": page,
                "has_more": len(rows) > limit,
                "url": "/v1/balance_transactions",
            },
        )

    # Disputes and events -----------------------------------------------------------------------

    def dispute(self, charge_id: str, *, status: str = "needs_response") -> dict[str, Any]:
        charge = self.objects[charge_id]
        charge["disputed"] = True
        dispute_id = charge.get("dispute") or self._id("dp")
        charge["dispute"] = dispute_id
        dispute = self.objects.get(dispute_id) or {
            "id": dispute_id,
            "object": "dispute",
            "amount": charge["amount"],
            "charge": charge_id,
            "payment_intent": charge["payment_intent"],
            "currency": charge["currency"],
            "reason": "fraudulent",
            "created": self._now(),
        }
        if dispute_id not in self.objects:
            self._ledger("adjustment", -charge["amount"], dispute_id, 1500)
        if status == "won" and dispute.get("status") != "won":
            self._ledger("adjustment", charge["amount"], dispute_id)
        dispute["status"] = status
        self.objects[dispute_id] = dispute
        return dispute

    def event(self, kind: str, obj: dict[str, Any], *, account: str = "", created=None) -> dict:
        event = {
            "id": self._id("evt"),
            "object": "event",
            "api_version": "2026-10-28.endive",
            "type": kind,
            "created": created or self._now(),
            "livemode": False,
            "pending_webhooks": 1,
            "data": {"object": json.loads(json.dumps(obj))},
        }
        if account:
            event["account"] = account
        return event

    @staticmethod
    def signature(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp=None) -> str:
        timestamp = int(time.time()) if timestamp is None else timestamp
        signed = f"{timestamp}.".encode() + payload
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={digest}"
