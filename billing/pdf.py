"""Invoices and receipts as PDF (WeasyPrint), with the tenant's name and branding.

The document is an HTML template (``billing/invoice_pdf.html``) laid out with one
stylesheet of local fonts. Nothing is fetched while rendering: every URL is refused
except inline ``data:`` ones, so a document cannot reach the network or the disk.
The parsed stylesheet and the font configuration are kept per thread and reused, which
takes most of the cost out of each render (see ``benchmarks/invoices.py``).
"""

from __future__ import annotations

import threading
import zoneinfo

from django.db import connection
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from billing.models import BillingSettings, Invoice

__all__ = [
    "invoice_document",
    "invoice_filename",
    "invoice_html",
    "invoice_pdf",
    "invoice_pdf_response",
    "tenant_zone",
]

STYLESHEET = """
@page { size: A4; margin: 18mm 18mm 20mm; }
html { font-family: "DejaVu Sans", sans-serif; font-size: 10pt; color: #1f2933; }
h1, h2, p { margin: 0; }
.top { width: 100%; border-bottom: 3pt solid var(--brand); margin-bottom: 18pt; }
.top td { vertical-align: top; padding-bottom: 8pt; }
.top td + td { width: 55mm; }
.tenant { font-size: 18pt; font-weight: bold; color: var(--brand); }
.details { white-space: pre-line; color: #52606d; font-size: 9pt; margin-top: 4pt; }
.kind { font-size: 14pt; font-weight: bold; text-align: right; }
.number { text-align: right; margin-top: 2pt; }
.facts { width: 100%; margin-bottom: 18pt; }
.facts td { vertical-align: top; padding: 0 0 6pt; width: 50%; }
.label { color: #52606d; font-size: 8pt; text-transform: uppercase; letter-spacing: .5pt; }
table { table-layout: fixed; }
table.lines { width: 100%; border-collapse: collapse; }
.lines th { text-align: left; border-bottom: 1pt solid #9aa5b1; padding: 4pt 0; }
.lines td { border-bottom: .5pt solid #d9e2ec; padding: 6pt 0; vertical-align: top; }
.lines .amount { width: 38mm; text-align: right; white-space: nowrap; padding-left: 12pt; }
.lines tfoot th { border-bottom: none; border-top: 1pt solid #9aa5b1; font-size: 11pt; }
.status { margin-top: 18pt; display: inline-block; padding: 4pt 10pt;
          border: 1.5pt solid var(--brand);
          color: var(--brand); font-weight: bold; text-transform: uppercase; letter-spacing: 1pt; }
.note { margin-top: 14pt; color: #52606d; font-size: 9pt; }
"""

_local = threading.local()


class _LocalOnlyFetcher(URLFetcher):
    """Refuse every resource except inline ``data:`` URLs: no network, no files."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        raise ValueError(f"Invoices load nothing from outside: {url[:80]}")


def _resources() -> tuple[FontConfiguration, CSS]:
    """This thread's font configuration and parsed stylesheet (WeasyPrint's are not shared
    between threads)."""
    cached = getattr(_local, "resources", None)
    if cached is None:
        fonts = FontConfiguration()
        cached = (fonts, CSS(string=STYLESHEET, font_config=fonts))
        _local.resources = cached
    return cached


def invoice_filename(invoice: Invoice) -> str:
    return f"{invoice.display_number}.pdf"


def tenant_zone() -> zoneinfo.ZoneInfo:
    """The current tenant's time zone, in which its documents give dates."""
    name = getattr(connection.tenant, "time_zone", "") or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def invoice_html(
    invoice: Invoice,
    *,
    billing: BillingSettings | None = None,
    receipt_number: str | None = None,
) -> str:
    """The invoice as the HTML the PDF is laid out from (in the current tenant).

    ``billing`` and, for a credit note, ``receipt_number`` (the receipt it refers to) may
    be passed in to save their queries when rendering many.
    """
    billing = billing or BillingSettings.current()
    is_credit_note = invoice.kind == Invoice.Kind.CREDIT_NOTE
    if is_credit_note and receipt_number is None and getattr(invoice, "receipt_number", None):
        # Annotated by ``invoice_list``.
        receipt_number = Invoice(
            prefix=invoice.receipt_prefix, number=invoice.receipt_number
        ).display_number
    if is_credit_note and receipt_number is None:
        receipt = (
            Invoice.objects.filter(payment_id=invoice.payment_id, kind=Invoice.Kind.RECEIPT)
            .only("prefix", "number")
            .first()
        )
        receipt_number = receipt.display_number if receipt else ""
    zone = tenant_zone()
    return render_to_string(
        "billing/invoice_pdf.html",
        {
            "invoice": invoice,
            "tenant_name": connection.tenant.name,
            "brand_color": billing.brand_color,
            "invoice_details": billing.invoice_details,
            "is_credit_note": is_credit_note,
            "receipt_number": receipt_number or "",
            "issued_on": timezone.localtime(invoice.issued_at, zone),
            "zone": zone.key,
        },
    )


def invoice_document(invoice: Invoice, **context) -> Document:
    """The invoice laid out in pages (``invoice_pdf`` writes it out)."""
    fonts, stylesheet = _resources()
    html = HTML(string=invoice_html(invoice, **context), url_fetcher=_LocalOnlyFetcher())
    return html.render(stylesheets=[stylesheet], font_config=fonts)


def invoice_pdf(invoice: Invoice, **context) -> bytes:
    """The invoice as a PDF file's bytes."""
    return invoice_document(invoice, **context).write_pdf()


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    """The PDF as a download named after its number. Call only after checking the viewer
    may see the invoice."""
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=invoice_filename(invoice)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
