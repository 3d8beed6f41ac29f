"""Emailing receipts and credit notes, retried with backoff; runs in the schema the task
was queued in (the tenant of the document)."""

from __future__ import annotations

import smtplib

from celery import shared_task

from billing.services.invoices import invoice_email_deliver

__all__ = ["invoice_email_send"]

_TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(bind=True, max_retries=6, acks_late=True)
def invoice_email_send(self, invoice_id: int) -> bool:
    """Email the document once (``invoice_email_deliver`` skips one already sent)."""
    try:
        return invoice_email_deliver(invoice_id=invoice_id)
    except _TRANSIENT as error:
        if self.request.retries >= self.max_retries:
            raise
        raise self.retry(exc=error, countdown=min(600, 5 * 2**self.request.retries)) from error
