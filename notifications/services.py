"""Telling people what happened: in-app, and by email after the transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation

from notifications.models import Notification
from tenants.transactions import on_commit_in_tenant


@transaction.atomic
def notify(
    *,
    event: str,
    title: str,
    user=None,
    email: str = "",
    body: str = "",
    url: str = "",
    context: dict | None = None,
    in_app: bool = True,
    send_email: bool = True,
) -> Notification:
    """Record a notification for ``user`` (or a bare ``email``) and queue its email on commit."""
    if user is None and not email:
        raise ValueError("notify() needs a user or an email address")
    notification = Notification.objects.create(
        user=user,
        email=email or user.email,
        event=event,
        title=title,
        body=body,
        url=url,
        context=context or {},
        in_app=in_app and user is not None,
        email_status=(
            Notification.EmailStatus.PENDING
            if send_email
            else Notification.EmailStatus.NOT_REQUESTED
        ),
    )
    if send_email:
        from notifications.tasks import notification_email_send

        on_commit_in_tenant(lambda: notification_email_send.delay(notification.pk))
    return notification


def _render(event: str, suffix: str, context: dict) -> str:
    name = event.replace(".", "_")
    try:
        return render_to_string(f"notifications/email/{name}.{suffix}", context)
    except TemplateDoesNotExist:
        return render_to_string(f"notifications/email/generic.{suffix}", context)


@transaction.atomic
def notification_email_deliver(*, notification_id: int) -> bool:
    """Send a notification's email once; return False when there was nothing to send.

    The row is locked while sending, so two workers given the same task cannot both
    send it; a retry after a failure sends it again only if it never went out.
    """
    notification = (
        Notification.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.email_status != Notification.EmailStatus.PENDING:
        return False
    notification.email_attempts += 1
    context = {
        **notification.context,
        "notification": notification,
        "user": notification.user,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "site_name": "EduConnect",
    }
    locale = notification.user.locale if notification.user else settings.LANGUAGE_CODE
    with translation.override(locale):
        text = _render(notification.event, "txt", context)
        html = _render(notification.event, "html", context)
    message = EmailMultiAlternatives(
        subject=notification.title,
        body=text,
        to=[notification.email],
    )
    message.attach_alternative(html, "text/html")
    message.send()
    notification.email_status = Notification.EmailStatus.SENT
    notification.email_sent_at = timezone.now()
    notification.email_error = ""
    notification.save(
        update_fields=["email_status", "email_sent_at", "email_attempts", "email_error"]
    )
    return True


def notification_email_failed(*, notification_id: int, error: str, final: bool) -> None:
    """Record a failed attempt to send an email; after the last retry, mark it failed.

    The attempt that failed was rolled back with its transaction, so it is counted here.
    """
    changes = {"email_attempts": F("email_attempts") + 1, "email_error": error[:500]}
    if final:
        changes["email_status"] = Notification.EmailStatus.FAILED
    Notification.objects.filter(
        pk=notification_id, email_status=Notification.EmailStatus.PENDING
    ).update(**changes)


def notification_mark_read(*, user, notification_ids: list[int] | None = None) -> int:
    """Mark some (or all) of ``user``'s notifications read; return how many changed."""
    unread = Notification.objects.filter(user=user, in_app=True, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
