"""Time ``slot_list`` for a tutor with a year of sessions and print p50/p95 in ms.

    python -m benchmarks.slots [--runs 50]

Builds, in a throwaway agency of the configured database (embedded by default), a tutor
in Europe/London with weekday hours 08:00-20:00 and Saturday mornings, a 10-minute buffer,
a few days off, a connected calendar with busy times, and about five sessions every
weekday for a year (half before today, half after). It then lists free one-hour slots
for the next week, four weeks and 60 days, and removes the agency when it finishes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

RANGES = (("1 week", 7), ("4 weeks", 28), ("60 days", 60))
SESSION_HOURS = (9, 11, 13, 15, 17)  # five one-hour sessions a weekday


def _build(tenant, owner_user):
    """The tutor, their rules, exceptions, busy times and a year of sessions."""
    import zoneinfo

    from accounts.models import Membership, User
    from crm.models import StudentProfile, Subject, TutorProfile
    from scheduling.models import (
        AvailabilityException,
        AvailabilityRule,
        CalendarConnection,
        ExternalBusyTime,
        Session,
        TutorSchedule,
    )

    zone = zoneinfo.ZoneInfo("Europe/London")
    run = tenant.slug
    tutor_user = User.objects.create_user(
        email=f"{run}-tutor@example.test", password="x", first_name="Bench", time_zone=zone.key
    )
    Membership.objects.create(user=tutor_user, tenant=tenant, role=Membership.Role.TUTOR)
    tutor = TutorProfile.objects.create(user=tutor_user)
    TutorSchedule.objects.create(
        tutor=tutor, buffer_minutes=10, minimum_notice_minutes=0, booking_horizon_days=365
    )
    AvailabilityRule.objects.bulk_create(
        [
            AvailabilityRule(tutor=tutor, weekday=day, start_time=dt.time(8), end_time=dt.time(20))
            for day in range(5)
        ]
        + [AvailabilityRule(tutor=tutor, weekday=5, start_time=dt.time(9), end_time=dt.time(12))]
    )
    subject = Subject.objects.order_by("id").first()
    student = StudentProfile.objects.create(
        first_name="Bench",
        last_name="Student",
        date_of_birth=dt.date(2000, 1, 1),
        created_by=owner_user,
    )
    today = dt.datetime.now(zone).date()
    first = today - dt.timedelta(days=182)
    sessions = []
    busy_days = []
    for offset in range(365):
        day = first + dt.timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        busy_days.append(day)
        for hour in SESSION_HOURS:
            starts_at = dt.datetime.combine(day, dt.time(hour), tzinfo=zone)
            sessions.append(
                Session(
                    tutor=tutor,
                    student=student,
                    subject=subject,
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(hours=1),
                    status=Session.Status.CONFIRMED,
                    price_minor=4000,
                    currency="GBP",
                    requested_by=owner_user,
                )
            )
    Session.objects.bulk_create(sessions, batch_size=500)
    for start in (30, 90, 150):
        AvailabilityException.objects.create(
            tutor=tutor,
            start_date=today + dt.timedelta(days=start),
            end_date=today + dt.timedelta(days=start + 4),
            reason="Holiday",
        )
    connection = CalendarConnection.objects.create(user=tutor_user, provider="google")
    ExternalBusyTime.objects.bulk_create(
        ExternalBusyTime(
            connection=connection,
            starts_at=dt.datetime.combine(day, dt.time(19), tzinfo=zone),
            ends_at=dt.datetime.combine(day, dt.time(19, 30), tzinfo=zone),
        )
        for day in busy_days
        if day.weekday() == 2
    )
    return tutor, len(sessions)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * share) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs

    from config import embedded, env

    if env.uses_embedded_services():
        embedded.ensure_started()

    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from accounts.models import User
    from crm.models import TutorProfile
    from scheduling.selectors.slots import slot_list
    from tenants.models import Tenant
    from tenants.services import agency_provision, public_tenant_ensure

    public_tenant_ensure()
    run = uuid.uuid4().hex[:6]
    owner = User.objects.create_user(
        email=f"bench-slots-{run}@example.test", password="x", first_name="Bench"
    )
    tenant = agency_provision(name="Bench slots", slug=f"bench-slots-{run}", owner=owner)
    users = [owner]
    try:
        with tenant_context(tenant):
            tutor, count = _build(tenant, owner)
            users.append(tutor.user)
            print(f"tutor with {count} sessions over a year, weekday hours 08:00-20:00 London")
            now = timezone.now()
            for label, days in RANGES:
                durations, found = [], 0
                for _ in range(runs):
                    fresh = TutorProfile.objects.get(pk=tutor.pk)  # no cached schedule
                    started = time.perf_counter()
                    found = len(
                        slot_list(
                            tutor=fresh,
                            start=now,
                            end=now + dt.timedelta(days=days),
                            duration_minutes=60,
                            now=now,
                        )
                    )
                    durations.append((time.perf_counter() - started) * 1000)
                print(
                    f"{label:>8}: p50 {statistics.median(durations):6.1f} ms  "
                    f"p95 {_percentile(durations, 0.95):6.1f} ms  "
                    f"({found} free one-hour slots, {runs} runs)"
                )
    finally:
        connection.set_schema_to_public()
        Tenant.objects.filter(pk=tenant.pk).first().delete(force_drop=True)
        for user in users:
            User.objects.filter(pk=user.pk).delete()
        connection.close()


if __name__ == "__main__":
    main()
