"""Email delivery, retried with backoff; runs in the schema the notification was made in."""

from __future__ import annotations

import smtplib

from celery import shared_task

from notifications.services import notification_email_deliver, notification_email_failed

_TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(bind=True, max_retries=6, acks_late=True)
def notification_email_send(self, notification_id: int) -> bool:
    try:
        return notification_email_deliver(notification_id=notification_id)
    except _TRANSIENT as error:
        final = self.request.retries >= self.max_retries
        notification_email_failed(notification_id=notification_id, error=repr(error), final=final)
        if final:
            raise
        raise self.retry(exc=error, countdown=min(600, 5 * 2**self.request.retries)) from error
