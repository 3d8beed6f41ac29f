"""Fixtures for the platform base: notifications, email backends, the real Celery worker,
and headless Chromium for the browser tests."""

from __future__ import annotations

import os
import smtplib
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemEmailBackend

from config.celery import app as celery_app
from notifications.models import Notification
from notifications.services import notify


class FlakySMTPBackend(LocmemEmailBackend):
    """Refuses the first ``failures`` sends like a mail server that is down, then delivers."""

    failures = 1
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


@pytest.fixture
def flaky_smtp(settings) -> Iterator[type[FlakySMTPBackend]]:
    """An SMTP backend that fails once, then sends (into ``mail.outbox``).

    Eager tasks that propagate errors raise ``Retry`` instead of running the retry, so
    the in-process app keeps errors in the result, as a worker would.
    """
    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False
    FlakySMTPBackend.calls = 0
    FlakySMTPBackend.failures = 1
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTPBackend"
    mail.outbox = []
    yield FlakySMTPBackend
    celery_app.conf.task_eager_propagates = propagates


@pytest.fixture
def outbox_backend(settings) -> None:
    """Emails go to the public schema's outbox, as in development."""
    settings.EMAIL_BACKEND = "notifications.outbox.OutboxEmailBackend"


@pytest.fixture
def notification_for() -> Callable[..., Notification]:
    """``notification_for(user, title=...)`` → an in-app notification without email."""

    def make(user, title: str = "Lesson booked", **fields) -> Notification:
        fields.setdefault("event", "test.event")
        return notify(user=user, title=title, send_email=False, **fields)

    return make


CHROMIUM = "/usr/bin/chromium"


def chromium_launch(playwright):
    """Debian's Chromium, headless, with the flags this machine kind needs."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `python -m tests.setup_browser`")
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--disable-gpu",
        ],
    )


@pytest.fixture
def browser(monkeypatch):
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses ORM calls
    # there unless told that this (test-only) mix is intended.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = chromium_launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser):
    """One page of a fresh browser context."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    return page
