"""Writes of a tutor's availability: schedule settings, weekly rules, date exceptions, and
the tenant's booking policy.

The tutor changes their own; the agency's owners and admins change any tutor's of their
tenant; anyone else is refused. Times are wall-clock in the tutor's zone; an end of
"24:00" is kept as 23:59, which slot computation reads as midnight.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership
from audit.services import audit_record
from crm.guards import require_here, require_manager
from crm.models import TutorProfile
from crm.validation import UNSET
from scheduling.models import (
    AvailabilityException,
    AvailabilityRule,
    SchedulingSettings,
    TutorSchedule,
)
from scheduling.policy import schedule_for
from scheduling.selectors.availability import schedule_editor_is
from tenants.validators import time_zones

__all__ = [
    "LIMITS",
    "SCHEDULE_FIELDS",
    "SLOT_INTERVALS",
    "availability_exception_add",
    "availability_exception_delete",
    "availability_update",
    "scheduling_settings_update",
    "time_zones",
    "tutor_schedule_update",
    "weekly_rules_apply",
    "weekly_rules_replace",
]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SLOT_INTERVALS = (5, 10, 15, 20, 30, 60)
MAX_WINDOWS_PER_DAY = 12
MAX_EXCEPTION_DAYS = 366
REASON_LIMIT = 200
END_OF_DAY = dt.time(23, 59)

# (low, high, unit) of each number a tutor or the agency sets.
LIMITS: dict[str, tuple[int, int, str]] = {
    "buffer_minutes": (0, 240, "minutes"),
    "minimum_notice_minutes": (0, 30 * 24 * 60, "minutes"),
    "booking_horizon_days": (1, 730, "days"),
    "request_expiry_hours": (1, 336, "hours"),
    "free_cancellation_hours": (0, 720, "hours"),
    "late_cancellation_fee_percent": (0, 100, "%"),
    "no_show_fee_percent": (0, 100, "%"),
    "max_reschedules": (0, 20, "reschedules"),
}
POLICY_OVERRIDES = (
    "free_cancellation_hours",
    "late_cancellation_fee_percent",
    "no_show_fee_percent",
    "max_reschedules",
)
SCHEDULE_FIELDS = (
    "time_zone",
    "buffer_minutes",
    "minimum_notice_minutes",
    "booking_horizon_days",
    "slot_interval_minutes",
    "instant_booking",
    *POLICY_OVERRIDES,
)


def _require_editor(actor: Membership | None, tutor: TutorProfile) -> Membership:
    actor = require_here(actor)
    if not schedule_editor_is(viewer=actor, tutor=tutor):
        raise PermissionDenied("Only the tutor and the agency's owners and admins can do this.")
    return actor


# Field checks: each adds messages to ``errors`` and returns the cleaned value. -----------


def _number(errors: dict, field: str, value: Any, *, nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    low, high, unit = LIMITS[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = [
            f"Enter a whole number from {low} to {high}"
            + (f" {unit}" if unit != "%" else " (%)")
            + (", or leave it empty to use the agency's default." if nullable else ".")
        ]
        return None
    return value


def _time_zone(errors: dict, value: Any) -> str:
    if value == "" or (isinstance(value, str) and value in time_zones()):
        return value
    errors["time_zone"] = ["Choose a valid IANA time zone, such as Europe/London."]
    return ""


def _time(value: Any, *, end: bool = False) -> dt.time | None:
    """A wall-clock time from ``dt.time`` or "HH:MM"; "24:00" only as an end."""
    if isinstance(value, dt.time):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        if end and text in ("24:00", "24:00:00"):
            return END_OF_DAY
        try:
            parsed = dt.time.fromisoformat(text)
        except ValueError:
            return None
    else:
        return None
    if parsed.tzinfo is not None or parsed.second or parsed.microsecond:
        return None
    return parsed


def _date(errors: dict, field: str, value: Any) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors[field] = ["Enter a date as YYYY-MM-DD."]
    return None


def _label(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}-{'24:00' if end >= END_OF_DAY else f'{end:%H:%M}'}"


def _windows(errors: dict, field: str, windows: Any, *, prefix: str = "") -> list[tuple]:
    """(start, end) pairs from [{"start_time", "end_time"}]; messages under ``field``."""
    messages: list[str] = []
    cleaned: list[tuple[dt.time, dt.time]] = []
    if not isinstance(windows, list | tuple):
        errors.setdefault(field, []).append("Send a list of windows.")
        return []
    for index, window in enumerate(windows, start=1):
        where = f"{prefix}window {index}"
        if not isinstance(window, Mapping):
            messages.append(f"{where}: send start_time and end_time.")
            continue
        start = _time(window.get("start_time"))
        end = _time(window.get("end_time"), end=True)
        if start is None or end is None:
            messages.append(f"{where}: enter times as HH:MM (whole minutes).")
        elif start >= end:
            messages.append(f"{where}: the end ({_label(start, end)}) must be after the start.")
        else:
            cleaned.append((start, end))
    ordered = sorted(cleaned)
    for (start, end), (next_start, next_end) in itertools.pairwise(ordered):
        if next_start < end:
            messages.append(
                f"{prefix}{_label(start, end)} overlaps {_label(next_start, next_end)}."
            )
    if len(cleaned) > MAX_WINDOWS_PER_DAY:
        messages.append(f"{prefix}use at most {MAX_WINDOWS_PER_DAY} windows a day.")
    if messages:
        errors.setdefault(field, []).extend(
            message[:1].upper() + message[1:] for message in messages
        )
    return ordered


def _weekday(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        return None
    return value


def _week(errors: dict, rules: Any) -> dict[int, list[tuple]]:
    """A whole week from [{"weekday", "start_time", "end_time"}]; messages under "rules"."""
    if not isinstance(rules, list | tuple):
        errors["rules"] = ["Send a list of rules."]
        return {}
    by_day: dict[int, list] = {}
    for index, rule in enumerate(rules, start=1):
        weekday = _weekday(rule.get("weekday")) if isinstance(rule, Mapping) else None
        if weekday is None:
            errors.setdefault("rules", []).append(
                f"Rule {index}: the weekday must be a number from 0 (Monday) to 6 (Sunday)."
            )
            continue
        by_day.setdefault(weekday, []).append(rule)
    return {
        weekday: _windows(errors, "rules", windows, prefix=f"{WEEKDAYS[weekday]}: ")
        for weekday, windows in sorted(by_day.items())
    }


def _bulk(errors: dict, weekdays: Any, windows: Any) -> dict[int, list[tuple]]:
    """The same windows on each of ``weekdays``."""
    days: list[int] = []
    if not isinstance(weekdays, list | tuple) or not weekdays:
        errors["weekdays"] = ["Choose at least one weekday."]
    else:
        for value in weekdays:
            weekday = _weekday(value)
            if weekday is None:
                errors["weekdays"] = ["Use numbers from 0 (Monday) to 6 (Sunday)."]
                break
            if weekday not in days:
                days.append(weekday)
    cleaned = _windows(errors, "windows", windows)
    return dict.fromkeys(days, cleaned)


def _settings(errors: dict, changes: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for field, value in changes.items():
        if value is UNSET:
            continue
        if field == "time_zone":
            cleaned[field] = _time_zone(errors, value)
        elif field == "slot_interval_minutes":
            if isinstance(value, bool) or value not in SLOT_INTERVALS:
                errors[field] = [
                    f"Choose one of {', '.join(str(i) for i in SLOT_INTERVALS)} minutes."
                ]
            cleaned[field] = value
        elif field == "instant_booking":
            if not isinstance(value, bool):
                errors[field] = ["Send true or false."]
            cleaned[field] = value
        else:
            cleaned[field] = _number(errors, field, value, nullable=field in POLICY_OVERRIDES)
    return cleaned


# Writes ----------------------------------------------------------------------------------


def _schedule_locked(tutor: TutorProfile) -> TutorSchedule:
    schedule_for(tutor)
    return TutorSchedule.objects.select_for_update().get(tutor=tutor)


def _schedule_save(schedule, changes, *, actor, tutor, request) -> list[str]:
    changed = [field for field, value in changes.items() if getattr(schedule, field) != value]
    if changed:
        for field in changed:
            setattr(schedule, field, changes[field])
        schedule.save(update_fields=[*changed, "updated_at"])
        tutor.schedule = schedule
        audit_record(
            action="scheduling.schedule.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=schedule,
            data={"tutor": tutor.pk, "changes": {f: changes[f] for f in sorted(changed)}},
            request=request,
        )
    return changed


def _rules_write(tutor: TutorProfile, week: Mapping[int, Iterable[tuple]], *, whole_week: bool):
    rules = AvailabilityRule.objects.filter(tutor=tutor)
    if not whole_week:
        rules = rules.filter(weekday__in=list(week))
    rules.delete()
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(tutor=tutor, weekday=weekday, start_time=start, end_time=end)
        for weekday, windows in sorted(week.items())
        for start, end in windows
    )


@transaction.atomic
def availability_update(
    *,
    actor: Membership,
    tutor: TutorProfile,
    settings: Mapping[str, Any] | None = None,
    rules: list | None = None,
    weekdays: list | None = None,
    windows: list | None = None,
    request=None,
) -> TutorSchedule:
    """Change schedule settings and weekly rules at once, refusing all if any part is bad.

    ``rules`` replaces the whole week; ``weekdays`` with ``windows`` sets those weekdays'
    windows and leaves the others (the bulk "copy Monday to weekdays" of the editor).
    """
    actor = _require_editor(actor, tutor)
    settings = dict(settings or {})
    errors: dict[str, list[str]] = {
        field: ["This is not a tutor's schedule setting."]
        for field in sorted(set(settings) - set(SCHEDULE_FIELDS))
    }
    changes = _settings(errors, {k: v for k, v in settings.items() if k in SCHEDULE_FIELDS})
    week: dict[int, list] | None = None
    whole_week = rules is not None
    if rules is not None and (weekdays is not None or windows is not None):
        errors["rules"] = ["Send either the whole week (rules) or weekdays with windows."]
    elif rules is not None:
        week = _week(errors, rules)
    elif weekdays is not None or windows is not None:
        week = _bulk(errors, weekdays, windows if windows is not None else [])
    if errors:
        raise ValidationError(errors)
    schedule = _schedule_locked(tutor)
    _schedule_save(schedule, changes, actor=actor, tutor=tutor, request=request)
    if week is not None:
        _rules_write(tutor, week, whole_week=whole_week)
        audit_record(
            action="scheduling.availability.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=schedule,
            data={
                "tutor": tutor.pk,
                "weekdays": sorted(week) if not whole_week else list(range(7)),
                "windows": sum(len(w) for w in week.values()),
            },
            request=request,
        )
    return schedule


def tutor_schedule_update(
    *,
    actor: Membership,
    tutor: TutorProfile,
    time_zone: str = UNSET,
    buffer_minutes: int = UNSET,
    minimum_notice_minutes: int = UNSET,
    booking_horizon_days: int = UNSET,
    slot_interval_minutes: int = UNSET,
    instant_booking: bool = UNSET,
    free_cancellation_hours: int | None = UNSET,
    late_cancellation_fee_percent: int | None = UNSET,
    no_show_fee_percent: int | None = UNSET,
    max_reschedules: int | None = UNSET,
    request=None,
) -> TutorSchedule:
    """Change how a tutor takes bookings; an empty policy override means the agency's."""
    settings = {
        "time_zone": time_zone,
        "buffer_minutes": buffer_minutes,
        "minimum_notice_minutes": minimum_notice_minutes,
        "booking_horizon_days": booking_horizon_days,
        "slot_interval_minutes": slot_interval_minutes,
        "instant_booking": instant_booking,
        "free_cancellation_hours": free_cancellation_hours,
        "late_cancellation_fee_percent": late_cancellation_fee_percent,
        "no_show_fee_percent": no_show_fee_percent,
        "max_reschedules": max_reschedules,
    }
    return availability_update(
        actor=actor,
        tutor=tutor,
        settings={k: v for k, v in settings.items() if v is not UNSET},
        request=request,
    )


def weekly_rules_replace(
    *, actor: Membership, tutor: TutorProfile, rules: list, request=None
) -> list[AvailabilityRule]:
    """Replace the tutor's whole week: [{"weekday", "start_time", "end_time"}, ...]."""
    availability_update(actor=actor, tutor=tutor, rules=rules, request=request)
    return list(AvailabilityRule.objects.filter(tutor=tutor))


def weekly_rules_apply(
    *, actor: Membership, tutor: TutorProfile, weekdays: list, windows: list, request=None
) -> list[AvailabilityRule]:
    """Give each of ``weekdays`` exactly ``windows`` ([{"start_time", "end_time"}]); an
    empty list clears them. Other weekdays keep their rules."""
    availability_update(
        actor=actor, tutor=tutor, weekdays=weekdays, windows=windows, request=request
    )
    return list(AvailabilityRule.objects.filter(tutor=tutor))


def _exception_dates(errors: dict, tutor: TutorProfile, start_date: Any, end_date: Any):
    first = _date(errors, "start_date", start_date)
    last = first if end_date in (None, "") else _date(errors, "end_date", end_date)
    if first and last:
        if last < first:
            errors["end_date"] = ["The end date cannot be before the start date."]
        elif (last - first).days + 1 > MAX_EXCEPTION_DAYS:
            errors["end_date"] = [f"Cover at most {MAX_EXCEPTION_DAYS} days at once."]
        elif last < timezone.now().astimezone(schedule_for(tutor).zone).date():
            errors["end_date"] = ["The dates are in the past."]
    return first, last


def _exception_times(errors: dict, kind: str, start_time: Any, end_time: Any):
    if start_time in (None, "") and end_time in (None, ""):
        if kind == AvailabilityException.Kind.AVAILABLE:
            errors["start_time"] = ["Extra availability needs a start and an end time."]
        return None, None
    start = _time(start_time) if start_time not in (None, "") else None
    end = _time(end_time, end=True) if end_time not in (None, "") else None
    if start is None:
        errors["start_time"] = ["Enter a start time as HH:MM (with an end time)."]
    if end is None:
        errors["end_time"] = ["Enter an end time as HH:MM (with a start time)."]
    if start is not None and end is not None and end <= start:
        errors["end_time"] = ["The end time must be after the start time."]
    return start, end


@transaction.atomic
def availability_exception_add(
    *,
    actor: Membership,
    tutor: TutorProfile,
    start_date: dt.date | str,
    end_date: dt.date | str | None = None,
    kind: str = AvailabilityException.Kind.UNAVAILABLE,
    start_time: dt.time | str | None = None,
    end_time: dt.time | str | None = None,
    reason: str = "",
    request=None,
) -> AvailabilityException:
    """Mark dates (in the tutor's zone) as a day off, a part day off, or extra hours.

    Without times an ``unavailable`` exception covers whole days; ``available`` needs
    times. A range spans at most 366 days and may not end in the past.
    """
    actor = _require_editor(actor, tutor)
    errors: dict[str, list[str]] = {}
    if kind not in AvailabilityException.Kind.values:
        errors["kind"] = [f"Choose one of: {', '.join(AvailabilityException.Kind.values)}."]
    first, last = _exception_dates(errors, tutor, start_date, end_date)
    start, end = _exception_times(errors, kind, start_time, end_time)
    if not isinstance(reason, str):
        errors["reason"] = ["Enter text."]
    elif len(reason.strip()) > REASON_LIMIT:
        errors["reason"] = [f"Use at most {REASON_LIMIT} characters."]
    if errors:
        raise ValidationError(errors)
    return AvailabilityException.objects.create(
        tutor=tutor,
        kind=kind,
        start_date=first,
        end_date=last,
        start_time=start,
        end_time=end,
        reason=reason.strip(),
    )


@transaction.atomic
def availability_exception_delete(
    *, actor: Membership, exception: AvailabilityException, request=None
) -> None:
    """Remove a date exception; the weekly rules apply on those dates again."""
    _require_editor(actor, exception.tutor)
    exception.delete()


@transaction.atomic
def scheduling_settings_update(
    *,
    actor: Membership,
    request_expiry_hours: int = UNSET,
    free_cancellation_hours: int = UNSET,
    late_cancellation_fee_percent: int = UNSET,
    no_show_fee_percent: int = UNSET,
    max_reschedules: int = UNSET,
    request=None,
) -> SchedulingSettings:
    """Change the agency's booking policy (owners and admins); tutors may override parts."""
    actor = require_manager(actor)
    values = {
        "request_expiry_hours": request_expiry_hours,
        "free_cancellation_hours": free_cancellation_hours,
        "late_cancellation_fee_percent": late_cancellation_fee_percent,
        "no_show_fee_percent": no_show_fee_percent,
        "max_reschedules": max_reschedules,
    }
    errors: dict[str, list[str]] = {}
    changes = {
        field: _number(errors, field, value)
        for field, value in values.items()
        if value is not UNSET
    }
    if errors:
        raise ValidationError(errors)
    SchedulingSettings.current()
    row = SchedulingSettings.objects.select_for_update().get(pk=1)
    changed = [field for field, value in changes.items() if getattr(row, field) != value]
    if changed:
        for field in changed:
            setattr(row, field, changes[field])
        row.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="scheduling.policy.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=row,
            data={"changes": {field: changes[field] for field in sorted(changed)}},
            request=request,
        )
    return row
