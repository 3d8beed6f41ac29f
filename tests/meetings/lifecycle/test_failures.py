"""When the provider fails: "later" is retried with the provider's delay, anything else (or
the last retry) fails the meeting and tells the agency's owners and admins, once."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from config.celery import app as celery_app
from meetings import jobs_lifecycle
from meetings.models import MeetingSettings, MeetingStatus
from meetings.providers.base import (
    AuthRevokedError,
    MeetingError,
    NotConfiguredError,
    RateLimitedError,
    TransientError,
)
from meetings.services.lifecycle import FAILED_EVENT, meeting_sync_queue
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def lesson(desk):
    """A confirmed session three days ahead, without a meeting yet."""
    from tests.scheduling.bookings.conftest import at

    return desk.booked(at(72))


@pytest.fixture
def countdowns(monkeypatch) -> list[int]:
    """The delays the sync task asked Celery to retry after.

    Eager tasks that propagate errors would raise Celery's Retry instead of running again,
    so here they run as a worker would: the retry runs (at once) and its result counts.
    """
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    task = jobs_lifecycle.meeting_sync_run
    asked: list[int] = []

    def record(*args, _original=task.retry, **kwargs):
        asked.append(kwargs.get("countdown"))
        return _original(*args, **kwargs)

    monkeypatch.setattr(task, "retry", record)
    yield asked
    celery_app.conf.task_eager_propagates = propagates


@pytest.fixture
def sync(lesson, meetings, countdowns):
    """``sync()``: queue a sync of the lesson's meeting and let it run (with its retries)."""

    def run() -> None:
        with meetings.committed():
            meeting_sync_queue(lesson)

    return run


def _failure_notices(tenant) -> list[Notification]:
    with tenant_context(tenant):
        return list(Notification.objects.filter(event=FAILED_EVENT).order_by("user_id", "id"))


def test_a_rate_limit_is_retried_after_the_providers_delay_then_succeeds(
    acme, lesson, sync, countdowns, meetings
):
    meetings.fake.failures.extend(
        [RateLimitedError("Too many requests", retry_after=30), TransientError("Bad gateway")]
    )
    sync()
    assert meetings.fake.operations() == ["create", "create", "create"]
    assert countdowns == [30, 60]  # the provider's Retry-After, then 30 s doubled
    meeting = meetings.of(lesson)
    assert (meeting.status, meeting.attempts, meeting.last_error) == (MeetingStatus.READY, 0, "")
    assert _failure_notices(acme) == []


def test_a_meeting_still_refused_after_the_last_retry_fails_and_tells_managers_once(
    acme, lesson, sync, countdowns, member, meetings
):
    admin = member(acme, Membership.Role.ADMIN, first_name="Ada")
    member(acme, Membership.Role.STAFF)
    meetings.fake.failures.extend(
        RateLimitedError("Daily limit reached", retry_after=3600) for _ in range(20)
    )
    sync()
    retries = jobs_lifecycle.SYNC_RETRIES
    assert meetings.fake.operations() == ["create"] * (retries + 1)
    assert countdowns == [3600] * retries
    meeting = meetings.of(lesson)
    assert meeting.status == MeetingStatus.FAILED
    assert meeting.attempts == retries + 1
    assert meeting.last_error == "Daily limit reached"
    notices = _failure_notices(acme)
    owner = Membership.objects.get(tenant=acme, role="owner")
    assert [n.user_id for n in notices] == sorted([owner.user_id, admin.user_id])
    assert notices[0].title.startswith("A meeting could not be set up: Mathematics with ")
    assert "Daily limit reached" in notices[0].body
    assert notices[0].url == f"http://acme.localhost/scheduling/sessions/{lesson.pk}/"


@pytest.mark.parametrize(
    ("error", "advice"),
    [
        (MeetingError("Meeting topic is too long", status=400), "contact support"),
        (AuthRevokedError("Zoom grant revoked", status=401), "Reconnect"),
        (NotConfiguredError("Zoom credentials missing"), "settings are incomplete"),
    ],
)
def test_a_permanent_error_fails_the_meeting_at_once(
    acme, lesson, sync, countdowns, meetings, error, advice
):
    meetings.fake.failures.append(error)
    sync()
    assert meetings.fake.operations() == ["create"]
    assert countdowns == []
    meeting = meetings.of(lesson)
    assert (meeting.status, meeting.attempts, meeting.last_error) == (
        MeetingStatus.FAILED,
        1,
        error.message,
    )
    [notice] = _failure_notices(acme)
    assert advice in notice.body


def test_failing_again_tells_nobody_again_and_a_later_success_clears_the_failure(
    acme, lesson, sync, meetings
):
    meetings.fake.failures.append(MeetingError("Refused"))
    sync()
    meetings.fake.failures.append(MeetingError("Refused again"))
    sync()  # the agency's "retry" button queues the same sync
    failed = meetings.of(lesson)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 2, "Refused again")
    assert len(_failure_notices(acme)) == 1

    sync()

    meeting = meetings.of(lesson)
    assert (meeting.status, meeting.attempts, meeting.last_error) == (MeetingStatus.READY, 0, "")
    assert meeting.external_id == f"fake-acme-{lesson.pk}"


def test_an_unknown_provider_fails_the_meeting_and_a_working_one_is_used_on_retry(
    acme, lesson, sync, meetings
):
    with tenant_context(acme):
        MeetingSettings.objects.filter(pk=1).update(provider="teams")
    sync()
    failed = meetings.of(lesson)
    assert (failed.provider, failed.status) == ("teams", MeetingStatus.FAILED)
    assert "teams" in failed.last_error

    with tenant_context(acme):
        MeetingSettings.objects.filter(pk=1).update(provider="fake")
    sync()

    meeting = meetings.of(lesson)
    assert (meeting.provider, meeting.status) == ("fake", MeetingStatus.READY)


def test_a_failed_removal_is_reported_and_retried(acme, lesson, sync, tutor, meetings):
    from scheduling.services.bookings import session_cancel

    sync()
    meetings.fake.failures.append(MeetingError("Meeting is locked"))
    with meetings.committed():
        session_cancel(actor=tutor, session=lesson)
    assert meetings.of(lesson).status == MeetingStatus.FAILED
    [notice] = _failure_notices(acme)
    assert notice.title.startswith("A meeting could not be removed")

    sync()

    assert meetings.fake.operations() == ["create", "delete", "delete"]
    assert meetings.of(lesson).status == MeetingStatus.CANCELLED
