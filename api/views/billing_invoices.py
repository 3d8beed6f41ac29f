"""Receipts and credit notes through the API: the list the caller may see, one, its PDF.

Documents are reached through ``invoice_list``: the payer, the student of the class and
their linked parents, and the agency's owners, admins and staff see them; anyone else
(the tutor included), or a caller of another tenant, gets a 404. Times are returned in
the viewer's zone (``tz``, else the user's).
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from api.views.scheduling_common import TZ_PARAMETER
from api.views.scheduling_common import request_zone as _zone
from billing.models import Invoice
from billing.pdf import invoice_pdf_response
from billing.selectors.invoices import invoice_get, invoice_list

NOT_FOUND = OpenApiResponse(description="No such document that the caller may see.")


def _invoice(request, pk: int) -> Invoice:
    invoice = invoice_get(viewer=request._request.membership, pk=pk)
    if invoice is None:
        raise Http404
    return invoice


class InvoiceOutput(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(source="display_number", help_text="As printed: INV-000042.")
    kind = serializers.ChoiceField(choices=Invoice.Kind.choices)
    payment_id = serializers.IntegerField()
    session_id = serializers.IntegerField(source="payment.session_id")
    refund_id = serializers.IntegerField(allow_null=True, help_text="Credit notes: the refund.")
    receipt_number = serializers.SerializerMethodField(
        help_text="Credit notes: the receipt they credit; empty for a receipt."
    )
    billed_to_name = serializers.CharField()
    billed_to_email = serializers.CharField()
    description = serializers.CharField()
    amount_minor = serializers.IntegerField(help_text="In the currency's minor units.")
    currency = serializers.CharField()
    issued_at = serializers.DateTimeField()
    emailed_at = serializers.DateTimeField(allow_null=True)
    pdf_url = serializers.SerializerMethodField()

    def get_receipt_number(self, invoice: Invoice) -> str:
        if invoice.kind != Invoice.Kind.CREDIT_NOTE or not invoice.receipt_number:
            return ""
        return Invoice(prefix=invoice.receipt_prefix, number=invoice.receipt_number).display_number

    def get_pdf_url(self, invoice: Invoice) -> str:
        return reverse("api:billing_invoice_pdf", args=[invoice.pk])


class InvoiceListView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_invoices_list",
        parameters=[*PAGE_PARAMETERS, TZ_PARAMETER],
        responses={200: paginated(InvoiceOutput)},
        description=(
            "The receipts and credit notes the caller may see, newest first: their own "
            "(paid by them, for their classes or their children's); all, for the agency's "
            "owners, admins and staff."
        ),
    )
    def get(self, request):
        zone = _zone(request)
        invoices = invoice_list(viewer=request._request.membership)
        with timezone.override(zone):
            return paginated_response(
                request=request, view=self, queryset=invoices, output=InvoiceOutput
            )


class InvoiceDetailView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_invoice",
        parameters=[TZ_PARAMETER],
        responses={200: InvoiceOutput, 404: NOT_FOUND},
    )
    def get(self, request, pk: int):
        zone = _zone(request)
        invoice = _invoice(request, pk)
        with timezone.override(zone):
            return Response(InvoiceOutput(invoice).data)


class InvoicePdfView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="billing_invoice_pdf",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The document, named after its number."
            ),
            404: NOT_FOUND,
        },
    )
    def get(self, request, pk: int):
        return invoice_pdf_response(_invoice(request, pk))


urlpatterns = [
    path("billing/invoices/", InvoiceListView.as_view(), name="billing_invoices"),
    path("billing/invoices/<int:pk>/", InvoiceDetailView.as_view(), name="billing_invoice"),
    path("billing/invoices/<int:pk>/pdf/", InvoicePdfView.as_view(), name="billing_invoice_pdf"),
]
