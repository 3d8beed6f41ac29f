"""The PDF: the agency's name and branding, the number, who was billed, what for; the
student's price only (no fee breakdown); nothing fetched from outside."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from billing.models import BillingSettings
from billing.pdf import _LocalOnlyFetcher, invoice_document, invoice_html, invoice_pdf
from tests.billing.invoices.conftest import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def branded(acme):
    with tenant_context(acme):
        BillingSettings.current()
        BillingSettings.objects.filter(pk=1).update(
            brand_color="#aa3300",
            invoice_details="Acme Tutoring Ltd\n1 High Street, London\nVAT GB123456789",
        )


def test_a_receipt_pdf_shows_the_agency_the_number_the_payer_and_paid(
    acme, paid, issue, branded, student
):
    receipt = issue.receipt(paid(price_minor=4550))

    with tenant_context(acme):
        pdf = invoice_pdf(receipt)
        text = pdf_text(invoice_document(receipt))

    assert pdf.startswith(b"%PDF-")
    assert b"%%EOF" in pdf[-32:]
    for expected in (
        "Acme Tutoring",
        "VAT GB123456789",
        "Receipt",
        "INV-000001",
        student.user.email,
        "Mathematics with Theo Turner, Mon 3 Mar 2025, 14:00 GMT",
        "GBP 45.50",
    ):
        assert expected in text, (expected, text)
    assert "PAID" in text.split()  # the status stamp, set in capitals
    assert "REFUNDED" not in text.split()


def test_the_receipt_shows_the_price_not_the_fee_breakdown(acme, paid, issue):
    payment = paid(price_minor=4000)  # 400 platform, 800 agency, 2800 tutor
    receipt = issue.receipt(payment)

    with tenant_context(acme):
        text = pdf_text(invoice_document(receipt))

    assert "GBP 40.00" in text
    for part in ("GBP 4.00", "GBP 8.00", "GBP 28.00", "commission", "fee"):
        assert part not in text


def test_a_credit_note_pdf_says_refunded_and_names_the_receipt(acme, paid, issue):
    payment = paid(price_minor=4000)
    issue.receipt(payment)
    note = issue.credit_note(issue.refund(payment, amount=1500))

    with tenant_context(acme):
        text = pdf_text(invoice_document(note))

    assert "Credit note" in text
    assert "INV-000002" in text
    assert "CREDIT FOR RECEIPT INV-000001" in text  # labels are set in capitals
    assert "GBP 15.00" in text
    assert "REFUNDED" in text.split()
    assert "PAID" not in text.split()
    assert "Paid in full" not in text


def test_the_brand_colour_and_details_reach_the_document(acme, paid, issue, branded):
    receipt = issue.receipt(paid())

    with tenant_context(acme):
        html = invoice_html(receipt)

    assert "--brand: #aa3300" in html
    assert "1 High Street, London" in html


def test_details_written_by_the_agency_are_text_not_markup(acme, paid, issue):
    with tenant_context(acme):
        BillingSettings.current()
        BillingSettings.objects.filter(pk=1).update(
            invoice_details='<img src="https://tracker.example.test/pixel.png">'
        )
    receipt = issue.receipt(paid())

    with tenant_context(acme):
        html = invoice_html(receipt)
        text = pdf_text(invoice_document(receipt))

    assert "<img" not in html
    assert "&lt;img" in html
    assert 'src="https://tracker.example.test/pixel.png"' in text.replace("&quot;", '"')


@pytest.mark.parametrize(
    "url",
    [
        "https://fonts.example.test/font.woff2",
        "http://127.0.0.1:9/logo.png",
        "file:///etc/passwd",
        "ftp://example.test/x.css",
    ],
)
def test_the_renderer_fetches_nothing_from_outside(url):
    with pytest.raises(ValueError, match="load nothing from outside"):
        _LocalOnlyFetcher().fetch(url)


def test_inline_data_urls_still_load():
    response = _LocalOnlyFetcher().fetch("data:text/plain;base64,aGk=")

    assert response.read() == b"hi"


def test_zero_decimal_currencies_are_shown_without_decimals(acme, paid, issue):
    receipt = issue.receipt(paid(price_minor=4500, currency="JPY"))

    with tenant_context(acme):
        text = pdf_text(invoice_document(receipt))

    assert "JPY 4,500" in text
    assert "JPY 45.00" not in text
