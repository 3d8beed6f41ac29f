"""Beat's dispatcher on a real Celery worker: reminders go out in every agency, each in its
own schema, and the emails follow.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from config.celery import app as celery_app
from crm import services as crm
from notifications.models import Notification
from scheduling.jobs_reminders import REMINDER_EVENT, session_reminders_dispatch
from scheduling.models import SessionReminder
from tests.scheduling.conftest import dob_for
from tests.scheduling.reminders.conftest import backdate

pytestmark = [pytest.mark.celery_worker, pytest.mark.usefixtures("transactional_db")]


@pytest.fixture
def worker(settings) -> Iterator[None]:
    """A worker thread consuming the test queue on the real broker, tasks not eager."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    always_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    celery_app.control.purge()

    def close_connections(**kwargs) -> None:
        # The worker thread's own connections would keep the test database from being
        # flushed and dropped.
        connections.close_all()

    task_postrun.connect(close_connections, weak=False)
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            yield
    finally:
        task_postrun.disconnect(close_connections)
        celery_app.conf.task_always_eager = always_eager


def _student_in(tenant, member):
    owner = Membership.objects.get(tenant=tenant, role="owner")
    learner = member(tenant, Membership.Role.STUDENT, first_name="Sam")
    with tenant_context(tenant):
        profile = crm.student_create(
            actor=owner,
            first_name="Sam",
            last_name=tenant.slug.title(),
            email=learner.user.email,
            date_of_birth=dob_for(20),
        )
    return learner, profile


def _wait_for(check, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("the worker did not finish in time")
        time.sleep(0.2)


def _sent_in(tenant) -> int:
    with tenant_context(tenant):
        return Notification.objects.filter(
            event=REMINDER_EVENT, email_status=Notification.EmailStatus.SENT
        ).count()


def test_the_dispatcher_sends_each_agencys_reminders_in_its_own_schema(
    worker, acme, globex, teacher, member, booked
):
    start = timezone.now().replace(microsecond=0) + dt.timedelta(minutes=45)
    sessions = {}
    for tenant in (acme, globex):
        _, tutor_profile = teacher(tenant)
        _, student_profile = _student_in(tenant, member)
        sessions[tenant.slug] = backdate(booked(tutor_profile, student_profile, start), days=2)

    assert session_reminders_dispatch.delay() is not None

    _wait_for(lambda: _sent_in(acme) == 2 and _sent_in(globex) == 2)
    for tenant in (acme, globex):
        with tenant_context(tenant):
            reminder = SessionReminder.objects.get()
            assert (reminder.session_id, reminder.kind) == (sessions[tenant.slug].pk, "1h")
            urls = set(Notification.objects.values_list("url", flat=True))
        assert urls == {
            f"http://{tenant.slug}.localhost/scheduling/sessions/{sessions[tenant.slug].pk}/"
        }
    assert len(mail.outbox) == 4
    assert {message.to[0].split("@")[1] for message in mail.outbox} == {"acme.test", "globex.test"}
