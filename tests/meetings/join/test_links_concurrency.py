"""Two runs of the join links racing each other, each on its own connection, send each
class's links once.

This test commits (each run must see what the other wrote); the tenant_factory drops the
agency it made and pytest-django empties the tables.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from meetings import jobs_join
from meetings.jobs_join import JOIN_LINK_EVENT, join_links_send
from notifications.models import Notification
from tests.meetings.join.conftest import MINUTE, soon

pytestmark = pytest.mark.django_db(transaction=True)

RUNS = 3


@pytest.fixture
def slow_notify(monkeypatch):
    """Each notice takes a moment: the runs overlap while links are going out."""
    original = jobs_join.notify

    def slow(**kwargs):
        time.sleep(0.2)
        return original(**kwargs)

    monkeypatch.setattr(jobs_join, "notify", slow)


def test_overlapping_runs_send_each_classs_links_once(acme, lesson, tutor, student, slow_notify):
    sessions = [lesson(soon(10)), lesson(soon(80))]
    now = sessions[1].starts_at - 15 * MINUTE
    barrier = threading.Barrier(RUNS)
    sent: list[int | str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            with tenant_context(acme):
                barrier.wait(timeout=30)
                outcome = join_links_send(now=now)
        except Exception as error:  # any failure is what we look for
            outcome = repr(error)
        finally:
            connection.close()
        with lock:
            sent.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sum(sent) == len(sessions), sent
    with tenant_context(acme):
        links = sorted(
            Notification.objects.filter(event=JOIN_LINK_EVENT).values_list(
                "context__session", "user_id"
            )
        )
    assert links == sorted(
        (session.pk, user.user_id) for session in sessions for user in (tutor, student)
    )
