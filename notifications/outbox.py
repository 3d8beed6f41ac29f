"""An email backend that keeps messages in the public schema's outbox for the /dev/outbox/ page."""

from __future__ import annotations

from django.core.mail.backends.base import BaseEmailBackend
from django_tenants.utils import schema_context

from notifications.models import OutboxEmail


class OutboxEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        sent = 0
        with schema_context("public"):
            for message in email_messages:
                html = next(
                    (
                        content
                        for content, mimetype in getattr(message, "alternatives", [])
                        if mimetype == "text/html"
                    ),
                    "",
                )
                OutboxEmail.objects.create(
                    to=", ".join(message.to),
                    from_email=message.from_email,
                    subject=message.subject,
                    body_text=message.body,
                    body_html=html,
                )
                sent += 1
        return sent
