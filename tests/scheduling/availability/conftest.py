"""Helpers for the availability tests: a tutor's schedule in a chosen zone, exceptions."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django_tenants.utils import tenant_context

from crm.models import TutorProfile
from scheduling.models import AvailabilityException, TutorSchedule

UTC = dt.UTC


def at(text: str, zone: str = "UTC") -> dt.datetime:
    """``at("2027-03-29 09:00", "Europe/London")`` → that wall-clock time, aware."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(zone))


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def in_acme(acme):
    with tenant_context(acme):
        yield acme


@pytest.fixture
def schedule():
    """``schedule(profile, time_zone="America/New_York", buffer_minutes=15, ...)``."""

    def make(profile: TutorProfile, **fields) -> TutorSchedule:
        fields.setdefault("minimum_notice_minutes", 0)
        fields.setdefault("booking_horizon_days", 730)
        row, _ = TutorSchedule.objects.update_or_create(tutor=profile, defaults=fields)
        profile.schedule = row
        return row

    return make


@pytest.fixture
def exception():
    """``exception(profile, "2027-03-01", "2027-03-02", times="10:00-12:00", kind=...)``."""

    def make(
        profile: TutorProfile,
        start_date: str,
        end_date: str | None = None,
        *,
        times: str | None = None,
        kind: str = AvailabilityException.Kind.UNAVAILABLE,
    ) -> AvailabilityException:
        start_time, end_time = times.split("-") if times else (None, None)
        return AvailabilityException.objects.create(
            tutor=profile,
            kind=kind,
            start_date=dt.date.fromisoformat(start_date),
            end_date=dt.date.fromisoformat(end_date or start_date),
            start_time=dt.time.fromisoformat(start_time) if start_time else None,
            end_time=dt.time.fromisoformat(end_time) if end_time else None,
        )

    return make


class reads:  # noqa: N801 (used like a context manager function)
    """Collect the queries a block runs, leaving out django-tenants' ``SET search_path``."""

    def __enter__(self):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self._context = CaptureQueriesContext(connection)
        self._context.__enter__()
        return self

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)

    @property
    def queries(self) -> list[str]:
        return [
            query["sql"]
            for query in self._context.captured_queries
            if not query["sql"].startswith("SET search_path")
        ]

    def __len__(self) -> int:
        return len(self.queries)
