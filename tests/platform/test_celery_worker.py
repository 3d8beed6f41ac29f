"""A real Celery worker, fed through the real broker, delivers a tenant's email in its schema."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connection, connections
from django_tenants.utils import tenant_context

from config.celery import app as celery_app
from notifications.models import Notification
from notifications.services import notify
from tests.platform.conftest import FlakySMTPBackend

pytestmark = [pytest.mark.celery_worker, pytest.mark.usefixtures("transactional_db")]


class SchemaRecordingSMTPBackend(FlakySMTPBackend):
    """Also notes the schema each send ran in, to show where the worker ran the task."""

    schemas: list[str] = []

    def send_messages(self, messages):
        type(self).schemas.append(connection.schema_name)
        return super().send_messages(messages)


class Worker:
    """The worker thread, and the ids of the tasks it finished."""

    def __init__(self) -> None:
        self.finished: list[str] = []

    def task_finished(self, task_id=None, **kwargs) -> None:
        self.finished.append(task_id)
        # The worker thread has its own connections; left open they would keep the test
        # database from being flushed and dropped.
        connections.close_all()

    def wait_until_finished(self, count: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while len(self.finished) < count:
            if time.monotonic() > deadline:
                pytest.fail(f"the worker finished {len(self.finished)} of {count} tasks")
            time.sleep(0.05)


@pytest.fixture
def worker(settings, flaky_smtp) -> Iterator[Worker]:
    """A worker thread consuming the test queue on the real broker, tasks not eager."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.EMAIL_BACKEND = f"{__name__}.SchemaRecordingSMTPBackend"
    SchemaRecordingSMTPBackend.schemas = []
    SchemaRecordingSMTPBackend.calls = 0
    SchemaRecordingSMTPBackend.failures = 1
    always_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()
    running = Worker()
    task_postrun.connect(running.task_finished, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            yield running
    finally:
        task_postrun.disconnect(running.task_finished)
        celery_app.conf.task_always_eager = always_eager


def _wait_for_email_status(tenant, pk: int, timeout: float = 15) -> Notification:
    deadline = time.monotonic() + timeout
    while True:
        with tenant_context(tenant):
            notification = Notification.objects.get(pk=pk)
        if notification.email_status != Notification.EmailStatus.PENDING:
            return notification
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not deliver within {timeout}s: {notification!r}")
        time.sleep(0.1)


def test_the_worker_delivers_a_tenant_email_in_its_schema_retrying_a_failed_send(worker, owner):
    with tenant_context(owner.tenant):
        notification = notify(user=owner.user, event="lesson.booked", title="Worker lesson")

    delivered = _wait_for_email_status(owner.tenant, notification.pk)

    assert delivered.email_status == Notification.EmailStatus.SENT
    assert delivered.email_attempts == 2
    assert delivered.email_error == ""
    # The first send hit the "SMTP" failure and was retried; both ran in acme's schema.
    assert SchemaRecordingSMTPBackend.schemas == [owner.tenant.schema_name] * 2
    assert [message.subject for message in mail.outbox] == ["Worker lesson"]
    assert not Notification.objects.filter(pk=notification.pk, title="Worker lesson").exists()


def test_the_worker_sends_an_email_once_when_its_task_is_queued_twice(worker, owner):
    from notifications.tasks import notification_email_send

    SchemaRecordingSMTPBackend.failures = 0
    with tenant_context(owner.tenant):
        notification = notify(user=owner.user, event="lesson.booked", title="Only once")
        notification_email_send.delay(notification.pk)

    worker.wait_until_finished(2)
    with tenant_context(owner.tenant):
        notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.email_attempts == 1
    assert [message.subject for message in mail.outbox] == ["Only once"]
