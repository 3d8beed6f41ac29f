"""The wallet page under /billing/wallet/: balances, withdrawing, past withdrawals.

A tutor sees their own wallet; the agency's owners and admins the agency's, and (where
tutors are paid to their own accounts) each tutor's balance. Amounts are typed in major
units ("25.50") and sent to the service in minor ones. With htmx, withdrawing answers
with the wallet panel again (a refusal in place, with its 4xx status).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from billing.models import BillingSettings
from billing.selectors.wallet import (
    Payee,
    WalletBalance,
    payee_of,
    tutor_wallets,
    wallet_balances,
    withdrawal_list,
)
from billing.services import wallet as services
from billing.templatetags.money import minor_digits, money, money_amount, money_minor
from config.errors import ApplicationError
from crm.pages import member_required

HISTORY_ROWS = 50
FIELD_FOR = {"amount_minor": "amount", "currency": "currency"}


class WithdrawalForm(forms.Form):
    amount = forms.DecimalField(
        label="Amount", min_value=0, max_digits=15, decimal_places=3, localize=False
    )
    currency = forms.ChoiceField(label="Currency", choices=())

    def __init__(self, *args, balances: list[WalletBalance], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(b.currency, b.currency) for b in balances]
        available = [b for b in balances if b.available_minor > 0]
        if len(balances) == 1:
            self.fields["currency"].widget = forms.HiddenInput()
        if available and not self.is_bound:
            first = available[0]
            self.initial = {
                "currency": first.currency,
                "amount": money_amount(first.available_minor, first.currency),
            }

    def clean(self):
        data = super().clean()
        amount, currency = data.get("amount"), data.get("currency")
        if amount is not None and currency:
            minor = money_minor(amount, currency)
            if minor is None:
                digits = minor_digits(currency)
                self.add_error(
                    "amount",
                    f"{currency} amounts have no decimals."
                    if digits == 0
                    else f"Use at most {digits} decimals for {currency}.",
                )
            elif minor <= 0:
                self.add_error("amount", "Enter an amount above zero.")
            elif minor > 2**31 - 1:
                self.add_error("amount", "That is more than any wallet holds.")
            else:
                data["amount_minor"] = minor
        return data


def _payee(request) -> Payee | None:
    """The viewer's wallet; None for a tutor without a profile; 403 for anyone else."""
    viewer = request.membership
    payee = payee_of(viewer)
    if payee is None and viewer.role != "tutor":
        raise PermissionDenied
    return payee


def _render(
    request,
    payee: Payee | None,
    *,
    form: WithdrawalForm | None = None,
    status: int = 200,
    error: str = "",
    notice: str = "",
) -> HttpResponse:
    balances = wallet_balances(payee) if payee else []
    account = payee.connected_account() if payee else None
    show_tutors = (
        payee is not None
        and payee.tutor is None
        and BillingSettings.current().payout_route == BillingSettings.PayoutRoute.TUTORS
    )
    context = {
        "payee": payee,
        "balances": balances,
        "account_ready": bool(account and account.can_receive),
        "form": form or WithdrawalForm(balances=balances, prefix="withdraw"),
        "can_withdraw": any(b.available_minor > 0 for b in balances),
        "withdrawals": withdrawal_list(payee=payee)[:HISTORY_ROWS] if payee else [],
        "tutors": tutor_wallets() if show_tutors else None,
        "error": error,
        "notice": notice,
    }
    template = "billing/wallet_panel.html" if request.htmx else "billing/wallet.html"
    return render(request, template, context, status=status)


@member_required()
@require_safe
def wallet(request) -> HttpResponse:
    return _render(request, _payee(request))


@member_required()
@require_POST
def withdraw(request) -> HttpResponse:
    payee = _payee(request)
    if payee is None:
        return _render(request, payee, status=409, error="You have no tutor profile here yet.")
    balances = wallet_balances(payee)
    form = WithdrawalForm(request.POST, balances=balances, prefix="withdraw")
    if not form.is_valid():
        return _render(request, payee, form=form, status=400)
    try:
        withdrawal = services.withdrawal_request(
            actor=request.membership,
            amount_minor=form.cleaned_data["amount_minor"],
            currency=form.cleaned_data["currency"],
            request=request,
        )
    except ValidationError as error:
        for field, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(FIELD_FOR.get(field), problem)
        return _render(request, payee, form=form, status=400)
    except ApplicationError as error:
        return _render(request, payee, form=form, status=error.status, error=error.message)
    done = (
        f"Withdrawal of {money(withdrawal.amount_minor, withdrawal.currency)} requested: "
        "it is sent to your bank now and usually arrives within a few working days."
    )
    if request.htmx:
        return _render(request, payee, notice=done)
    messages.success(request, done)
    return redirect("billing:wallet")


urlpatterns = [
    path("wallet/", wallet, name="wallet"),
    path("wallet/withdraw/", withdraw, name="withdraw"),
]
