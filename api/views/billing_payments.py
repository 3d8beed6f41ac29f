"""Paying for a class and refunding it, through the API.

Payments are reached through their session (``session_get``): one the caller may not
see, or of another tenant, is not found (404). Paying is for the student's side (403
otherwise); refunds are for the agency's owners and admins. A payment whose state does
not allow the action is a 409; Stripe being unreachable is a 502.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsTenantMember
from billing.models import Payment, Refund
from billing.services.payments import (
    payment_checkout,
    payment_sync,
    refund_manual,
    release_retry,
)
from scheduling.selectors.sessions import session_get

ERRORS = {
    403: OpenApiResponse(description="The caller may not do this to the payment."),
    404: OpenApiResponse(description="No such payment that the caller may see."),
    409: OpenApiResponse(description="The payment's state does not allow it now."),
}


def _payment(request, pk: int) -> Payment:
    payment = Payment.objects.select_related("session").filter(pk=pk).first()
    membership = request._request.membership
    if payment is None or session_get(viewer=membership, pk=payment.session_id) is None:
        raise Http404
    return payment


class CheckoutOutput(serializers.Serializer):
    client_secret = serializers.CharField(
        help_text="For Stripe.js: confirm the payment with the payment element."
    )
    publishable_key = serializers.CharField()
    status = serializers.CharField(help_text="The PaymentIntent's status at Stripe.")


class PaymentStateOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    amount_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    currency = serializers.CharField()


class RefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    payment_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Refund.Kind.choices)
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class CheckoutView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_payment_checkout",
        request=None,
        responses={200: CheckoutOutput, **ERRORS, 502: OpenApiResponse(description="Stripe.")},
        description=(
            "Start (or resume) paying for a confirmed class: the student or a linked "
            "parent gets the client secret of the payment's PaymentIntent for Stripe's "
            "payment element. Card details never reach this API."
        ),
    )
    def post(self, request, pk: int):
        payment = _payment(request, pk)
        checkout = payment_checkout(actor=request._request.membership, payment=payment)
        return Response(
            CheckoutOutput({**checkout, "publishable_key": settings.STRIPE_PUBLISHABLE_KEY}).data
        )


class SyncView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_payment_sync",
        request=None,
        responses={200: PaymentStateOutput, 404: ERRORS[404]},
        description=(
            "Check the payment with Stripe now (after the payment element reports "
            "success): a succeeded PaymentIntent makes the payment held, once."
        ),
    )
    def post(self, request, pk: int):
        payment = payment_sync(_payment(request, pk).pk)
        return Response(PaymentStateOutput(payment).data)


class RefundView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        amount_minor = serializers.IntegerField(min_value=1, max_value=10**9)
        reason = serializers.CharField(max_length=2000)

    @extend_schema(
        operation_id="billing_payment_refund",
        request=InputSerializer,
        responses={
            201: RefundOutput,
            400: OpenApiResponse(description="Bad amount or no reason."),
            **ERRORS,
        },
        description=(
            "Refund part or all of a held or released payment (owners and admins), with "
            "a reason. After a release the transfers are reversed first, in proportion."
        ),
    )
    def post(self, request, pk: int):
        payment = _payment(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        refund = refund_manual(
            actor=request._request.membership,
            payment=payment,
            amount=data.validated_data["amount_minor"],
            reason=data.validated_data["reason"],
        )
        refund.refresh_from_db()
        return Response(RefundOutput(refund).data, status=status.HTTP_201_CREATED)


class ReleaseView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_payment_release",
        request=None,
        responses={202: PaymentStateOutput, **ERRORS},
        description=(
            "Try a stuck release again (owners and admins): after a payee finished "
            "onboarding, or after Stripe refused a transfer. The transfers are sent in "
            "the background; the payment becomes released once all are made."
        ),
    )
    def post(self, request, pk: int):
        payment = release_retry(actor=request._request.membership, payment=_payment(request, pk))
        payment.refresh_from_db()
        return Response(PaymentStateOutput(payment).data, status=status.HTTP_202_ACCEPTED)


urlpatterns = [
    path(
        "billing/payments/<int:pk>/checkout/",
        CheckoutView.as_view(),
        name="billing_payment_checkout",
    ),
    path("billing/payments/<int:pk>/sync/", SyncView.as_view(), name="billing_payment_sync"),
    path("billing/payments/<int:pk>/refunds/", RefundView.as_view(), name="billing_payment_refund"),
    path(
        "billing/payments/<int:pk>/release/",
        ReleaseView.as_view(),
        name="billing_payment_release",
    ),
]
