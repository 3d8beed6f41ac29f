"""Notifications: stored in the schema they happen in, emailed once after commit, retried."""

from __future__ import annotations

import pytest
from django.core import mail
from django_tenants.utils import schema_context, tenant_context

from notifications.models import Notification, OutboxEmail
from notifications.services import notification_email_deliver, notify

pytestmark = pytest.mark.django_db

VERIFY_URL = "http://localhost/accounts/verify/abc123/"


def test_a_notification_made_in_a_tenant_lives_in_that_tenants_schema(owner):
    with tenant_context(owner.tenant):
        notify(user=owner.user, event="lesson.booked", title="Lesson booked", send_email=False)
        assert Notification.objects.filter(title="Lesson booked").count() == 1
    assert not Notification.objects.filter(title="Lesson booked").exists()


def test_the_email_goes_out_only_after_the_transaction_commits(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notification = notify(user=owner.user, event="lesson.booked", title="Lesson booked")
    assert mailoutbox == []
    assert notification.email_status == Notification.EmailStatus.PENDING

    for callback in callbacks:
        callback()

    assert [message.to for message in mailoutbox] == [[owner.user.email]]
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.email_sent_at is not None
    assert notification.email_attempts == 1


def test_a_rolled_back_notification_sends_no_email(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    from django.db import transaction

    @transaction.atomic
    def book_then_fail():
        notify(user=owner.user, event="lesson.booked", title="Lesson booked")
        raise RuntimeError("the booking failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        book_then_fail()
    assert callbacks == []
    assert mailoutbox == []


def test_a_bare_email_address_without_an_account_gets_the_email_but_no_inbox_entry(
    public_tenant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(
            email="newcomer@example.test",
            event="lesson.reminder",
            title="Your trial lesson",
            body="Tomorrow at 10:00.",
            url="http://acme.localhost/lessons/1/",
        )
    assert notification.user is None
    assert notification.in_app is False
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    (message,) = mailoutbox
    assert message.to == ["newcomer@example.test"]
    assert message.subject == "Your trial lesson"
    assert "Tomorrow at 10:00." in message.body


def test_notify_needs_someone_to_tell(public_tenant):
    with pytest.raises(ValueError, match="needs a user or an email"):
        notify(event="lesson.booked", title="Nobody")


def test_an_email_is_sent_once_even_when_its_task_runs_twice(owner, mailoutbox):
    notification = notify(user=owner.user, event="lesson.booked", title="Lesson booked")
    assert notification_email_deliver(notification_id=notification.pk) is True
    assert notification_email_deliver(notification_id=notification.pk) is False
    assert len(mailoutbox) == 1


def test_an_email_not_asked_for_is_never_sent(owner, mailoutbox):
    notification = notify(
        user=owner.user, event="lesson.booked", title="Lesson booked", send_email=False
    )
    assert notification_email_deliver(notification_id=notification.pk) is False
    assert mailoutbox == []


def test_an_event_template_renders_both_text_and_html_with_the_link(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=owner.user,
            event="account.verify_email",
            title="Confirm your email address",
            url=VERIFY_URL,
            context={"verify_url": VERIFY_URL},
            in_app=False,
        )
    (message,) = mailoutbox
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    assert VERIFY_URL in message.body
    assert "<" not in message.body
    assert f'href="{VERIFY_URL}"' in html
    assert "Confirm my email address" in html
    assert f"Hi {owner.user.first_name}" in message.body


def test_an_event_without_its_own_template_uses_the_generic_one(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    url = "http://acme.localhost/lessons/7/?from=email&x=1"
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=owner.user,
            event="lesson.cancelled",
            title="Lesson cancelled",
            body="Your tutor is ill.",
            url=url,
        )
    (message,) = mailoutbox
    html = message.alternatives[0][0]
    assert url in message.body
    assert "Your tutor is ill." in message.body
    assert 'href="http://acme.localhost/lessons/7/?from=email&amp;x=1"' in html
    assert "<h1" in html
    assert "Lesson cancelled" in html


def test_what_people_typed_is_escaped_in_the_html_email(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=owner.user,
            event="message.received",
            title="New message",
            body="<script>alert(1)</script>",
        )
    (message,) = mailoutbox
    html = message.alternatives[0][0]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_an_smtp_failure_is_retried_and_the_email_then_goes_out(
    owner, flaky_smtp, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=owner.user, event="lesson.booked", title="Lesson booked")
    notification.refresh_from_db()
    assert flaky_smtp.calls == 2
    assert len(mail.outbox) == 1
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.email_attempts == 2


def test_after_the_last_retry_the_email_is_marked_failed_with_the_error(
    owner, flaky_smtp, django_capture_on_commit_callbacks
):
    from notifications.tasks import notification_email_send

    flaky_smtp.failures = 100
    with django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=owner.user, event="lesson.booked", title="Lesson booked")
    notification.refresh_from_db()
    attempts = notification_email_send.max_retries + 1
    assert flaky_smtp.calls == attempts
    assert notification.email_status == Notification.EmailStatus.FAILED
    assert notification.email_attempts == attempts
    assert "Connection unexpectedly closed" in notification.email_error
    assert mail.outbox == []


def test_a_tenant_notification_is_emailed_from_the_tenant_schema(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    with tenant_context(owner.tenant), django_capture_on_commit_callbacks(execute=True):
        notification = notify(user=owner.user, event="lesson.booked", title="Tenant lesson")
    with tenant_context(owner.tenant):
        notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    assert [message.subject for message in mailoutbox] == ["Tenant lesson"]


def test_the_outbox_backend_keeps_tenant_emails_in_the_public_schema(
    owner, outbox_backend, django_capture_on_commit_callbacks
):
    with tenant_context(owner.tenant), django_capture_on_commit_callbacks(execute=True):
        notify(
            user=owner.user,
            event="lesson.booked",
            title="Kept locally",
            body="Hello",
            url="http://acme.localhost/x/",
        )
    with schema_context("public"):
        email = OutboxEmail.objects.get(subject="Kept locally")
    assert email.to == owner.user.email
    assert "Hello" in email.body_text
    assert 'href="http://acme.localhost/x/"' in email.body_html


def test_a_notification_made_in_another_thread_is_emailed_by_our_celery_app(
    owner, mailoutbox, django_capture_on_commit_callbacks
):
    """Threaded web servers queue tasks off the main thread; they must find our app."""
    import threading

    from config.celery import app as celery_app
    from notifications.tasks import notification_email_send

    apps_seen = []
    thread = threading.Thread(
        target=lambda: apps_seen.append(notification_email_send._get_current_object().app)
    )
    thread.start()
    thread.join()
    assert apps_seen == [celery_app]


def test_the_outbox_page_lists_kept_emails_and_shows_each_one(
    web_client, owner, outbox_backend, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            user=owner.user,
            event="account.verify_email",
            title="Confirm your email address",
            context={"verify_url": VERIFY_URL},
            in_app=False,
        )
    email = OutboxEmail.objects.get()
    assert web_client(owner.tenant).get("/dev/outbox/").status_code == 404  # root domain only
    client = web_client()

    listing = client.get("/dev/outbox/")
    assert listing.status_code == 200
    assert f'href="/dev/outbox/{email.pk}/"' in listing.content.decode()
    assert owner.user.email in listing.content.decode()

    detail = client.get(f"/dev/outbox/{email.pk}/").content.decode()
    assert "<h1>Confirm your email address</h1>" in detail
    assert f'href="{VERIFY_URL}"' in detail
    assert "Plain text" in detail
    assert client.get("/dev/outbox/999999/").status_code == 404
