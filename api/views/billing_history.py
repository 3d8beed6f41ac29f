"""Payment history through the API: the payments the caller may see, and one of them.

Payments are reached through ``billing.selectors.history``: the agency's staff see all,
a tutor those of their classes, a student their own, a parent their children's; any
other payment, or one of another tenant, is a 404. What each carries depends on the
caller: the fee breakdown for the tutor and the agency, receipts for the student's side
and the agency, transfers for the agency. Times are returned in the viewer's zone
(``tz``, else the user's). The list costs the same number of queries whatever its size.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from api.views.scheduling_common import TZ_PARAMETER
from api.views.scheduling_common import request_zone as _zone
from billing.models import Invoice, Payment, Refund, Transfer
from billing.selectors import history as selectors

MAX_ID = 2**31 - 1
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2999, 12, 31)
NOT_FOUND = OpenApiResponse(description="No such payment that the caller may see.")


def _viewer(request) -> Membership:
    return request._request.membership


# Output ------------------------------------------------------------------------------------


class PaymentNamedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class PaymentSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(help_text="In the viewer's zone, with its offset.")
    ends_at = serializers.DateTimeField()
    subject = PaymentNamedOutput()


class PaymentBreakdownOutput(serializers.Serializer):
    price_minor = serializers.IntegerField(help_text="What the student pays.")
    platform_fee_minor = serializers.IntegerField()
    platform_fee_basis_points = serializers.IntegerField(help_text="Hundredths of a percent.")
    agency_commission_minor = serializers.IntegerField()
    tutor_earnings_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    net_minor = serializers.IntegerField(help_text="The price less refunds.")


class PaymentRefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Refund.Kind.choices)
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    created_at = serializers.DateTimeField()


class PaymentInvoiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(source="display_number")
    kind = serializers.ChoiceField(choices=Invoice.Kind.choices)
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    issued_at = serializers.DateTimeField()
    pdf_url = serializers.SerializerMethodField()

    def get_pdf_url(self, invoice: Invoice) -> str:
        return reverse("api:billing_invoice_pdf", kwargs={"pk": invoice.pk})


class PaymentTransferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    recipient = serializers.ChoiceField(choices=Transfer.Recipient.choices)
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Transfer.Status.choices)
    stripe_id = serializers.CharField()
    reversed_minor = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class PaymentOutput(serializers.Serializer):
    """One payment as its viewer may see it (``context["audience"]``)."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Payment.Status.choices)
    status_label = serializers.CharField()
    session = PaymentSessionOutput()
    tutor = PaymentNamedOutput(help_text="The tutor profile.")
    student = PaymentNamedOutput(help_text="The student profile.")
    amount_minor = serializers.IntegerField(help_text="The price, in minor units.")
    currency = serializers.CharField()
    refunded_minor = serializers.IntegerField()
    paid_at = serializers.DateTimeField(allow_null=True)
    released_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    pay_url = serializers.CharField(
        allow_null=True, help_text="The student's side, while awaiting payment: where to pay."
    )
    breakdown = PaymentBreakdownOutput(
        allow_null=True, help_text="The tutor and the agency: where the price goes."
    )
    refunds = PaymentRefundOutput(many=True, help_text="Each with its reason.")
    invoices = PaymentInvoiceOutput(
        many=True, help_text="Receipts and credit notes (not shown to the tutor)."
    )
    payout_route = serializers.CharField(allow_null=True, help_text="The agency only.")
    release_blocked_reason = serializers.CharField(allow_null=True, help_text="The agency only.")
    transfers = PaymentTransferOutput(many=True, allow_null=True, help_text="The agency only.")

    def to_representation(self, payment: Payment) -> dict:
        audience = self.context["audience"]
        agency = audience == "agency"
        local = timezone.get_current_timezone()
        session = payment.session
        awaiting = payment.status == Payment.Status.AWAITING
        return {
            "id": payment.pk,
            "status": payment.status,
            "status_label": payment.get_status_display(),
            "session": {
                "id": session.pk,
                "starts_at": session.starts_at.astimezone(local).isoformat(),
                "ends_at": session.ends_at.astimezone(local).isoformat(),
                "subject": {"id": session.subject_id, "name": session.subject.name},
            },
            "tutor": {"id": payment.tutor_id, "name": payment.tutor.full_name},
            "student": {"id": payment.student_id, "name": payment.student.full_name},
            "amount_minor": payment.amount_minor,
            "currency": payment.currency,
            "refunded_minor": payment.refunded_minor,
            "paid_at": _local(payment.paid_at),
            "released_at": _local(payment.released_at),
            "created_at": _local(payment.created_at),
            "pay_url": (
                reverse("billing:pay", kwargs={"pk": payment.pk})
                if awaiting and audience == "student"
                else None
            ),
            "breakdown": (
                PaymentBreakdownOutput(selectors.payment_breakdown(payment)).data
                if audience in ("tutor", "agency")
                else None
            ),
            "refunds": PaymentRefundOutput(payment.refunds.all(), many=True).data,
            "invoices": (
                PaymentInvoiceOutput(payment.invoices.all(), many=True).data
                if audience != "tutor"
                else []
            ),
            "payout_route": payment.payout_route if agency else None,
            "release_blocked_reason": payment.release_blocked_reason if agency else None,
            "transfers": (
                PaymentTransferOutput(payment.transfers.all(), many=True).data if agency else None
            ),
        }


def _local(moment: dt.datetime | None) -> str | None:
    return moment.astimezone(timezone.get_current_timezone()).isoformat() if moment else None


# Filters -----------------------------------------------------------------------------------


class PaymentFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=Payment.Status.choices, required=False)
    tutor = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Tutor profile id."
    )
    student = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Student profile id."
    )
    date_from = serializers.DateField(
        required=False, help_text="First day the payment was made (YYYY-MM-DD, viewer's zone)."
    )
    date_to = serializers.DateField(required=False, help_text="Last day, included.")

    def validate(self, data: dict) -> dict:
        errors = {}
        for field in ("date_from", "date_to"):
            day = data.get(field)
            if day is not None and not EARLIEST <= day <= LATEST:
                errors[field] = [f"Use a date from {EARLIEST} to {LATEST}."]
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and not errors and end < start:
            errors["date_to"] = ["The last day cannot be before the first."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


# Views -------------------------------------------------------------------------------------


class PaymentListView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_payments_list",
        parameters=[PaymentFilters, TZ_PARAMETER, *PAGE_PARAMETERS],
        responses={200: paginated(PaymentOutput)},
        description="The payments you may see, newest first: the agency's staff all, a "
        "tutor those of their classes, a student their own, a parent their children's.",
    )
    def get(self, request):
        filters = PaymentFilters(data=request.query_params)
        errors = {} if filters.is_valid() else dict(filters.errors)
        try:
            zone = _zone(request)
        except serializers.ValidationError as error:
            errors.update(error.detail)
        if errors:
            raise serializers.ValidationError(errors)
        viewer = _viewer(request)
        payments = selectors.payment_search(viewer=viewer, zone=zone, **filters.validated_data)
        audience = selectors.payment_audience(viewer)
        with timezone.override(zone):
            return paginated_response(
                request=request,
                view=self,
                queryset=payments,
                output=lambda page, many: PaymentOutput(
                    page, many=many, context={"audience": audience}
                ),
            )


class PaymentDetailView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_payment",
        parameters=[TZ_PARAMETER],
        responses={200: PaymentOutput, 404: NOT_FOUND},
        description="One payment with its breakdown, refunds, receipts and (for the "
        "agency) transfers.",
    )
    def get(self, request, pk: int):
        zone = _zone(request)
        viewer = _viewer(request)
        payment = selectors.payment_get(viewer=viewer, pk=pk)
        if payment is None:
            raise Http404
        context = {"audience": selectors.payment_audience(viewer)}
        with timezone.override(zone):
            return Response(PaymentOutput(payment, context=context).data)


urlpatterns = [
    path("billing/payments/", PaymentListView.as_view(), name="billing_payments"),
    path("billing/payments/<int:pk>/", PaymentDetailView.as_view(), name="billing_payment"),
]
