"""When a tutor is available: weekly rules and date exceptions turned into UTC windows.

Rules and exceptions are wall-clock times in the tutor's zone (``TutorSchedule.zone``).
Each local date is worked out in seconds from its midnight, then converted:

- a rule or exception ending at 23:59 (or later) runs to midnight, since a time field
  cannot hold 24:00;
- on a date, whole-day ``unavailable`` exceptions remove the weekly rules, part-day ones
  cut their hours out of them, and ``available`` exceptions are added last (they win, so
  "away all week but Wednesday 10-12" is two exceptions);
- a local time that does not exist (the hour skipped when clocks go forward) becomes the
  instant of the change, so the skipped part of a window is dropped: 01:00-03:00 in
  Europe/London on the spring-forward day is 02:00-03:00 BST, one real hour;
- an ambiguous local time (the hour repeated when clocks go back) is its first occurrence
  (``fold=0``), for starts and ends alike: a window ends the first time the clock shows
  its end. Conversion is monotonic, so a window never turns negative; empty ones vanish.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable

from accounts.models import Membership
from crm.models import TutorProfile
from scheduling.models import AvailabilityException, AvailabilityRule
from scheduling.policy import schedule_for

__all__ = [
    "availability_exception_list",
    "availability_rule_list",
    "availability_windows",
    "local_instant",
    "merge_windows",
    "schedule_editor_is",
    "windows_from",
]

UTC = dt.UTC
DAY = 24 * 3600
# A window ending at 23:59 or later means "until midnight".
END_OF_DAY_FROM = 23 * 3600 + 59 * 60

Window = tuple[dt.datetime, dt.datetime]
Span = tuple[int, int]  # seconds from local midnight, half-open


def schedule_editor_is(*, viewer: Membership, tutor: TutorProfile) -> bool:
    """Whether ``viewer`` may see and change ``tutor``'s availability and schedule settings:
    the tutor themself, or an owner or admin of the tenant."""
    if viewer.is_manager:
        return True
    return (
        viewer.role == Membership.Role.TUTOR
        and tutor.user_id is not None
        and tutor.user_id == viewer.user_id
    )


def availability_rule_list(*, tutor: TutorProfile):
    """The tutor's weekly rules, Monday first, earliest first."""
    return AvailabilityRule.objects.filter(tutor=tutor).order_by("weekday", "start_time", "id")


def availability_exception_list(
    *, tutor: TutorProfile, first: dt.date | None = None, last: dt.date | None = None
):
    """The tutor's date exceptions, optionally those touching ``first``..``last``."""
    exceptions = AvailabilityException.objects.filter(tutor=tutor)
    if first is not None:
        exceptions = exceptions.filter(end_date__gte=first)
    if last is not None:
        exceptions = exceptions.filter(start_date__lte=last)
    return exceptions.order_by("start_date", "start_time", "id")


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _end_seconds(value: dt.time) -> int:
    seconds = _seconds(value)
    return DAY if seconds >= END_OF_DAY_FROM else seconds


def _merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _subtract_span(spans: list[Span], cut: Span) -> list[Span]:
    result = []
    for start, end in spans:
        if cut[1] <= start or cut[0] >= end:
            result.append((start, end))
            continue
        if start < cut[0]:
            result.append((start, cut[0]))
        if cut[1] < end:
            result.append((cut[1], end))
    return result


def _transition_after(naive: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The instant the clocks jumped over ``naive``, a wall-clock time that never existed."""
    candidates = sorted(naive.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1))
    low, high = candidates  # low reads before the gap, high after it
    while (high - low) > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle <= low:
            middle = low + dt.timedelta(seconds=1)
        if middle.astimezone(zone).replace(tzinfo=None) > naive:
            high = middle
        else:
            low = middle
    return high


def local_instant(day: dt.date, seconds: int, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of ``seconds`` after local midnight of ``day`` (see module doc)."""
    naive = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=seconds)
    instant = naive.replace(tzinfo=zone).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != naive:
        instant = _transition_after(naive, zone)
    return instant


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """Sorted windows with overlapping or touching ones joined."""
    merged: list[Window] = []
    for start, end in sorted(windows):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def windows_from(
    *,
    rules: Iterable[AvailabilityRule],
    exceptions: Iterable[AvailabilityException],
    zone: zoneinfo.ZoneInfo,
    start: dt.datetime,
    end: dt.datetime,
) -> list[Window]:
    """The merged UTC windows inside [start, end) from already fetched rules and exceptions."""
    if end <= start:
        return []
    weekly: dict[int, list[Span]] = {}
    for rule in rules:
        weekly.setdefault(rule.weekday, []).append(
            (_seconds(rule.start_time), _end_seconds(rule.end_time))
        )
    exceptions = list(exceptions)
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    windows: list[Window] = []
    day = first
    while day <= last:
        spans = list(weekly.get(day.weekday(), ()))
        extra: list[Span] = []
        for exception in exceptions:
            if not exception.start_date <= day <= exception.end_date:
                continue
            if exception.kind == AvailabilityException.Kind.AVAILABLE:
                extra.append((_seconds(exception.start_time), _end_seconds(exception.end_time)))
            elif exception.start_time is None:
                spans = []
            else:
                spans = _subtract_span(
                    _merge_spans(spans),
                    (_seconds(exception.start_time), _end_seconds(exception.end_time)),
                )
        for low, high in _merge_spans(spans + extra):
            window_start = local_instant(day, low, zone)
            window_end = local_instant(day, high, zone)
            window_start, window_end = max(window_start, start), min(window_end, end)
            if window_end > window_start:
                windows.append((window_start, window_end))
        day += dt.timedelta(days=1)
    return merge_windows(windows)


def _require_aware(**values: dt.datetime) -> None:
    for name, value in values.items():
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be a time-zone-aware datetime")


def availability_windows(
    *, tutor: TutorProfile, start: dt.datetime, end: dt.datetime
) -> list[Window]:
    """UTC-aware, sorted, merged windows in [start, end) from the tutor's weekly rules and
    date exceptions (wall-clock in the tutor's zone). Sessions are not subtracted."""
    _require_aware(start=start, end=end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    zone = schedule_for(tutor).zone
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    return windows_from(
        rules=availability_rule_list(tutor=tutor),
        exceptions=availability_exception_list(tutor=tutor, first=first, last=last),
        zone=zone,
        start=start,
        end=end,
    )
