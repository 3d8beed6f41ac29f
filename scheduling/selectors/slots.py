"""Free bookable slots of a tutor, and the check a booking's time must pass.

A slot starts on the tutor's grid (``slot_interval_minutes`` from local midnight, in the
tutor's zone), lies inside an availability window, keeps ``buffer_minutes`` clear of the
tutor's other sessions (every status that holds a slot), overlaps no busy time read from
the tutor's connected calendars (no buffer around those: they are the tutor's own
commitments, already as long as they need), starts no sooner than
``minimum_notice_minutes`` from now and no later than ``booking_horizon_days`` from now.

Both functions read a fixed number of rows sets (schedule, tutor's user, rules,
exceptions, sessions, busy times) whatever the range or the number of sessions, and
look up blocks by bisection, so a year of sessions costs no more than the range needs.
"""

from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.models import TutorProfile
from scheduling.models import (
    HOLDING_STATUSES,
    CalendarConnection,
    ExternalBusyTime,
    Session,
    TutorSchedule,
)
from scheduling.policy import schedule_for
from scheduling.selectors.availability import (
    Window,
    _require_aware,
    availability_exception_list,
    availability_rule_list,
    merge_windows,
    windows_from,
)

__all__ = ["Slot", "slot_check", "slot_list"]

UTC = dt.UTC


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # UTC aware
    ends_at: dt.datetime


@dataclass(frozen=True)
class _Blocks:
    """Merged, sorted busy intervals, searchable by bisection."""

    starts: list[dt.datetime]
    ends: list[dt.datetime]

    @classmethod
    def of(cls, intervals) -> _Blocks:
        merged = merge_windows(intervals)
        return cls([start for start, _ in merged], [end for _, end in merged])

    def hit(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether [start, end) overlaps any block."""
        index = bisect.bisect_right(self.ends, start)
        return index < len(self.starts) and self.starts[index] < end


@dataclass(frozen=True)
class _Context:
    schedule: TutorSchedule
    zone: zoneinfo.ZoneInfo
    windows: list[Window]
    sessions: list[tuple[dt.datetime, dt.datetime]]
    busy: _Blocks
    earliest: dt.datetime
    latest: dt.datetime

    @property
    def buffer(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.schedule.buffer_minutes)


def _context(
    *,
    tutor: TutorProfile,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime | None,
    exclude_session: Session | None,
) -> _Context:
    schedule = schedule_for(tutor)
    zone = schedule.zone
    now = now or timezone.now()
    buffer = dt.timedelta(minutes=schedule.buffer_minutes)
    windows = windows_from(
        rules=availability_rule_list(tutor=tutor),
        exceptions=availability_exception_list(
            tutor=tutor,
            first=start.astimezone(zone).date(),
            last=end.astimezone(zone).date(),
        ),
        zone=zone,
        start=start,
        end=end,
    )
    sessions = Session.objects.filter(
        tutor=tutor,
        status__in=HOLDING_STATUSES,
        starts_at__lt=end + buffer,
        ends_at__gt=start - buffer,
    )
    if exclude_session is not None and exclude_session.pk is not None:
        sessions = sessions.exclude(pk=exclude_session.pk)
    busy: list[tuple[dt.datetime, dt.datetime]] = []
    if tutor.user_id is not None:
        busy = list(
            ExternalBusyTime.objects.filter(
                connection__user_id=tutor.user_id,
                connection__status=CalendarConnection.Status.ACTIVE,
                starts_at__lt=end,
                ends_at__gt=start,
            ).values_list("starts_at", "ends_at")
        )
    return _Context(
        schedule=schedule,
        zone=zone,
        windows=windows,
        sessions=sorted(sessions.values_list("starts_at", "ends_at")),
        busy=_Blocks.of(busy),
        earliest=now + dt.timedelta(minutes=schedule.minimum_notice_minutes),
        latest=now + dt.timedelta(days=schedule.booking_horizon_days),
    )


def _grid_offset(instant: dt.datetime, zone: zoneinfo.ZoneInfo, step: int) -> int:
    """Seconds from ``instant`` to the next start on the grid (0 when it is on it)."""
    local = instant.astimezone(zone)
    remainder = (local.hour * 3600 + local.minute * 60 + local.second) % step
    return step - remainder if remainder else 0


def _on_grid(instant: dt.datetime, zone: zoneinfo.ZoneInfo, interval_minutes: int) -> bool:
    return _grid_offset(instant, zone, interval_minutes * 60) == 0 and not instant.microsecond


def slot_list(
    *,
    tutor: TutorProfile,
    start: dt.datetime,
    end: dt.datetime,
    duration_minutes: int,
    now: dt.datetime | None = None,
    exclude_session: Session | None = None,
) -> list[Slot]:
    """Free bookable slots starting in [start, end), earliest first (see module doc)."""
    _require_aware(start=start, end=end)
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return []
    duration = dt.timedelta(minutes=duration_minutes)
    context = _context(
        tutor=tutor,
        start=start,
        end=end + duration,
        now=now,
        exclude_session=exclude_session,
    )
    buffer = context.buffer
    held = _Blocks.of((s - buffer, e + buffer) for s, e in context.sessions)
    step_seconds = context.schedule.slot_interval_minutes * 60
    step = dt.timedelta(seconds=step_seconds)
    first_start = max(start, context.earliest)
    if first_start.microsecond:
        first_start = first_start.replace(microsecond=0) + dt.timedelta(seconds=1)
    slots: list[Slot] = []
    for window_start, window_end in context.windows:
        candidate = max(window_start, first_start)  # whole seconds from here on
        while candidate + duration <= window_end and candidate < end:
            if candidate > context.latest:
                return slots
            offset = _grid_offset(candidate, context.zone, step_seconds)
            if offset:
                # Off the grid: the window began between grid marks, or the clocks moved.
                candidate += dt.timedelta(seconds=offset)
                continue
            finish = candidate + duration
            if not held.hit(candidate, finish) and not context.busy.hit(candidate, finish):
                slots.append(Slot(starts_at=candidate, ends_at=finish))
            candidate += step
    return slots


def _hours(minutes: int) -> str:
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"


def slot_check(
    *,
    tutor: TutorProfile,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    now: dt.datetime | None = None,
    exclude_session: Session | None = None,
) -> None:
    """Raise ValidationError({"starts_at": [reason]}) unless [starts_at, ends_at) is bookable.

    A booking must start on the tutor's slot grid, like the slots offered.
    """
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError({name: ["Include a time zone offset, like +01:00 or Z."]})
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": ["The session must end after it starts."]})
    starts_at, ends_at = starts_at.astimezone(UTC), ends_at.astimezone(UTC)
    context = _context(
        tutor=tutor, start=starts_at, end=ends_at, now=now, exclude_session=exclude_session
    )
    schedule = context.schedule

    def refuse(message: str) -> None:
        raise ValidationError({"starts_at": [message]})

    if starts_at < context.earliest:
        refuse(
            f"This time is too soon: book at least {_hours(schedule.minimum_notice_minutes)} ahead."
        )
    if starts_at > context.latest:
        days = schedule.booking_horizon_days
        refuse(
            f"This time is too far ahead: book at most {days} day{'s' if days != 1 else ''} ahead."
        )
    inside = any(low <= starts_at and ends_at <= high for low, high in context.windows)
    if not inside:
        refuse("This time is outside the tutor's availability.")
    if not _on_grid(starts_at, context.zone, schedule.slot_interval_minutes):
        refuse(
            "This time is outside the tutor's availability: sessions start on their "
            f"{schedule.slot_interval_minutes}-minute grid (for example "
            f"{_grid_example(schedule.slot_interval_minutes)}, their time)."
        )
    if context.busy.hit(starts_at, ends_at):
        refuse("At this time the tutor is busy (their calendar shows another commitment).")
    buffer = context.buffer
    for other_start, other_end in context.sessions:
        if other_start < ends_at and starts_at < other_end:
            refuse("This time is too close to another session: the tutor already has one then.")
        if other_start < ends_at + buffer and starts_at - buffer < other_end:
            refuse(
                "This time is too close to another session: the tutor keeps "
                f"{_hours(schedule.buffer_minutes)} free between sessions."
            )


def _grid_example(interval: int) -> str:
    minutes = 9 * 60 + interval
    return f"09:00 or {minutes // 60:02d}:{minutes % 60:02d}"
