"""Billing API for payees and the agency: payout accounts (Stripe Connect), the agency's
billing settings and its tutors' pay rates.

Payout accounts: managers of an agency look after the agency's (``owner=agency``),
tutors paid directly their own (``owner=me``). Starting onboarding or opening the
Express dashboard answers with a Stripe URL to send the person to. Settings and pay
rates are for an agency's owners and admins (the marketplace has none: 404). Wrong role
is 403, bad input 400 with field errors, a state that does not allow it 409.
"""

from __future__ import annotations

from dataclasses import asdict

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantManager, IsTenantMember
from billing.models import BillingSettings
from billing.services.settings import (
    DETAILS_LIMIT,
    PAY_LIMIT_MINOR,
    PREFIX_LIMIT,
    billing_settings_update,
    billing_split_example,
    pay_rate_delete,
    pay_rate_set,
)
from billing.templatetags.money import minor_digits
from connect import services as connect
from connect.models import ConnectedAccount
from crm.models import TutorProfile
from tenants.models import Tenant

ERRORS = {
    403: OpenApiResponse(description="The caller's role may not do this."),
    409: OpenApiResponse(description="Not possible in the account's or platform's state."),
}
NOT_AN_AGENCY = OpenApiResponse(description="No such thing here (the marketplace has none).")


def _viewer(request) -> Membership:
    return request._request.membership


# Payout accounts ---------------------------------------------------------------------------


class ConnectAccountOutput(serializers.Serializer):
    owner = serializers.ChoiceField(
        choices=connect.OWNERS, help_text="agency: the agency's account; me: the caller's own."
    )
    status = serializers.ChoiceField(
        choices=[("not_started", "Not started"), *ConnectedAccount.Status.choices]
    )
    stripe_id = serializers.CharField(help_text="The Stripe account id; empty before onboarding.")
    details_submitted = serializers.BooleanField()
    charges_enabled = serializers.BooleanField()
    payouts_enabled = serializers.BooleanField()
    can_receive = serializers.BooleanField(help_text="Transfers can be made into it now.")
    requirements_due = serializers.ListField(
        child=serializers.CharField(), help_text="Stripe's requirements.currently_due."
    )
    disabled_reason = serializers.CharField()
    synced_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was last read from Stripe."
    )


class ConnectOverviewOutput(serializers.Serializer):
    tutors_paid_directly = serializers.BooleanField(
        help_text="Tutors here are paid into their own accounts (else through the agency's)."
    )
    accounts = ConnectAccountOutput(many=True, help_text="The accounts the caller looks after.")


def _account_row(owner: str, account: ConnectedAccount | None) -> dict:
    if account is None:
        return {
            "owner": owner,
            "status": "not_started",
            "stripe_id": "",
            "details_submitted": False,
            "charges_enabled": False,
            "payouts_enabled": False,
            "can_receive": False,
            "requirements_due": [],
            "disabled_reason": "",
            "synced_at": None,
        }
    return {
        "owner": owner,
        "status": account.status,
        "stripe_id": account.stripe_id,
        "details_submitted": account.details_submitted,
        "charges_enabled": account.charges_enabled,
        "payouts_enabled": account.payouts_enabled,
        "can_receive": account.can_receive,
        "requirements_due": account.requirements_due,
        "disabled_reason": account.disabled_reason,
        "synced_at": account.synced_at,
    }


class ConnectOwnerInput(serializers.Serializer):
    owner = serializers.ChoiceField(
        choices=connect.OWNERS, help_text="agency: the agency's account; me: the caller's own."
    )


class ConnectUrlOutput(serializers.Serializer):
    url = serializers.URLField(help_text="Stripe's page; valid for a few minutes, once.")


class ConnectView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_connect",
        responses={200: ConnectOverviewOutput, 403: ERRORS[403]},
        description=(
            "The payout accounts the caller looks after and where each stands. A tutor "
            "paid through the agency gets an empty list; students and parents 403."
        ),
    )
    def get(self, request):
        viewer = _viewer(request)
        owners = connect.account_owners(viewer)
        if not owners and viewer.role != Membership.Role.TUTOR:
            raise PermissionDenied("Only tutors and the agency's owners and admins have payouts.")
        body = {
            "tutors_paid_directly": connect.tutors_paid_directly(viewer.tenant),
            "accounts": [
                _account_row(owner, connect.account_for(actor=viewer, owner=owner))
                for owner in owners
            ],
        }
        return Response(ConnectOverviewOutput(body).data)


class ConnectStartView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_connect_start",
        request=ConnectOwnerInput,
        responses={200: ConnectUrlOutput, 400: OpenApiResponse(description="Bad owner."), **ERRORS},
        description=(
            "Start or continue onboarding: the account is created at Stripe the first time "
            "(once, however often this is called), and a new onboarding link is returned. "
            "Stripe sends the person back to /billing/connect/return/ on this host."
        ),
    )
    def post(self, request):
        data = ConnectOwnerInput(data=request.data)
        data.is_valid(raise_exception=True)
        url = connect.account_start(
            actor=_viewer(request), owner=data.validated_data["owner"], request=request
        )
        return Response(ConnectUrlOutput({"url": url}).data)


class ConnectDashboardView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_connect_dashboard",
        request=ConnectOwnerInput,
        responses={200: ConnectUrlOutput, 400: OpenApiResponse(description="Bad owner."), **ERRORS},
        description="A one-time link to the account's Express dashboard (after onboarding).",
    )
    def post(self, request):
        data = ConnectOwnerInput(data=request.data)
        data.is_valid(raise_exception=True)
        url = connect.login_link(actor=_viewer(request), owner=data.validated_data["owner"])
        return Response(ConnectUrlOutput({"url": url}).data)


# Settings ---------------------------------------------------------------------------------


def _agency_only(request) -> None:
    if request._request.tenant.kind != Tenant.Kind.AGENCY:
        raise Http404


class SplitOutput(serializers.Serializer):
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    platform_fee_minor = serializers.IntegerField()
    agency_commission_minor = serializers.IntegerField()
    tutor_earnings_minor = serializers.IntegerField()
    payout_route = serializers.ChoiceField(choices=BillingSettings.PayoutRoute.choices)


class BillingSettingsOutput(serializers.Serializer):
    payout_route = serializers.ChoiceField(choices=BillingSettings.PayoutRoute.choices)
    commission_mode = serializers.ChoiceField(choices=BillingSettings.CommissionMode.choices)
    commission_basis_points = serializers.IntegerField(
        help_text="The agency's share in hundredths of a percent (2000 = 20 %)."
    )
    invoice_prefix = serializers.CharField()
    invoice_next_number = serializers.IntegerField(read_only=True)
    brand_color = serializers.CharField()
    invoice_details = serializers.CharField()
    platform_fee_basis_points = serializers.IntegerField(
        help_text="The platform's fee for this agency (set by the platform)."
    )
    example = SplitOutput(
        help_text="How 100 of the agency's currency would be split (share, no pay rate)."
    )
    updated_at = serializers.DateTimeField()


def _settings_body(request) -> dict:
    row = BillingSettings.current()
    currency = request._request.tenant.default_currency
    split = billing_split_example(amount_minor=100 * 10 ** minor_digits(currency))
    return {
        "payout_route": row.payout_route,
        "commission_mode": row.commission_mode,
        "commission_basis_points": row.commission_basis_points,
        "invoice_prefix": row.invoice_prefix,
        "invoice_next_number": row.invoice_next_number,
        "brand_color": row.brand_color,
        "invoice_details": row.invoice_details,
        "platform_fee_basis_points": split.platform_fee_basis_points,
        "example": {**asdict(split), "currency": currency},
        "updated_at": row.updated_at,
    }


class BillingSettingsInput(serializers.Serializer):
    payout_route = serializers.ChoiceField(
        choices=BillingSettings.PayoutRoute.choices, required=False
    )
    commission_mode = serializers.ChoiceField(
        choices=BillingSettings.CommissionMode.choices, required=False
    )
    commission_basis_points = serializers.IntegerField(
        required=False, min_value=0, max_value=10000, help_text="0-10000 (0 % to 100 %)."
    )
    invoice_prefix = serializers.CharField(
        required=False,
        max_length=PREFIX_LIMIT,
        help_text="Uppercase letters, digits and inner dashes.",
    )
    brand_color = serializers.CharField(required=False, max_length=7, help_text="#rrggbb.")
    invoice_details = serializers.CharField(
        required=False, allow_blank=True, max_length=DETAILS_LIMIT
    )


class BillingSettingsView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(
        operation_id="billing_settings",
        responses={200: BillingSettingsOutput, 403: ERRORS[403], 404: NOT_AN_AGENCY},
    )
    def get(self, request):
        _agency_only(request)
        return Response(BillingSettingsOutput(_settings_body(request)).data)

    @extend_schema(
        operation_id="billing_settings_update",
        request=BillingSettingsInput,
        responses={
            200: BillingSettingsOutput,
            400: OpenApiResponse(description="Field errors."),
            403: ERRORS[403],
            404: NOT_AN_AGENCY,
        },
        description="Change some of the settings; payments already made keep their split.",
    )
    def patch(self, request):
        _agency_only(request)
        data = BillingSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        billing_settings_update(actor=_viewer(request), request=request, **data.validated_data)
        return Response(BillingSettingsOutput(_settings_body(request)).data)


# Pay rates --------------------------------------------------------------------------------


class PayRateOutput(serializers.Serializer):
    tutor_id = serializers.IntegerField(source="pk")
    tutor_name = serializers.CharField(source="full_name")
    hourly_pay_minor = serializers.SerializerMethodField()
    currency = serializers.SerializerMethodField()

    def _rate(self, tutor):
        return getattr(tutor, "pay_rate", None)

    def get_hourly_pay_minor(self, tutor) -> int | None:
        rate = self._rate(tutor)
        return rate.hourly_pay_minor if rate else None

    def get_currency(self, tutor) -> str | None:
        rate = self._rate(tutor)
        return rate.currency if rate else None


class PayRateInput(serializers.Serializer):
    hourly_pay_minor = serializers.IntegerField(
        min_value=0, max_value=PAY_LIMIT_MINOR, help_text="An hour's pay in minor units."
    )
    currency = serializers.CharField(
        required=False, min_length=3, max_length=3, help_text="ISO code; default the agency's."
    )


def _tutors():
    return TutorProfile.objects.select_related("user", "pay_rate").order_by("pk")


def _tutor(pk: int) -> TutorProfile:
    tutor = _tutors().filter(pk=pk).first()
    if tutor is None:
        raise Http404
    return tutor


class PayRateListView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(
        operation_id="billing_pay_rates",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(PayRateOutput), 403: ERRORS[403], 404: NOT_AN_AGENCY},
        description="Every tutor of the agency with their hourly pay (null: none set).",
    )
    def get(self, request):
        _agency_only(request)
        return paginated_response(
            request=request, view=self, queryset=_tutors(), output=PayRateOutput
        )


class PayRateView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(
        operation_id="billing_pay_rate",
        responses={200: PayRateOutput, 403: ERRORS[403], 404: NOT_AN_AGENCY},
        description="One tutor's pay rate (pk: the tutor profile's id).",
    )
    def get(self, request, pk: int):
        _agency_only(request)
        return Response(PayRateOutput(_tutor(pk)).data)

    @extend_schema(
        operation_id="billing_pay_rate_set",
        request=PayRateInput,
        responses={
            200: PayRateOutput,
            400: OpenApiResponse(description="Field errors."),
            403: ERRORS[403],
            404: NOT_AN_AGENCY,
        },
        description="Set the tutor's hourly pay, used when the commission is the difference.",
    )
    def put(self, request, pk: int):
        _agency_only(request)
        tutor = _tutor(pk)
        data = PayRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        pay_rate_set(actor=_viewer(request), tutor=tutor, request=request, **data.validated_data)
        return Response(PayRateOutput(_tutor(pk)).data)

    @extend_schema(
        operation_id="billing_pay_rate_delete",
        request=None,
        responses={204: None, 403: ERRORS[403], 404: NOT_AN_AGENCY},
        description="Remove the tutor's pay rate: the agency's share applies to their classes.",
    )
    def delete(self, request, pk: int):
        _agency_only(request)
        pay_rate_delete(actor=_viewer(request), tutor=_tutor(pk), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("billing/connect/", ConnectView.as_view(), name="billing_connect"),
    path("billing/connect/start/", ConnectStartView.as_view(), name="billing_connect_start"),
    path(
        "billing/connect/dashboard/",
        ConnectDashboardView.as_view(),
        name="billing_connect_dashboard",
    ),
    path("billing/settings/", BillingSettingsView.as_view(), name="billing_settings"),
    path("billing/pay-rates/", PayRateListView.as_view(), name="billing_pay_rates"),
    path("billing/pay-rates/<int:pk>/", PayRateView.as_view(), name="billing_pay_rate"),
]
