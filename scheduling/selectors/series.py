"""Recurring sessions: the RRULE of a series, its occurrences, and who sees which series.

A series' rule is evaluated on naive wall-clock times in the series' time zone (the
tutor's) and each occurrence is then localised with ``zoneinfo``, so a weekly 17:00
Europe/London class stays at 17:00 local time across the March and October changes.
Localising follows PEP 495 with ``fold=0``: a local time that does not exist that day
(inside the spring-forward gap) moves forward by the gap (01:30 on the last Sunday of
March in London is 02:30 BST), and a local time that happens twice (autumn) is the first
of the two (the summer-time one).

The RRULEs written here:

- weekly: ``FREQ=WEEKLY;INTERVAL=1``, fortnightly: ``FREQ=WEEKLY;INTERVAL=2``;
- monthly on the same weekday position as the first occurrence: ``FREQ=MONTHLY;BYDAY=+2TU``
  (a start in a month's fifth week becomes ``-1``, the last such weekday);
- then ``;COUNT=n`` or ``;UNTIL=<end of the last local day, in UTC>Z``.

They carry no DTSTART: ``SessionSeries.first_starts_at`` and ``time_zone`` hold it.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from dateutil import rrule as dateutil_rrule
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership
from crm.models import StudentProfile, TutorProfile
from scheduling.models import HOLDING_STATUSES, Session, SessionSeries
from scheduling.selectors.sessions import session_list
from scheduling.selectors.slots import slot_check
from scheduling.services.common import OVERLAP_CONSTRAINTS

__all__ = [
    "MAX_OCCURRENCES",
    "MIN_OCCURRENCES",
    "Occurrence",
    "local_to_utc",
    "occurrences_check",
    "occurrences_expand",
    "series_get",
    "series_list",
    "series_occurrences",
    "series_rule",
    "until_bound",
    "until_instant",
]

MIN_OCCURRENCES = 2
MAX_OCCURRENCES = 52
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FREQUENCIES = {
    SessionSeries.Frequency.WEEKLY: (dateutil_rrule.WEEKLY, 1),
    SessionSeries.Frequency.FORTNIGHTLY: (dateutil_rrule.WEEKLY, 2),
    SessionSeries.Frequency.MONTHLY: (dateutil_rrule.MONTHLY, 1),
}
UTC = dt.UTC


@dataclass(frozen=True)
class Occurrence:
    """One date of a series: its UTC times and, in a preview, why it cannot be booked."""

    starts_at: dt.datetime
    ends_at: dt.datetime
    conflict: str | None = None


def local_to_utc(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive wall-clock time in ``zone`` as a UTC instant (``fold=0``, see above)."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def until_instant(until: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of an end date: the last second of that day in ``zone``."""
    return local_to_utc(dt.datetime.combine(until, dt.time(23, 59, 59)), zone)


def until_bound(first_local: dt.date) -> dt.date:
    """The latest end date a series starting on ``first_local`` may have: a year on."""
    try:
        return first_local.replace(year=first_local.year + 1)
    except ValueError:  # 29 February
        return first_local.replace(year=first_local.year + 1, day=28)


def _weekday_position(day: dt.date) -> int:
    """Which of the month's such weekdays ``day`` is: 1..4, or -1 in the fifth week."""
    position = (day.day - 1) // 7 + 1
    return -1 if position == 5 else position


def _rule_parts(
    frequency: str, first_local: dt.datetime, count: int | None, until: dt.datetime | None
) -> tuple[str, dict]:
    freq, interval = FREQUENCIES[frequency]
    parts = [f"FREQ={'MONTHLY' if freq == dateutil_rrule.MONTHLY else 'WEEKLY'}"]
    kwargs: dict = {"freq": freq, "interval": interval}
    if freq == dateutil_rrule.WEEKLY:
        parts.append(f"INTERVAL={interval}")
    else:
        position = _weekday_position(first_local.date())
        weekday = first_local.weekday()
        parts.append(f"BYDAY={position:+d}{WEEKDAYS[weekday]}")
        kwargs["byweekday"] = dateutil_rrule.weekday(weekday, position)
    if count is not None:
        parts.append(f"COUNT={count}")
        kwargs["count"] = count
    else:
        parts.append(f"UNTIL={until.astimezone(UTC):%Y%m%dT%H%M%S}Z")
        kwargs["until"] = until.astimezone(UTC)
    return ";".join(parts), kwargs


def series_rule(
    *,
    frequency: str,
    first_starts_at: dt.datetime,
    zone: zoneinfo.ZoneInfo,
    count: int | None = None,
    until: dt.date | None = None,
) -> str:
    """The RRULE of a series (exactly one of ``count`` and ``until``), checked to round-trip.

    Raises ``ValueError`` when the text would not parse back to the same rule.
    """
    if (count is None) == (until is None):
        raise ValueError("A series rule needs exactly one of count and until.")
    first_local = first_starts_at.astimezone(zone)
    text, kwargs = _rule_parts(
        frequency, first_local, count, until_instant(until, zone) if until else None
    )
    dtstart = first_starts_at.astimezone(UTC)
    parsed = dateutil_rrule.rrulestr(text, dtstart=dtstart)
    if str(parsed) != str(dateutil_rrule.rrule(dtstart=dtstart, **kwargs)):
        raise ValueError(f"The rule {text!r} does not parse back to itself.")
    return text


def occurrences_expand(
    *, rrule: str, first_starts_at: dt.datetime, time_zone: str, limit: int = MAX_OCCURRENCES + 1
) -> list[dt.datetime]:
    """The UTC starts the rule gives from ``first_starts_at``, evaluated in ``time_zone``.

    At most ``limit`` of them (a bound on a rule read from elsewhere).
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    first_local = first_starts_at.astimezone(zone).replace(tzinfo=None)
    # dateutil wants UNTIL and DTSTART both aware or both naive: parse against the aware
    # start (UNTIL is UTC), then evaluate on naive local times with UNTIL made local too.
    parsed = dateutil_rrule.rrulestr(rrule, dtstart=first_starts_at.astimezone(UTC))
    until = parsed._until  # dateutil has no public accessor for it
    local_rule = parsed.replace(
        dtstart=first_local,
        until=until.astimezone(zone).replace(tzinfo=None) if until else None,
    )
    starts = []
    for local in local_rule:
        if len(starts) >= limit:
            break
        starts.append(local_to_utc(local, zone))
    return starts


def series_occurrences(series: SessionSeries) -> list[dt.datetime]:
    """The UTC starts of ``series``' rule."""
    return occurrences_expand(
        rrule=series.rrule, first_starts_at=series.first_starts_at, time_zone=series.time_zone
    )


def occurrences_check(
    *,
    tutor: TutorProfile,
    student: StudentProfile,
    starts: list[dt.datetime],
    duration: dt.timedelta,
    now: dt.datetime | None = None,
    sessions: list[Session | None] | None = None,
) -> list[Occurrence]:
    """Each start as an ``Occurrence`` with its conflict: a session the tutor or the student
    already has then, else why ``slot_check`` refuses it (availability, buffer, notice,
    horizon, busy calendar). ``sessions`` pairs each start with the session that would
    move there (excluded from the tutor's sessions, as ``slot_check`` does).
    """
    now = now or timezone.now()
    if not starts:
        return []
    moving = sessions or [None] * len(starts)
    held = list(
        Session.objects.filter(
            Q(tutor=tutor) | Q(student=student),
            status__in=HOLDING_STATUSES,
            starts_at__lt=max(starts) + duration,
            ends_at__gt=min(starts),
        )
        .exclude(pk__in=[s.pk for s in moving if s is not None])
        .values_list("tutor_id", "student_id", "starts_at", "ends_at")
    )
    occurrences = []
    for start, session in zip(starts, moving, strict=True):
        end = start + duration
        conflict = None
        overlapping = [(t, s) for t, s, low, high in held if low < end and start < high]
        if any(t == tutor.pk for t, _ in overlapping):
            conflict = OVERLAP_CONSTRAINTS["scheduling_session_tutor_no_overlap"]
        elif any(s == student.pk for _, s in overlapping):
            conflict = OVERLAP_CONSTRAINTS["scheduling_session_student_no_overlap"]
        else:
            try:
                slot_check(
                    tutor=tutor, starts_at=start, ends_at=end, now=now, exclude_session=session
                )
            except ValidationError as error:
                conflict = " ".join(m for ms in error.message_dict.values() for m in ms)
        occurrences.append(Occurrence(starts_at=start, ends_at=end, conflict=conflict))
    return occurrences


def series_list(*, viewer: Membership) -> QuerySet[SessionSeries]:
    """The series ``viewer`` may see: those with a session ``viewer`` may see."""
    visible = session_list(viewer=viewer).filter(series_id=OuterRef("pk"))
    return (
        SessionSeries.objects.filter(Exists(visible))
        .select_related("tutor__user", "student", "subject")
        .order_by("first_starts_at", "id")
    )


def series_get(*, viewer: Membership, pk: int) -> SessionSeries | None:
    """One series ``viewer`` may see, with its sessions in order, or None (a 404)."""
    return (
        series_list(viewer=viewer)
        .prefetch_related(
            Prefetch("sessions", queryset=Session.objects.order_by("series_occurrence", "id"))
        )
        .filter(pk=pk)
        .first()
    )
