"""``meetings_backfill``: sessions confirmed before meetings existed get theirs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import tenant_context

from meetings.models import Meeting, MeetingStatus
from scheduling.models import Session
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db


def _backfill(*args: str) -> str:
    out = StringIO()
    call_command("meetings_backfill", *args, stdout=out)
    return out.getvalue()


def test_upcoming_confirmed_sessions_without_a_ready_meeting_get_one(
    acme, globex, desk, fake_meetings, django_capture_on_commit_callbacks
):
    waiting = desk.booked(at(30))
    failed = desk.booked(at(40))
    ready = desk.booked(at(50))
    desk.booked(at(-5))  # over
    desk.booked(at(60), status=Session.Status.CANCELLED)
    desk.booked(at(70), status=Session.Status.REQUESTED)
    with tenant_context(acme):
        Meeting.objects.create(session=failed, provider="fake", status=MeetingStatus.FAILED)
        Meeting.objects.create(
            session=ready,
            provider="fake",
            status=MeetingStatus.READY,
            external_id="fake-made-earlier",
            scheduled_start=ready.starts_at,
            scheduled_end=ready.ends_at,
        )

    with django_capture_on_commit_callbacks(execute=True):
        out = _backfill()

    assert "acme: 2 session(s) queued" in out
    assert "globex: 0 session(s) queued" in out
    assert sorted(call[1] for call in fake_meetings.calls) == [waiting.pk, failed.pk]
    with tenant_context(acme):
        made = dict(Meeting.objects.values_list("session_id", "status"))
    assert made == {waiting.pk: "ready", failed.pk: "ready", ready.pk: "ready"}


def test_a_second_run_finds_nothing_to_do(
    acme, desk, fake_meetings, django_capture_on_commit_callbacks
):
    desk.booked(at(30))
    with django_capture_on_commit_callbacks(execute=True):
        _backfill("--schema", acme.schema_name)
    with django_capture_on_commit_callbacks(execute=True):
        out = _backfill("--schema", acme.schema_name)
    assert "acme: 0 session(s) queued" in out
    assert fake_meetings.operations() == ["create"]


def test_only_the_named_schemas_are_backfilled(acme, globex, desk, fake_meetings):
    desk.booked(at(30))
    out = _backfill("--schema", globex.schema_name)
    assert "acme" not in out
    with pytest.raises(CommandError, match="nowhere"):
        _backfill("--schema", "nowhere")
