"""Syncs of one session racing each other, each on its own connection, make one meeting.

This test commits (each thread must see what the other wrote); the tenant_factory drops
the agency it made and pytest-django empties the tables.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from meetings.models import Meeting, MeetingStatus
from meetings.services.lifecycle import meeting_sync
from tests.meetings.fake_provider import FakeProvider
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 4


@pytest.fixture
def slow_create(monkeypatch):
    """The fake provider takes a moment to make a meeting: long enough for a race."""
    original = FakeProvider.meeting_create

    def slow(self, *, meeting, details):
        time.sleep(0.3)
        return original(self, meeting=meeting, details=details)

    monkeypatch.setattr(FakeProvider, "meeting_create", slow)


def test_racing_syncs_of_one_session_make_one_meeting(acme, desk, fake_meetings, slow_create):
    session = desk.booked(at(72))
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            with tenant_context(acme):
                barrier.wait(timeout=30)
                outcome = meeting_sync(session_id=session.pk)
        except Exception as error:  # any failure is what we look for
            outcome = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["created"] + ["unchanged"] * (RACERS - 1), outcomes
    assert fake_meetings.operations() == ["create"]
    with tenant_context(acme):
        [meeting] = Meeting.objects.filter(session_id=session.pk)
    assert meeting.status == MeetingStatus.READY
