"""The wallet through the API: balances, withdrawals, and asking for one.

A tutor has their own wallet; the agency's owners and admins manage the agency's (and
see each tutor's balance). Anyone else is refused (403). A withdrawal above the
available balance is a 400 on ``amount_minor``; without a payout account Stripe has
enabled, a 409.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from billing.models import BillingSettings, Withdrawal
from billing.selectors.wallet import Payee, payee_of, tutor_wallets, wallet_balances
from billing.selectors.wallet import withdrawal_list as _withdrawals
from billing.services import wallet as services
from config.errors import ApplicationError

TUTORS = BillingSettings.PayoutRoute.TUTORS
REFUSED = OpenApiResponse(description="Only tutors and the agency's owners and admins.")


def _viewer(request) -> Membership:
    return request._request.membership


def _payee(request) -> Payee:
    viewer = _viewer(request)
    payee = payee_of(viewer)
    if payee is not None:
        return payee
    if viewer.role == Membership.Role.TUTOR:
        raise ApplicationError(
            "You have no tutor profile here yet.", code="no_tutor_profile", status=409
        )
    raise PermissionDenied("Only tutors and the agency's owners and admins have a wallet.")


# Output ------------------------------------------------------------------------------------


class WalletBalanceOutput(serializers.Serializer):
    currency = serializers.CharField()
    pending_minor = serializers.IntegerField(help_text="Earned on classes not yet released.")
    available_minor = serializers.IntegerField(help_text="What can be withdrawn now.")
    in_flight_minor = serializers.IntegerField(help_text="Withdrawals not yet sent to Stripe.")
    paid_out_minor = serializers.IntegerField()


class WalletTutorOutput(serializers.Serializer):
    tutor_id = serializers.IntegerField(source="tutor.pk")
    name = serializers.CharField(source="tutor.full_name")
    currency = serializers.CharField()
    pending_minor = serializers.IntegerField()
    available_minor = serializers.IntegerField()


class WalletOutput(serializers.Serializer):
    payee = serializers.ChoiceField(choices=Withdrawal._meta.get_field("payee").choices)
    name = serializers.CharField()
    payout_account_ready = serializers.BooleanField(
        help_text="Whether Stripe has enabled the payout account (needed to withdraw)."
    )
    balances = WalletBalanceOutput(many=True)
    tutors = WalletTutorOutput(
        many=True,
        help_text="The agency's managers, where tutors are paid to their own accounts: "
        "each tutor's balance.",
    )


class WithdrawalPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.email


class WithdrawalOutput(serializers.Serializer):
    id = serializers.IntegerField()
    payee = serializers.ChoiceField(choices=Withdrawal._meta.get_field("payee").choices)
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Withdrawal.Status.choices)
    automatic = serializers.BooleanField()
    payout_id = serializers.CharField(source="stripe_id", help_text="Stripe's payout, once sent.")
    failure_message = serializers.CharField()
    requested_by = WithdrawalPersonOutput(allow_null=True, help_text="Empty when automatic.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


# Views -------------------------------------------------------------------------------------


class WalletView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_wallet",
        responses={200: WalletOutput, 403: REFUSED},
        description="Your wallet (a tutor's own, or the agency's for its owners and admins): "
        "pending, available and paid-out money per currency, from the ledger.",
    )
    def get(self, request):
        payee = _payee(request)
        account = payee.connected_account()
        tutors = []
        if payee.tutor is None and BillingSettings.current().payout_route == TUTORS:
            tutors = tutor_wallets()
        body = {
            "payee": payee.kind,
            "name": payee.label,
            "payout_account_ready": bool(account and account.can_receive),
            "balances": wallet_balances(payee),
            "tutors": tutors,
        }
        return Response(WalletOutput(body).data)


class WithdrawalListView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        amount_minor = serializers.IntegerField(
            min_value=1, max_value=2**31 - 1, help_text="In the currency's minor units."
        )
        currency = serializers.CharField(min_length=3, max_length=3, help_text="ISO code.")

    @extend_schema(
        operation_id="billing_withdrawals_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(WithdrawalOutput), 403: REFUSED},
        description="Your wallet's withdrawals, newest first.",
    )
    def get(self, request):
        return paginated_response(
            request=request,
            view=self,
            queryset=_withdrawals(payee=_payee(request)),
            output=WithdrawalOutput,
        )

    @extend_schema(
        operation_id="billing_withdrawals_create",
        request=InputSerializer,
        responses={
            201: WithdrawalOutput,
            400: OpenApiResponse(description="Above the available balance, or bad input."),
            403: REFUSED,
            409: OpenApiResponse(description="No payout account enabled by Stripe yet."),
        },
        description="Withdraw available money to the bank: sent to Stripe as a payout "
        "right after; its status follows the bank's answer.",
    )
    def post(self, request):
        _payee(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        withdrawal = services.withdrawal_request(
            actor=_viewer(request), request=request, **data.validated_data
        )
        withdrawal.refresh_from_db()
        return Response(WithdrawalOutput(withdrawal).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("billing/wallet/", WalletView.as_view(), name="billing_wallet"),
    path("billing/withdrawals/", WithdrawalListView.as_view(), name="billing_withdrawals"),
]
