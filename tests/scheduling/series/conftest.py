"""Helpers for the series tests: a tutor free every day, dates ahead, series built fast.

``open_tutor`` teaches 07:00-21:00 (Europe/London) every day, books up to two years ahead
with no minimum notice, so any hour in that window from tomorrow on is a free slot
unless a test books it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from notifications.models import Notification
from scheduling.models import Session, SessionSeries, TutorSchedule
from scheduling.selectors.series import occurrences_expand, series_rule
from scheduling.services import series as services

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def upcoming(weekday: int, hour: int, zone: str = LONDON, weeks: int = 1) -> dt.datetime:
    """The ``weekday`` (Monday 0) at ``hour`` local time, ``weeks`` weeks or a little more on."""
    tz = zoneinfo.ZoneInfo(zone)
    today = timezone.now().astimezone(tz).date()
    day = today + dt.timedelta(days=7 * weeks + (weekday - today.weekday()) % 7)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=tz)


def next_change(zone: str, month: int) -> dt.date:
    """The next date (three weeks or more away) in ``month`` on which ``zone``'s offset
    changes, so a series may start two weeks before it.
    """
    tz = zoneinfo.ZoneInfo(zone)
    day = timezone.now().date() + dt.timedelta(days=21)
    while True:
        before = dt.datetime.combine(day, dt.time(0), tzinfo=tz).utcoffset()
        after = dt.datetime.combine(day, dt.time(12), tzinfo=tz).utcoffset()
        if day.month == month and before != after:
            return day
        day += dt.timedelta(days=1)


def local(instant: dt.datetime, zone: str = LONDON) -> str:
    return in_london(instant, zone).strftime("%Y-%m-%d %H:%M")


def in_london(instant: dt.datetime, zone: str = LONDON) -> dt.datetime:
    """``instant`` in London (or ``zone``): adding weeks to it keeps the wall-clock time."""
    return instant.astimezone(zoneinfo.ZoneInfo(zone))


@pytest.fixture
def in_acme(acme):
    with tenant_context(acme):
        yield acme


@pytest.fixture
def open_tutor(acme, tutor_profile, weekly):
    for weekday in range(7):
        weekly(tutor_profile, weekday, "07:00", "21:00")
    with tenant_context(acme):
        TutorSchedule.objects.update_or_create(
            tutor=tutor_profile,
            defaults={"minimum_notice_minutes": 0, "booking_horizon_days": 730},
        )
    return tutor_profile


@pytest.fixture
def schedule_set(acme, open_tutor):
    """``schedule_set(instant_booking=True, ...)`` → change the tutor's schedule settings."""

    def change(**fields) -> TutorSchedule:
        with tenant_context(acme):
            row, _ = TutorSchedule.objects.update_or_create(tutor=open_tutor, defaults=fields)
        open_tutor.schedule = row
        return row

    return change


@pytest.fixture
def plan(tutor_profile, student_profile, maths, open_tutor):
    """``plan(**changes)`` → the keyword arguments of a weekly series of 4, Tuesdays 17:00."""

    def make(**changes) -> dict:
        values = {
            "tutor": tutor_profile,
            "student": student_profile,
            "subject": maths,
            "first_starts_at": upcoming(1, 17),
            "duration_minutes": 60,
            "frequency": "weekly",
            "count": 4,
        }
        values.update(changes)
        return values

    return make


@pytest.fixture
def create(acme, student, plan):
    """``create(actor=student, **changes)`` → ``series_create`` of ``plan(**changes)``."""

    def make(actor: Membership | None = None, **changes) -> SessionSeries:
        with tenant_context(acme):
            return services.series_create(actor=actor or student, **plan(**changes))

    return make


@pytest.fixture
def accepted(acme, tutor, create):
    """``accepted(**changes)`` → a series the student requested and the tutor accepted."""

    def make(**changes) -> SessionSeries:
        series = create(**changes)
        with tenant_context(acme):
            return services.series_accept(actor=tutor, series=series)

    return make


@pytest.fixture
def running(acme, tutor_profile, student_profile, maths, open_tutor):
    """``running(past=2, future=3)`` → a confirmed weekly series (Tuesdays 17:00 London)
    whose first ``past`` sessions have taken place, written straight to the database.
    """

    def make(past: int = 2, future: int = 3, hour: int = 17) -> SessionSeries:
        zone = zoneinfo.ZoneInfo(LONDON)
        first = upcoming(1, hour, weeks=-past)  # wall-clock arithmetic in London
        if first + dt.timedelta(weeks=past) <= timezone.now():  # today is a Tuesday evening
            first += dt.timedelta(weeks=1)
        first = first.astimezone(dt.UTC)
        rule = series_rule(
            frequency="weekly", first_starts_at=first, zone=zone, count=past + future
        )
        with tenant_context(acme):
            series = SessionSeries.objects.create(
                tutor=tutor_profile,
                student=student_profile,
                subject=maths,
                frequency="weekly",
                rrule=rule,
                first_starts_at=first,
                duration_minutes=60,
                time_zone=LONDON,
                count=past + future,
                created_by=student_profile.user,
            )
            for number, start in enumerate(
                occurrences_expand(rrule=rule, first_starts_at=first, time_zone=LONDON)
            ):
                Session.objects.create(
                    tutor=tutor_profile,
                    student=student_profile,
                    subject=maths,
                    series=series,
                    series_occurrence=start,
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=1),
                    status="completed" if number < past else "confirmed",
                    price_minor=4000,
                    currency="GBP",
                    requested_by=student_profile.user,
                )
        return series

    return make


@pytest.fixture
def rows(acme):
    """``rows(series)`` → [(local start, status, series id)] of its sessions, in order."""

    def read(series: SessionSeries | int) -> list[tuple[str, str, int]]:
        pk = series if isinstance(series, int) else series.pk
        with tenant_context(acme):
            return [
                (local(s.starts_at), s.status, s.series_id)
                for s in Session.objects.filter(series_id=pk).order_by("starts_at")
            ]

    return read


@pytest.fixture
def notices(acme):
    """``notices(user, event)`` → titles of the user's notifications of that event in acme."""

    def read(user, event: str) -> list[str]:
        with tenant_context(acme):
            return list(
                Notification.objects.filter(user=user, event=event).values_list("title", flat=True)
            )

    return read
