"""The agency's billing settings (owners and admins of an agency; the marketplace has none).

How tutors are paid (through the agency's account or their own), the agency's
commission (a share, or the difference between the price and each tutor's pay rate),
invoice numbering and branding. The platform's fee is shown, not changed: platform staff
set it. A worked example splits a sample price under the settings saved.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Membership
from billing.models import BillingSettings
from billing.services.settings import (
    DETAILS_LIMIT,
    PREFIX_LIMIT,
    billing_settings_update,
    billing_split_example,
    pay_rate_delete,
    pay_rate_set,
)
from billing.templatetags.money import minor_digits, money_amount, money_minor
from config.errors import ApplicationError
from crm.models import TutorProfile
from crm.pages import member_required
from tenants.models import Tenant
from web.forms import form_apply_errors

MANAGERS = tuple(Membership.MANAGER_ROLES)
# The example's price: 100 in the agency's currency, unless the page asks for another.
EXAMPLE_MAJOR = 100
FIELD_FOR = {"commission_basis_points": "commission_percent"}


class BillingSettingsForm(forms.Form):
    payout_route = forms.ChoiceField(
        label="Who receives the tutors' earnings",
        choices=BillingSettings.PayoutRoute.choices,
        widget=forms.RadioSelect,
    )
    commission_mode = forms.ChoiceField(
        label="The agency's commission",
        choices=BillingSettings.CommissionMode.choices,
        widget=forms.RadioSelect,
    )
    commission_percent = forms.DecimalField(
        label="Agency share (%)",
        min_value=0,
        max_value=100,
        decimal_places=2,
        max_digits=5,
        help_text=("Of each payment. With pay rates, it applies to tutors who have no pay rate."),
    )
    invoice_prefix = forms.CharField(
        label="Invoice number prefix",
        max_length=PREFIX_LIMIT,
        help_text="Uppercase letters, digits and dashes: invoices read PREFIX-000042.",
    )
    brand_color = forms.CharField(
        label="Brand colour",
        max_length=7,
        help_text="As #rrggbb; used on invoices.",
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    invoice_details = forms.CharField(
        label="Printed on every invoice",
        required=False,
        max_length=DETAILS_LIMIT,
        help_text="Legal name, address, tax number.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def service_values(self) -> dict:
        data = dict(self.cleaned_data)
        percent = data.pop("commission_percent")
        data["commission_basis_points"] = int(percent * 100)
        return data

    @classmethod
    def initial_from(cls, row: BillingSettings) -> dict:
        return {
            "payout_route": row.payout_route,
            "commission_mode": row.commission_mode,
            "commission_percent": Decimal(row.commission_basis_points) / 100,
            "invoice_prefix": row.invoice_prefix,
            "brand_color": row.brand_color,
            "invoice_details": row.invoice_details,
        }


class PayRateForm(forms.Form):
    hourly_pay = forms.DecimalField(label="Pay an hour", min_value=0, max_digits=12)
    currency = forms.CharField(label="Currency", min_length=3, max_length=3)


class ExampleForm(forms.Form):
    example = forms.DecimalField(
        label="Sample price", min_value=Decimal("0.01"), max_digits=12, required=False
    )


def _agency_only(request) -> None:
    if request.tenant.kind != Tenant.Kind.AGENCY:
        raise Http404


def _example(request, currency: str) -> dict:
    form = ExampleForm(request.GET or None)
    amount = EXAMPLE_MAJOR * 10 ** minor_digits(currency)
    if form.is_bound and form.is_valid() and form.cleaned_data["example"] is not None:
        amount = money_minor(form.cleaned_data["example"], currency) or amount
    saved = BillingSettings.current()
    pay = None
    if saved.commission_mode == BillingSettings.CommissionMode.RATE_DIFFERENCE:
        # An hour of the first tutor with a pay rate in this currency, to show the difference.
        rate = (
            TutorProfile.objects.filter(pay_rate__currency=currency)
            .select_related("pay_rate", "user")
            .order_by("pk")
            .first()
        )
        if rate is not None:
            pay = {"tutor": rate, "minor": rate.pay_rate.hourly_pay_minor}
    split = billing_split_example(amount_minor=amount, tutor_pay_minor=pay and pay["minor"])
    return {
        "example_form": form,
        "split": split,
        "currency": currency,
        "pay": pay,
        "platform_percent": Decimal(split.platform_fee_basis_points) / 100,
        "settings_saved": saved,
    }


def _tutors(currency: str) -> list[dict]:
    rows = []
    for tutor in TutorProfile.objects.select_related("user", "pay_rate").order_by("pk"):
        rate = getattr(tutor, "pay_rate", None)
        code = rate.currency if rate else currency
        rows.append(
            {
                "tutor": tutor,
                "rate": rate,
                "form": PayRateForm(
                    prefix=f"rate-{tutor.pk}",
                    initial={
                        "hourly_pay": money_amount(rate.hourly_pay_minor, code) if rate else "",
                        "currency": code,
                    },
                ),
            }
        )
    return rows


def _render(
    request, *, form=None, status: int = 200, rate_errors=None, notice: str = ""
) -> HttpResponse:
    saved = BillingSettings.current()
    currency = request.tenant.default_currency
    context = {
        "form": form or BillingSettingsForm(initial=BillingSettingsForm.initial_from(saved)),
        "saved": saved,
        "tutors": _tutors(currency),
        "rate_errors": rate_errors or {},
        "notice": notice,
        **_example(request, currency),
    }
    template = "billing/settings_form.html" if request.htmx else "billing/settings.html"
    return render(request, template, context, status=status)


@member_required(*MANAGERS)
@require_http_methods(["GET", "HEAD", "POST"])
def billing_settings(request) -> HttpResponse:
    _agency_only(request)
    if request.method != "POST":
        return _render(request)
    form = BillingSettingsForm(request.POST)
    if form.is_valid():
        try:
            billing_settings_update(
                actor=request.membership, request=request, **form.service_values()
            )
        except (ValidationError, ApplicationError) as error:
            if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
                error = ValidationError(
                    {FIELD_FOR.get(k, k): v for k, v in error.message_dict.items()}
                )
            form_apply_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, "Billing settings saved.")
                return redirect("billing:settings")
            return _render(request, notice="Billing settings saved.")
    return _render(request, form=form, status=400)


@member_required(*MANAGERS)
@require_safe
def settings_example(request) -> HttpResponse:
    """The worked example alone, for another sample price (htmx)."""
    _agency_only(request)
    context = _example(request, request.tenant.default_currency)
    status = 400 if context["example_form"].errors else 200
    return render(request, "billing/settings_example.html", context, status=status)


def _tutor(pk: int) -> TutorProfile:
    tutor = TutorProfile.objects.filter(pk=pk).first()
    if tutor is None:
        raise Http404
    return tutor


@member_required(*MANAGERS)
@require_POST
def settings_pay_rate(request, pk: int) -> HttpResponse:
    _agency_only(request)
    tutor = _tutor(pk)
    form = PayRateForm(request.POST, prefix=f"rate-{tutor.pk}")
    errors: list[str] = []
    if form.is_valid():
        currency = form.cleaned_data["currency"].upper()
        minor = money_minor(form.cleaned_data["hourly_pay"], currency)
        if minor is None:
            errors.append(f"{currency} amounts have at most {minor_digits(currency)} decimals.")
        else:
            try:
                pay_rate_set(
                    actor=request.membership,
                    tutor=tutor,
                    hourly_pay_minor=minor,
                    currency=currency,
                    request=request,
                )
            except ValidationError as error:
                errors.extend(error.messages)
    else:
        errors.extend(f"{form.fields[f].label}: {' '.join(e)}" for f, e in form.errors.items())
    if errors:
        return _render(request, status=400, rate_errors={tutor.pk: errors})
    if not request.htmx:
        messages.success(request, f"Pay rate of {tutor.full_name} saved.")
        return redirect("billing:settings")
    return _render(request, notice=f"Pay rate of {tutor.full_name} saved.")


@member_required(*MANAGERS)
@require_POST
def settings_pay_rate_delete(request, pk: int) -> HttpResponse:
    _agency_only(request)
    tutor = _tutor(pk)
    pay_rate_delete(actor=request.membership, tutor=tutor, request=request)
    if not request.htmx:
        messages.success(request, f"Pay rate of {tutor.full_name} removed.")
        return redirect("billing:settings")
    return _render(request, notice=f"Pay rate of {tutor.full_name} removed.")


urlpatterns = [
    path("settings/", billing_settings, name="settings"),
    path("settings/example/", settings_example, name="settings_example"),
    path("settings/pay-rates/<int:pk>/", settings_pay_rate, name="settings_pay_rate"),
    path(
        "settings/pay-rates/<int:pk>/delete/",
        settings_pay_rate_delete,
        name="settings_pay_rate_delete",
    ),
]
