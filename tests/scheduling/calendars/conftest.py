"""Calendar sync test helpers: the fake providers, ready-made connections, session changes.

``fake`` serves Google's and Microsoft's endpoints on a local port and points the settings
at it; a test fails if the fake received a request of the wrong shape. ``connected`` gives
a member an active connection whose tokens the fake knows, as after a finished OAuth flow.
``announce`` changes a session as a booking service would and sends ``session_changed``
with the commit callbacks run (Celery tasks run eagerly in tests).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
import requests
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from config.celery import app as celery_app
from scheduling.calendars import tasks
from scheduling.calendars.crypto import token_encrypt
from scheduling.models import CalendarConnection, Session
from scheduling.signals import session_changed_on_commit
from tests.scheduling.calendars.fake_providers import FakeProviders
from tests.scheduling.conftest import in_tenant_of

LONDON = dt.timezone(dt.timedelta(hours=1))  # British Summer Time, for readable literals
# A Monday in June, far enough ahead for any notice period: 10:00 in London.
SESSION_START = dt.datetime(2031, 6, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def fake_server():
    server = FakeProviders()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server, settings):
    fake_server.reset()
    for name, value in fake_server.endpoints().items():
        setattr(settings, name, value)
    yield fake_server
    assert not fake_server.problems, fake_server.problems


@pytest.fixture
def connected(fake):
    """``connected(membership, "google", expires_in=3600)`` → an active CalendarConnection."""

    def make(
        membership: Membership,
        provider: str = "google",
        *,
        email: str | None = None,
        expires_in: int = 3600,
    ) -> CalendarConnection:
        email = email or membership.user.email
        access, refresh = fake.tokens_issue(provider, email)
        with tenant_context(membership.tenant):
            return CalendarConnection.objects.create(
                user=membership.user,
                provider=provider,
                account_email=email,
                access_token=token_encrypt(access),
                refresh_token=token_encrypt(refresh),
                token_expires_at=timezone.now() + dt.timedelta(seconds=expires_in),
                scope="calendar",
            )

    return make


@pytest.fixture
def announce(django_capture_on_commit_callbacks):
    """``announce(session, "moved", starts_at=..., ends_at=...)`` → the session, changed
    and announced; pushes queued on commit have run.
    """

    def send(session: Session, change: str, **fields) -> Session:
        with in_tenant_of(session.tutor), django_capture_on_commit_callbacks(execute=True):
            if fields:
                Session.objects.filter(pk=session.pk).update(**fields)
            session.refresh_from_db()
            session_changed_on_commit(session, change)
        return session

    return send


@pytest.fixture
def retries(monkeypatch):
    """The countdowns tasks asked Celery to retry after.

    Eager tasks that propagate errors would raise Celery's Retry instead of running again,
    so here they run as a worker would: the retry runs (at once) and its result counts.
    """
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    asked: list[int] = []
    for task in (tasks.calendar_event_push, tasks.calendar_busy_refresh):
        original = task.retry

        def record(*args, _original=original, **kwargs):
            asked.append(kwargs.get("countdown"))
            return _original(*args, **kwargs)

        monkeypatch.setattr(task, "retry", record)
    yield asked
    celery_app.conf.task_eager_propagates = propagates


@pytest.fixture
def lesson(booked, tutor_profile, student_profile):
    """A one-hour session of ``tutor_profile`` with ``student_profile``, still a request."""
    return booked(tutor_profile, student_profile, SESSION_START, status=Session.Status.REQUESTED)


# The OAuth dance, step by step -------------------------------------------------------------


def local_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def flow_start(browser, provider: str) -> str:
    """Press "Connect" on the calendars page: the provider's authorization URL."""
    response = browser.post(f"/scheduling/calendars/{provider}/connect/")
    assert response.status_code == 302, response.content
    return response["Location"]


def provider_consents(authorization_url: str) -> str:
    """The person allows access at the provider: where the provider sends the browser back."""
    response = requests.get(authorization_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def root_forwards(client, callback_url: str) -> str:
    """The root domain's callback receives the answer: where it forwards the browser."""
    assert urlsplit(callback_url).netloc == "localhost"
    response = client.get(local_path(callback_url))
    assert response.status_code == 302, response.content
    return response["Location"]
