"""A receipt (and a credit note) is emailed to whom it is billed, PDF attached, once."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from billing.services.invoices import invoice_email_deliver
from billing.tasks_invoices import invoice_email_send

pytestmark = pytest.mark.django_db


def _issue_and_commit(issue, payment, django_capture_on_commit_callbacks):
    """Issue the receipt and run what waits for the commit (in the tenant, as a request or
    task that commits inside it would)."""
    with tenant_context(issue.tenant), django_capture_on_commit_callbacks(execute=True):
        return issue.receipt(payment)


def test_the_receipt_is_emailed_after_commit_with_its_pdf(
    acme, paid, issue, student, mailoutbox, django_capture_on_commit_callbacks
):
    receipt = _issue_and_commit(issue, paid(price_minor=4550), django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [student.user.email]
    assert message.subject == "Your receipt INV-000001 from Acme Tutoring"
    assert "GBP 45.50" in message.body
    assert "/billing/invoices/" in message.body
    [(name, content, content_type)] = message.attachments
    assert (name, content_type) == ("INV-000001.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    assert issue.reload(receipt).emailed_at is not None


def test_nothing_is_emailed_before_the_payment_commits(paid, issue, mailoutbox):
    issue.receipt(paid())  # the test's transaction never commits

    assert mailoutbox == []


def test_a_repeated_task_does_not_email_twice(
    acme, paid, issue, mailoutbox, django_capture_on_commit_callbacks
):
    receipt = _issue_and_commit(issue, paid(), django_capture_on_commit_callbacks)
    first_sent = issue.reload(receipt).emailed_at

    with tenant_context(acme):
        assert invoice_email_send.delay(receipt.pk).get() is False
        assert invoice_email_deliver(invoice_id=receipt.pk) is False

    assert len(mailoutbox) == 1
    assert issue.reload(receipt).emailed_at == first_sent


def test_issuing_again_does_not_email_again(
    acme, paid, issue, mailoutbox, django_capture_on_commit_callbacks
):
    payment = paid()
    _issue_and_commit(issue, payment, django_capture_on_commit_callbacks)
    _issue_and_commit(issue, payment, django_capture_on_commit_callbacks)

    assert len(mailoutbox) == 1


def test_a_failed_send_is_not_marked_sent_and_the_retry_sends_it(
    acme, paid, issue, mailoutbox, monkeypatch
):
    receipt = issue.receipt(paid())
    sends = []

    def flaky(self, fail_silently=False):
        sends.append(self.to)
        if len(sends) == 1:
            raise smtplib.SMTPServerDisconnected("connection lost")
        mail.outbox.append(self)
        return 1

    monkeypatch.setattr(mail.EmailMessage, "send", flaky)
    with tenant_context(acme):
        with pytest.raises(smtplib.SMTPServerDisconnected):
            invoice_email_deliver(invoice_id=receipt.pk)
        assert issue.reload(receipt).emailed_at is None

        assert invoice_email_deliver(invoice_id=receipt.pk) is True

    assert len(sends) == 2
    assert len(mailoutbox) == 1
    assert issue.reload(receipt).emailed_at is not None


def test_the_task_retries_a_transient_failure(acme, paid, issue, monkeypatch):
    receipt = issue.receipt(paid())
    retried = []

    def down(**kwargs):
        raise ConnectionRefusedError("mail server down")

    def retry(*args, **kwargs):
        retried.append(kwargs.get("countdown"))
        raise RuntimeError("retry scheduled")

    monkeypatch.setattr("billing.tasks_invoices.invoice_email_deliver", down)
    monkeypatch.setattr(invoice_email_send, "retry", retry)
    with tenant_context(acme), pytest.raises(RuntimeError, match="retry scheduled"):
        invoice_email_send.apply(args=[receipt.pk], throw=True)

    assert retried == [5]


def test_the_credit_note_is_emailed_too(
    acme, paid, issue, mailoutbox, django_capture_on_commit_callbacks
):
    payment = paid(price_minor=4000)
    _issue_and_commit(issue, payment, django_capture_on_commit_callbacks)
    refund = issue.refund(payment, amount=1000)

    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        issue.credit_note(refund)

    assert [m.subject for m in mailoutbox] == [
        "Your receipt INV-000001 from Acme Tutoring",
        "Credit note INV-000002 from Acme Tutoring",
    ]
    assert "GBP 10.00" in mailoutbox[1].body
    assert mailoutbox[1].attachments[0][0] == "INV-000002.pdf"


def test_a_document_without_an_address_is_not_emailed(
    acme, paid, issue, child, mailoutbox, django_capture_on_commit_callbacks
):
    payment = paid(student=child)
    with tenant_context(acme):
        payment.payer = None
        payment.save(update_fields=["payer"])
        child.parent_links.all().delete()

    receipt = _issue_and_commit(issue, payment, django_capture_on_commit_callbacks)

    assert receipt.billed_to_email == ""
    assert receipt.billed_to_name == "Kit Parent"
    assert mailoutbox == []
    with tenant_context(acme):
        assert invoice_email_deliver(invoice_id=receipt.pk) is False
