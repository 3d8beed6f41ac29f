"""The agency's utilization: per tutor per ISO week, hours booked over hours available.

Weeks run Monday 00:00 to the next Monday 00:00 on the tenant's clock, so a week in which
the clocks change is 167 or 169 hours long and a session near midnight falls in the week
the agency sees it in. Booked hours are the confirmed, completed and no-show sessions
(a no-show still took the tutor's time); available hours are the tutor's availability
windows (weekly rules and date exceptions, in the tutor's own zone). Both are clipped to
the week, so a session or window across Sunday midnight counts in both weeks.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch

from accounts.models import Membership
from crm.guards import require_agency_staff
from crm.models import TutorProfile
from crm.selectors.tutors import tutor_profile_list
from scheduling.models import AvailabilityException, AvailabilityRule, Session, TutorSchedule
from scheduling.selectors.availability import windows_from

__all__ = [
    "BOOKED_STATUSES",
    "MAX_WEEKS",
    "TutorUtilization",
    "WeekUtilization",
    "utilization",
    "week_monday",
]

BOOKED_STATUSES = (
    Session.Status.CONFIRMED,
    Session.Status.COMPLETED,
    Session.Status.NO_SHOW,
)
MAX_WEEKS = 12
HOUR = Decimal(3600)
TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class WeekUtilization:
    week_start: dt.date  # a Monday
    booked_hours: Decimal
    available_hours: Decimal
    # booked / available in %, None when the tutor offered no time that week. It can pass
    # 100 when sessions were booked outside the tutor's availability.
    percent: Decimal | None


@dataclass(frozen=True)
class TutorUtilization:
    tutor: TutorProfile
    weeks: list[WeekUtilization]


def week_monday(day: dt.date) -> dt.date:
    """The Monday of ``day``'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def _midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


def _overlap_seconds(
    spans: list[tuple[dt.datetime, dt.datetime]], low: dt.datetime, high: dt.datetime
) -> int:
    total = 0
    for start, end in spans:
        clipped_start, clipped_end = max(start, low), min(end, high)
        if clipped_end > clipped_start:
            total += int((clipped_end - clipped_start).total_seconds())
    return total


def _hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / HOUR).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _zone_of(tutor: TutorProfile) -> zoneinfo.ZoneInfo:
    """The tutor's zone without creating a schedule row (a selector does not write)."""
    try:
        return tutor.schedule.zone
    except TutorSchedule.DoesNotExist:
        return TutorSchedule(tutor=tutor).zone


def utilization(*, viewer: Membership, week_start: dt.date, weeks: int) -> list[TutorUtilization]:
    """Each active tutor's utilization in ``weeks`` ISO weeks from the one holding
    ``week_start`` (tenant's time zone), tutors by name. Owners, admins and staff only.

    Reads a fixed number of queries whatever the number of tutors, weeks or sessions.
    """
    require_agency_staff(viewer, "Only the agency's staff can see utilization.")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be between 1 and {MAX_WEEKS}")
    zone = zoneinfo.ZoneInfo(viewer.tenant.time_zone or "UTC")
    mondays = [week_monday(week_start) + dt.timedelta(weeks=n) for n in range(weeks + 1)]
    bounds = [_midnight(monday, zone) for monday in mondays]
    range_start, range_end = bounds[0], bounds[-1]
    # Exceptions by the tutors' own dates: a day either side covers every zone.
    first, last = mondays[0] - dt.timedelta(days=1), mondays[-1] + dt.timedelta(days=1)
    tutors = list(
        tutor_profile_list(viewer=viewer)
        .filter(user__isnull=False)
        .select_related("schedule")
        .prefetch_related(
            Prefetch(
                "availability_rules",
                queryset=AvailabilityRule.objects.order_by("weekday", "start_time", "id"),
            ),
            Prefetch(
                "availability_exceptions",
                queryset=AvailabilityException.objects.filter(
                    end_date__gte=first, start_date__lte=last
                ).order_by("start_date", "start_time", "id"),
            ),
        )
    )
    booked: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for tutor_id, starts_at, ends_at in Session.objects.filter(
        tutor__in=[tutor.pk for tutor in tutors],
        status__in=BOOKED_STATUSES,
        starts_at__lt=range_end,
        ends_at__gt=range_start,
    ).values_list("tutor_id", "starts_at", "ends_at"):
        booked.setdefault(tutor_id, []).append((starts_at, ends_at))

    result = []
    for tutor in tutors:
        windows = windows_from(
            rules=tutor.availability_rules.all(),
            exceptions=tutor.availability_exceptions.all(),
            zone=_zone_of(tutor),
            start=range_start,
            end=range_end,
        )
        sessions = booked.get(tutor.pk, [])
        rows = []
        for index, monday in enumerate(mondays[:-1]):
            low, high = bounds[index], bounds[index + 1]
            booked_seconds = _overlap_seconds(sessions, low, high)
            available_seconds = _overlap_seconds(windows, low, high)
            percent = (
                (Decimal(booked_seconds) * 100 / available_seconds).quantize(
                    ONE_PLACE, rounding=ROUND_HALF_UP
                )
                if available_seconds
                else None
            )
            rows.append(
                WeekUtilization(
                    week_start=monday,
                    booked_hours=_hours(booked_seconds),
                    available_hours=_hours(available_seconds),
                    percent=percent,
                )
            )
        result.append(TutorUtilization(tutor=tutor, weeks=rows))
    return result
