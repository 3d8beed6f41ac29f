"""Two schedulers at once, committing for real: each reminder still goes out once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connections
from django_tenants.utils import tenant_context

from scheduling import jobs_reminders
from scheduling.models import SessionReminder
from tests.scheduling.reminders.conftest import START, reminders_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_runs_at_the_same_moment_send_each_reminder_once(
    acme, confirmed, tutor, student, monkeypatch
):
    confirmed()
    confirmed(START + dt.timedelta(hours=1))
    # Both runs list the due sessions before either sends: the race a second scheduler
    # (or a retried task) starts.
    listed = threading.Barrier(2, timeout=20)
    due = jobs_reminders._due

    def due_together(rule, now):
        found = list(due(rule, now))
        listed.wait()
        return found

    monkeypatch.setattr(jobs_reminders, "_due", due_together)
    results: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            with tenant_context(acme):
                results.append(jobs_reminders.reminders_send(now=START - dt.timedelta(hours=23)))
        except BaseException as error:  # reported by the test thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(results) in ([0, 2], [1, 1])
    with tenant_context(acme):
        assert SessionReminder.objects.count() == 2
    notified = sorted((n.user_id, n.context["session"]) for n in reminders_of(acme))
    assert len(notified) == len(set(notified)) == 4
    assert {user for user, _ in notified} == {tutor.user_id, student.user_id}
