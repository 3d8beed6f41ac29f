"""Receipts and credit notes: the list of those the viewer may see, and each as a PDF.

Documents are looked up through ``invoice_list``: one the viewer may not see (or of
another tenant) is a 404.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from billing.pdf import invoice_pdf_response
from billing.selectors.invoices import invoice_get, invoice_list
from crm.pages import member_required

PAGE_SIZE = 50


@member_required()
@require_safe
def invoice_list_page(request) -> HttpResponse:
    page = Paginator(invoice_list(viewer=request.membership), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "billing/invoice_list.html", {"page": page})


@member_required()
@require_safe
def invoice_pdf(request, pk: int) -> HttpResponse:
    invoice = invoice_get(viewer=request.membership, pk=pk)
    if invoice is None:
        raise Http404
    return invoice_pdf_response(invoice)


urlpatterns = [
    path("invoices/", invoice_list_page, name="invoice_list"),
    path("invoices/<int:pk>/pdf/", invoice_pdf, name="invoice_pdf"),
]
