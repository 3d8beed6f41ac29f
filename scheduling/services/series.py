"""Recurring sessions: a series booked, answered, moved and cancelled as one.

The rules are those of single bookings (``scheduling.services.bookings``):

- booking: the student, a linked parent for their child, or the agency's staff (tutors
  book through the agency); a child under 13 needs a parent's consent in force. The
  student's side gets confirmed sessions when the tutor has instant booking; otherwise,
  and always when the agency's staff book (so the tutor agrees), every session is a
  request and the tutor (or an owner or admin) accepts or declines the series at once.
  The requests of a series expire together.
- conflicts: ``series_preview`` shows each date with what stands in its way (a session
  the tutor or the student already has, or why ``slot_check`` refuses it: availability,
  buffer, notice, horizon); ``series_create`` refuses a series with any conflict unless
  asked to skip them, then books only the free dates. The database's exclusion
  constraints refuse whatever a concurrent booking slipped in.
- edits and cancellations for ``this`` session (the single-session services), ``following``
  (this one and the later ones) or ``all`` (every occurrence still to come; past ones are
  untouched). Moving from an occurrence that is not the series' first splits it: the old
  series ends before that occurrence and a new one starts there with the new time, keeping
  the number of occurrences. Every moved session gets its own reschedule record and
  every cancelled one its own policy outcome; the student's side may move a session only
  inside the free-cancellation window and up to the reschedule limit, as for one session.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_here
from crm.minors import student_check
from crm.models import StudentProfile, Subject, TutorProfile, TutorSubject
from notifications.services import notify
from scheduling.models import Session, SessionChange, SessionSeries, TutorSchedule
from scheduling.policy import Policy, policy_for, schedule_for
from scheduling.selectors.series import (
    MAX_OCCURRENCES,
    MIN_OCCURRENCES,
    Occurrence,
    local_to_utc,
    occurrences_check,
    occurrences_expand,
    series_occurrences,
    series_rule,
    until_bound,
)
from scheduling.selectors.sessions import bookable_students, session_party
from scheduling.services import bookings
from scheduling.services.common import (
    assignment_ensure,
    change_record,
    no_overlap,
    session_price,
)
from scheduling.signals import session_changed_on_commit

__all__ = [
    "SCOPES",
    "series_accept",
    "series_cancel",
    "series_create",
    "series_decline",
    "series_preview",
    "series_update",
]

Role = Membership.Role
Status = Session.Status
Party = SessionChange.Party
SCOPES = ("this", "following", "all")
ACTIVE = (Status.REQUESTED, Status.CONFIRMED)
FURTHEST_AHEAD = dt.timedelta(days=3 * 365)


# Checks ------------------------------------------------------------------------------------


def _text(errors: dict, field: str, value: Any, *, required: bool = False) -> str:
    if not isinstance(value, str):
        errors[field] = ["Enter text."]
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = ["This field is required."]
    elif len(value) > bookings.MESSAGE_LIMIT:
        errors[field] = [f"Use at most {bookings.MESSAGE_LIMIT} characters."]
    return value


def _instant(errors: dict, field: str, value: Any, now: dt.datetime) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        errors[field] = ["Enter a date and time."]
    elif timezone.is_naive(value):
        errors[field] = ["Include a time zone offset, as in 2030-03-01T09:00:00+00:00."]
    elif value <= now:
        errors[field] = ["Choose a time in the future."]
    elif value - now > FURTHEST_AHEAD:
        errors[field] = ["This is too far ahead to book."]
    else:
        return value.astimezone(dt.UTC)
    return None


def _duration(errors: dict, value: Any) -> int | None:
    if isinstance(value, bool) or value not in bookings.DURATIONS:
        errors["duration_minutes"] = [
            f"Choose one of {', '.join(str(m) for m in bookings.DURATIONS)} minutes."
        ]
        return None
    return value


def _bound(errors: dict, count: Any, until: Any) -> tuple[int | None, dt.date | None]:
    if (count is None) == (until is None):
        message = "Give either a number of sessions or an end date."
        if count is not None:
            message = "Give a number of sessions or an end date, not both."
        errors["count"] = errors["until"] = [message]
        return None, None
    if count is not None and (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not MIN_OCCURRENCES <= count <= MAX_OCCURRENCES
    ):
        errors["count"] = [f"A series has {MIN_OCCURRENCES} to {MAX_OCCURRENCES} sessions."]
    if until is not None and (not isinstance(until, dt.date) or isinstance(until, dt.datetime)):
        errors["until"] = ["Enter a date as YYYY-MM-DD."]
    return count, until


def _tutor_active(tutor: TutorProfile | None, tenant) -> bool:
    return (
        tutor is not None
        and tutor.user_id is not None
        and Membership.objects.filter(
            tenant=tenant, user_id=tutor.user_id, role=Role.TUTOR, is_active=True
        ).exists()
    )


def _price(errors: dict, tutor, subject, minutes: int, level: str) -> tuple[int, str]:
    try:
        return session_price(tutor=tutor, subject=subject, minutes=minutes, level=level)
    except ValidationError as error:
        if level and TutorSubject.objects.filter(profile=tutor, subject=subject).exists():
            errors["level"] = ["This tutor does not teach this subject at this level."]
        else:
            errors.update(error.message_dict)
    return 0, ""


def _refuse(message: str, code: str, status: int = 409) -> None:
    raise ApplicationError(message, code=code, status=status)


def _schedule_lock(tutor: TutorProfile) -> TutorSchedule:
    """Lock the tutor's schedule row, as every booking of theirs does, before any session."""
    schedule_for(tutor)
    schedule = TutorSchedule.objects.select_for_update().get(tutor=tutor)
    tutor.schedule = schedule
    return schedule


def _series_locked(series: SessionSeries) -> SessionSeries:
    return (
        SessionSeries.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "student", "subject")
        .get(pk=series.pk)
    )


# Booking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    zone: zoneinfo.ZoneInfo
    rrule: str
    starts: list[dt.datetime]
    minutes: int
    price_minor: int
    currency: str
    message: str


def _expand(
    errors: dict, first: dt.datetime, zone, *, frequency: str, count, until
) -> tuple[str, list[dt.datetime]]:
    """The rule and its starts, checking an end date gives 2 to 52 within a year."""
    first_day = first.astimezone(zone).date()
    if until is not None and until < first_day:
        errors["until"] = ["The end date cannot be before the first session."]
    elif until is not None and until > until_bound(first_day):
        errors["until"] = ["End the series within a year of its first session."]
    else:
        rrule = series_rule(
            frequency=frequency, first_starts_at=first, zone=zone, count=count, until=until
        )
        starts = occurrences_expand(rrule=rrule, first_starts_at=first, time_zone=zone.key)
        if MIN_OCCURRENCES <= len(starts) <= MAX_OCCURRENCES:
            return rrule, starts
        plural = "s" if len(starts) != 1 else ""
        message = f"This end date gives {len(starts)} session{plural}; a series has "
        errors["until"] = [f"{message}{MIN_OCCURRENCES} to {MAX_OCCURRENCES}."]
    return "", []


def _plan(
    actor: Membership,
    *,
    tutor: TutorProfile | None,
    student: StudentProfile | None,
    subject: Subject | None,
    first_starts_at: Any,
    duration_minutes: Any,
    frequency: Any,
    count: Any,
    until: Any,
    level: Any,
    message: Any,
    now: dt.datetime,
    price: tuple[int, str] | None = None,
) -> _Plan:
    """Check a series request as ``session_request`` checks one session, and expand it."""
    if actor.role == Role.TUTOR:
        raise PermissionDenied("Tutors cannot request sessions; the agency books for them.")
    errors: dict[str, list[str]] = {}
    if student is None or not bookable_students(viewer=actor).filter(pk=student.pk).exists():
        errors["student"] = ["Choose a student you may book for."]
    else:
        student_check(student, "book")
    if not _tutor_active(tutor, actor.tenant):
        errors["tutor"] = ["Choose an active tutor of this agency."]
    if subject is None or not subject.is_active:
        errors["subject"] = ["Choose an active subject."]
    first = _instant(errors, "first_starts_at", first_starts_at, now)
    minutes = _duration(errors, duration_minutes)
    if frequency not in SessionSeries.Frequency.values:
        errors["frequency"] = [f"Choose one of {', '.join(SessionSeries.Frequency.values)}."]
    count, until = _bound(errors, count, until)
    message = _text(errors, "message", message)
    if not isinstance(level, str):
        errors["level"] = ["Enter text."]
    price_minor, currency = 0, ""
    if price is not None:
        price_minor, currency = bookings.price_agreed(price)
    elif not errors.keys() & {"tutor", "subject", "duration_minutes", "level"}:
        price_minor, currency = _price(errors, tutor, subject, minutes, level)
    zone, rrule, starts = None, "", []
    if not errors.keys() & {"tutor", "first_starts_at", "frequency", "count", "until"}:
        zone = schedule_for(tutor).zone
        rrule, starts = _expand(errors, first, zone, frequency=frequency, count=count, until=until)
    if errors:
        raise ValidationError(errors)
    return _Plan(zone, rrule, starts, minutes, price_minor, currency, message)


def series_preview(
    *,
    actor: Membership,
    tutor: TutorProfile | None,
    student: StudentProfile | None,
    subject: Subject | None,
    first_starts_at: dt.datetime,
    duration_minutes: int,
    frequency: str,
    count: int | None = None,
    until: dt.date | None = None,
    level: str = "",
) -> list[Occurrence]:
    """The dates a series would have, each with its conflict (None when it is free)."""
    actor = require_here(actor)
    now = timezone.now()
    plan = _plan(
        actor,
        tutor=tutor,
        student=student,
        subject=subject,
        first_starts_at=first_starts_at,
        duration_minutes=duration_minutes,
        frequency=frequency,
        count=count,
        until=until,
        level=level,
        message="",
        now=now,
    )
    return occurrences_check(
        tutor=tutor,
        student=student,
        starts=plan.starts,
        duration=dt.timedelta(minutes=plan.minutes),
        now=now,
    )


def _conflict_lines(occurrences: list[Occurrence], user: User) -> list[str]:
    return [f"{_when(o.starts_at, user)}: {o.conflict}" for o in occurrences if o.conflict]


@transaction.atomic
def series_create(
    *,
    actor: Membership,
    tutor: TutorProfile | None,
    student: StudentProfile | None,
    subject: Subject | None,
    first_starts_at: dt.datetime,
    duration_minutes: int,
    frequency: str,
    count: int | None = None,
    until: dt.date | None = None,
    skip_conflicts: bool = False,
    message: str = "",
    level: str = "",
    price: tuple[int, str] | None = None,
    request=None,
) -> SessionSeries:
    """Book a weekly, fortnightly or monthly series (``count`` sessions or until a date).

    Refuses it when any date conflicts (``first_starts_at`` lists them) unless
    ``skip_conflicts``, which books the free dates only. ``price`` (minor units,
    currency) replaces the tutor's rate for each session, as in ``session_request``.
    """
    actor = require_here(actor)
    now = timezone.now()
    plan = _plan(
        actor,
        tutor=tutor,
        student=student,
        subject=subject,
        first_starts_at=first_starts_at,
        duration_minutes=duration_minutes,
        frequency=frequency,
        count=count,
        until=until,
        level=level,
        message=message,
        now=now,
        price=price,
    )
    duration = dt.timedelta(minutes=plan.minutes)
    schedule = _schedule_lock(tutor)
    occurrences = occurrences_check(
        tutor=tutor, student=student, starts=plan.starts, duration=duration, now=now
    )
    free = [o for o in occurrences if o.conflict is None]
    if not free:
        raise ValidationError(
            {"first_starts_at": ["Every date of this series conflicts: choose another time."]}
        )
    if len(free) < len(occurrences) and not skip_conflicts:
        raise ValidationError(
            {
                "first_starts_at": [
                    "Some dates conflict: choose another time, or skip them to book the others.",
                    *_conflict_lines(occurrences, actor.user),
                ]
            }
        )
    confirmed = actor.role in (Role.STUDENT, Role.PARENT) and schedule.instant_booking
    policy = policy_for(tutor)
    expires_at = None
    if not confirmed:
        expires_at = min(now + dt.timedelta(hours=policy.request_expiry_hours), free[0].starts_at)
    series = SessionSeries.objects.create(
        tutor=tutor,
        student=student,
        subject=subject,
        frequency=frequency,
        rrule=plan.rrule,
        first_starts_at=plan.starts[0],
        duration_minutes=plan.minutes,
        time_zone=plan.zone.key,
        count=count,
        until=until,
        created_by=actor.user,
    )
    with no_overlap("first_starts_at"):
        sessions = Session.objects.bulk_create(
            Session(
                tutor=tutor,
                student=student,
                subject=subject,
                series=series,
                series_occurrence=occurrence.starts_at,
                starts_at=occurrence.starts_at,
                ends_at=occurrence.ends_at,
                status=Status.CONFIRMED if confirmed else Status.REQUESTED,
                price_minor=plan.price_minor,
                currency=plan.currency,
                requested_by=actor.user,
                request_message=plan.message,
                expires_at=expires_at,
                decided_by=tutor.user if confirmed else None,
                decided_at=now if confirmed else None,
            )
            for occurrence in free
        )
    assignment_ensure(
        actor=actor, tutor=tutor, student=student, subject=subject, request=request, by="series"
    )
    audit_record(
        action="scheduling.series.created",
        actor=actor.user,
        tenant=actor.tenant,
        target=series,
        data={
            "rrule": series.rrule,
            "sessions": len(sessions),
            "skipped": len(occurrences) - len(free),
            "status": Status.CONFIRMED if confirmed else Status.REQUESTED,
        },
        request=request,
    )
    event = "series.confirmed" if confirmed else "series.requested"
    _tell(series=series, sessions=sessions, event=event, actor=actor, body=plan.message)
    for session in sessions:
        session_changed_on_commit(session, "confirmed" if confirmed else "requested")
    return series


# Answers -----------------------------------------------------------------------------------


def _answer(
    *, actor: Membership, series: SessionSeries, accept: bool, reason: str = "", request=None
) -> SessionSeries:
    actor = require_here(actor)
    now = timezone.now()
    # Requests found expired are marked so even though the answer is then refused.
    with transaction.atomic():
        series = _series_locked(series)
        is_tutor = actor.role == Role.TUTOR and series.tutor.user_id == actor.user_id
        if not (is_tutor or actor.is_manager):
            raise PermissionDenied("Only the series' tutor or the agency's managers can answer it.")
        errors: dict[str, list[str]] = {}
        if not accept:
            reason = _text(errors, "reason", reason, required=True)
        if errors:
            raise ValidationError(errors)
        pending = list(
            series.sessions.select_for_update(of=("self",))
            .select_related("tutor__user", "student", "subject")
            .filter(status=Status.REQUESTED)
            .order_by("starts_at", "id")
        )
        if not pending:
            _refuse("This series has no requested sessions to answer.", "not_requested")
        expired = [s for s in pending if s.expires_at is not None and s.expires_at <= now]
        answerable = [s for s in pending if s not in expired]
        for session in expired:
            session.status = Status.EXPIRED
            session.save(update_fields=["status", "updated_at"])
            session_changed_on_commit(session, "expired")
        if expired and not answerable:
            _tell(series=series, sessions=expired, event="series.expired", actor=None)
        for session in answerable:
            session.status = Status.CONFIRMED if accept else Status.DECLINED
            session.decline_reason = reason
            session.decided_by = actor.user
            session.decided_at = now
            session.expires_at = None
            session.save(
                update_fields=[
                    "status",
                    "decline_reason",
                    "decided_by",
                    "decided_at",
                    "expires_at",
                    "updated_at",
                ]
            )
            session_changed_on_commit(session, "confirmed" if accept else "declined")
        if answerable:
            audit_record(
                action=f"scheduling.series.{'accepted' if accept else 'declined'}",
                actor=actor.user,
                tenant=actor.tenant,
                target=series,
                data={"sessions": [s.pk for s in answerable]},
                request=request,
            )
            event = "series.confirmed" if accept else "series.declined"
            _tell(series=series, sessions=answerable, event=event, actor=actor, body=reason)
    if not answerable:
        _refuse("This request has expired and can no longer be answered.", "request_expired")
    return series


def series_accept(*, actor: Membership, series: SessionSeries, request=None) -> SessionSeries:
    """Confirm every requested session of a series (its tutor, or an owner or admin)."""
    return _answer(actor=actor, series=series, accept=True, request=request)


def series_decline(
    *, actor: Membership, series: SessionSeries, reason: str, request=None
) -> SessionSeries:
    """Turn down every requested session of a series, saying why; their slots are free."""
    return _answer(actor=actor, series=series, accept=False, reason=reason, request=request)


# Edits -------------------------------------------------------------------------------------


def _scope_check(scope: Any, session: Session) -> None:
    errors = {}
    if scope not in SCOPES:
        errors["scope"] = [f"Choose one of {', '.join(SCOPES)}."]
    if session.series_id is None:
        errors["session"] = ["This session is not part of a series."]
    if errors:
        raise ValidationError(errors)


def _shifted(
    occurrence: dt.datetime, anchor: dt.datetime, new_start: dt.datetime, zone
) -> dt.datetime:
    """``occurrence`` moved as ``anchor`` moves to ``new_start``: by the same number of
    days, to the same wall-clock time.
    """
    new_local = new_start.astimezone(zone)
    days = (new_local.date() - anchor.astimezone(zone).date()).days
    day = occurrence.astimezone(zone).date() + dt.timedelta(days=days)
    return local_to_utc(dt.datetime.combine(day, new_local.time()), zone)


def _bounded_rule(
    series: SessionSeries, first: dt.datetime, occurrences: int
) -> tuple[str, int | None, dt.date | None]:
    """A rule of ``series``' frequency from ``first`` with ``occurrences`` dates, bounded as
    ``series`` is (a count, or an end date: the local date of the last one).
    """
    zone = zoneinfo.ZoneInfo(series.time_zone)
    rule = series_rule(
        frequency=series.frequency, first_starts_at=first, zone=zone, count=occurrences
    )
    if series.count is not None:
        return rule, occurrences, None
    starts = occurrences_expand(rrule=rule, first_starts_at=first, time_zone=zone.key)
    until = starts[-1].astimezone(zone).date()
    rule = series_rule(frequency=series.frequency, first_starts_at=first, zone=zone, until=until)
    return rule, None, until


def _series_end_before(series: SessionSeries, split: int) -> None:
    """End ``series`` before its occurrence number ``split`` (kept whole when 0)."""
    if split <= 0:
        return
    series.rrule, series.count, series.until = _bounded_rule(series, series.first_starts_at, split)
    series.save(update_fields=["rrule", "count", "until", "updated_at"])


def _student_rules(
    session: Session, party: str, policy: Policy, now: dt.datetime, zone: zoneinfo.ZoneInfo
) -> None:
    """What ``session_reschedule`` asks of the student's side, for each session moved."""
    if party != Party.STUDENT:
        return
    when = session.starts_at.astimezone(zone)
    if session.starts_at - now < dt.timedelta(hours=policy.free_cancellation_hours):
        _refuse(
            f"The session of {when:%d %b %Y} starts within {policy.free_cancellation_hours} "
            "hours and can no longer be moved; ask the tutor or the agency.",
            "reschedule_too_late",
            status=403,
        )
    if session.reschedule_count >= policy.max_reschedules:
        _refuse(
            f"The session of {when:%d %b %Y} has already been moved the most times allowed "
            f"({policy.max_reschedules}); ask the tutor or the agency.",
            "reschedule_limit_reached",
            status=403,
        )


def _prorata(price_minor: int, old: dt.timedelta, minutes: int) -> int:
    """The agreed price for a new length (the booked rate and level are kept)."""
    price = Decimal(price_minor) * minutes / (Decimal(old.total_seconds()) / 60)
    return int(price.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class _Reshape:
    """Where the occurrences of a series go from its occurrence number ``split`` on."""

    split: int
    first: dt.datetime
    rule: str
    count: int | None
    until: dt.date | None
    index: dict[dt.datetime, int]
    targets: list[dt.datetime]

    def covers(self, session: Session) -> bool:
        return self.index.get(session.series_occurrence, -1) >= self.split

    def target(self, session: Session) -> dt.datetime:
        return self.targets[self.index[session.series_occurrence] - self.split]


def _reshape(
    series: SessionSeries,
    anchor: Session,
    scope: str,
    new_start: dt.datetime | None,
    now: dt.datetime,
) -> _Reshape:
    occurrences = series_occurrences(series)
    index = {start: i for i, start in enumerate(occurrences)}
    if scope == "following":
        if anchor.status not in ACTIVE:
            _refuse("Only a requested or confirmed session can be moved.", "not_active")
        if anchor.starts_at <= now or anchor.series_occurrence not in index:
            _refuse("This session has already started and can no longer be moved.", "started")
        split = index[anchor.series_occurrence]
        first = new_start or anchor.series_occurrence
    else:
        split = next((i for i, start in enumerate(occurrences) if start > now), None)
        if split is None:
            _refuse("This series has no sessions still to come.", "series_over")
        first = occurrences[split]
        if new_start is not None:
            first = _shifted(
                first, anchor.series_occurrence, new_start, zoneinfo.ZoneInfo(series.time_zone)
            )
    rule, count, until = _bounded_rule(series, first, len(occurrences) - split)
    targets = occurrences_expand(rrule=rule, first_starts_at=first, time_zone=series.time_zone)
    return _Reshape(split, first, rule, count, until, index, targets)


def _moves_check(
    *,
    actor: Membership,
    series: SessionSeries,
    moves: list[tuple[Session, dt.datetime]],
    duration: dt.timedelta,
    now: dt.datetime,
) -> None:
    """Refuse, listing them, the new dates that conflict."""
    # The sessions being moved stop holding their old times while the new ones are checked
    # (one moving to where another was is no conflict); saving them restores their status
    # and a refusal rolls it all back.
    Session.objects.filter(pk__in=[s.pk for s, _ in moves]).update(status=Status.CANCELLED)
    checked = occurrences_check(
        tutor=series.tutor,
        student=series.student,
        starts=[start for _, start in moves],
        duration=duration,
        now=now,
        sessions=[s for s, _ in moves],
    )
    if any(o.conflict for o in checked):
        raise ValidationError(
            {
                "starts_at": [
                    "Some dates conflict: nothing was moved.",
                    *_conflict_lines(checked, actor.user),
                ]
            }
        )


def _series_reshaped(
    series: SessionSeries, reshape: _Reshape, minutes: int, actor: Membership
) -> SessionSeries:
    """Apply the new rule: to ``series`` itself from its first occurrence, else to a new
    series from ``reshape.split``, the old one ending before it.
    """
    if reshape.split == 0:
        series.rrule, series.count, series.until = reshape.rule, reshape.count, reshape.until
        series.first_starts_at, series.duration_minutes = reshape.first, minutes
        series.save()
        return series
    _series_end_before(series, reshape.split)
    return SessionSeries.objects.create(
        tutor=series.tutor,
        student=series.student,
        subject=series.subject,
        frequency=series.frequency,
        rrule=reshape.rule,
        first_starts_at=reshape.first,
        duration_minutes=minutes,
        time_zone=series.time_zone,
        count=reshape.count,
        until=reshape.until,
        created_by=actor.user,
    )


def _move(
    session: Session,
    start: dt.datetime,
    duration: dt.timedelta,
    *,
    party: str,
    actor: Membership,
    policy: Policy,
    now: dt.datetime,
) -> None:
    """Move one session as ``session_reschedule`` does (record, price, count, expiry)."""
    change_record(
        session=session,
        kind=SessionChange.Kind.RESCHEDULE,
        party=party,
        actor=actor.user,
        previous_starts_at=session.starts_at,
        previous_ends_at=session.ends_at,
        new_starts_at=start,
        new_ends_at=start + duration,
        policy=policy,
        now=now,
    )
    if duration != session.duration:
        session.price_minor = _prorata(
            session.price_minor, session.duration, int(duration.total_seconds() // 60)
        )
    session.starts_at, session.ends_at = start, start + duration
    session.reschedule_count += 1
    if session.expires_at is not None:
        session.expires_at = min(session.expires_at, start)
    with no_overlap():
        session.save()
    session_changed_on_commit(session, "moved")


@transaction.atomic
def series_update(
    *,
    actor: Membership,
    session: Session,
    scope: str,
    starts_at: dt.datetime | None = None,
    duration_minutes: int | None = None,
    request=None,
) -> SessionSeries:
    """Move ``this`` session, this and the ``following`` ones, or ``all`` still to come.

    ``starts_at`` is ``session``'s new start: with ``all`` every occurrence to come moves
    by as many days and to the same local time. Sessions moved one by one before take
    the series' time again. Returns the series the moved sessions belong to (a new one
    when the series was split). Nothing moves if any new date conflicts.
    """
    _scope_check(scope, session)
    if scope == "this":
        bookings.session_reschedule(
            actor=actor,
            session=session,
            starts_at=starts_at if starts_at is not None else session.starts_at,
            duration_minutes=duration_minutes,
            request=request,
        )
        return SessionSeries.objects.get(pk=session.series_id)
    actor = require_here(actor)
    now = timezone.now()
    tutor = TutorProfile.objects.select_related("user").get(pk=session.tutor_id)
    _schedule_lock(tutor)  # schedule, then series, then sessions: the order bookings lock in
    series = _series_locked(session.series)
    sessions = list(
        series.sessions.select_for_update(of=("self",))
        .select_related("tutor__user", "student", "subject")
        .order_by("series_occurrence", "id")
    )
    anchor = next((s for s in sessions if s.pk == session.pk), None)
    party = anchor and session_party(viewer=actor, session=anchor)
    if party is None:
        raise PermissionDenied("You are not part of this session.")
    errors: dict[str, list[str]] = {}
    new_start = None if starts_at is None else _instant(errors, "starts_at", starts_at, now)
    minutes = series.duration_minutes
    if duration_minutes is not None:
        minutes = _duration(errors, duration_minutes)
    if starts_at is None and duration_minutes is None:
        errors["starts_at"] = ["Give a new time or a new length."]
    if errors:
        raise ValidationError(errors)
    reshape = _reshape(series, anchor, scope, new_start, now)
    duration = dt.timedelta(minutes=minutes)
    later = [s for s in sessions if reshape.covers(s)]
    moves = [
        (s, reshape.target(s))
        for s in later
        if s.status in ACTIVE
        and s.starts_at > now
        and (reshape.target(s), duration) != (s.starts_at, s.duration)
    ]
    if not moves:
        _refuse("No session still to come would change.", "nothing_to_move")
    policy = policy_for(tutor)
    zone = zoneinfo.ZoneInfo(series.time_zone)
    for moving, _ in moves:
        _student_rules(moving, party, policy, now, zone)
    _moves_check(actor=actor, series=series, moves=moves, duration=duration, now=now)

    target_series = _series_reshaped(series, reshape, minutes, actor)
    targets = {s.pk: reshape.target(s) for s in later}
    moved = dict(moves)
    for other in later:
        other.series, other.series_occurrence = target_series, targets[other.pk]
        if other in moved:
            _move(other, moved[other], duration, party=party, actor=actor, policy=policy, now=now)
        else:
            other.save(update_fields=["series", "series_occurrence", "updated_at"])
    audit_record(
        action="scheduling.series.updated",
        actor=actor.user,
        tenant=actor.tenant,
        target=target_series,
        data={
            "scope": scope,
            "from_series": series.pk,
            "rrule": target_series.rrule,
            "sessions": sorted(s.pk for s in moved),
        },
        request=request,
    )
    _tell(series=target_series, sessions=list(moved), event="series.moved", actor=actor)
    return target_series


@transaction.atomic
def series_cancel(
    *, actor: Membership, session: Session, scope: str, reason: str = "", request=None
) -> list[SessionChange]:
    """Cancel ``this`` session, this and the ``following`` ones, or ``all`` still to come.

    Each session is cancelled by ``session_cancel`` (its own policy outcome; the changes
    of confirmed sessions are returned). The series then ends before the first one.
    """
    _scope_check(scope, session)
    if scope == "this":
        change = bookings.session_cancel(
            actor=actor, session=session, reason=reason, request=request
        )
        return [change] if change is not None else []
    actor = require_here(actor)
    now = timezone.now()
    series = _series_locked(session.series)
    anchor = Session.objects.select_related("tutor__user", "student").get(pk=session.pk)
    if session_party(viewer=actor, session=anchor) is None:
        raise PermissionDenied("You are not part of this session.")
    errors: dict[str, list[str]] = {}
    reason = _text(errors, "reason", reason)
    if errors:
        raise ValidationError(errors)
    occurrences = series_occurrences(series)
    index = {start: i for i, start in enumerate(occurrences)}
    sessions = series.sessions.filter(status__in=ACTIVE).order_by("starts_at", "id")
    if scope == "following":
        if anchor.status not in ACTIVE or anchor.ends_at <= now:
            _refuse(
                "Only a requested or confirmed session still to come can be cancelled.",
                "not_active",
            )
        split = index.get(anchor.series_occurrence, len(occurrences))
        targets = [
            s
            for s in sessions.filter(ends_at__gt=now)
            if s.pk == anchor.pk or index.get(s.series_occurrence, -1) >= split
        ]
    else:
        split = next((i for i, start in enumerate(occurrences) if start > now), len(occurrences))
        targets = list(sessions.filter(starts_at__gt=now))
    if not targets:
        _refuse("This series has no sessions still to come.", "series_over")
    changes = []
    for target in targets:
        change = bookings.session_cancel(
            actor=actor, session=target, reason=reason, request=request
        )
        if change is not None:
            changes.append(change)
    _series_end_before(series, split)
    audit_record(
        action="scheduling.series.cancelled",
        actor=actor.user,
        tenant=actor.tenant,
        target=series,
        data={"scope": scope, "sessions": [s.pk for s in targets]},
        request=request,
    )
    return changes


# Telling people ----------------------------------------------------------------------------

HEADLINES = {
    "series.requested": "Sessions requested",
    "series.confirmed": "Sessions confirmed",
    "series.declined": "Sessions declined",
    "series.expired": "Request expired",
    "series.moved": "Sessions moved",
}


def _when(start: dt.datetime, user: User) -> str:
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = start.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} ({zone.key})"


def _student_side(series: SessionSeries, requested_by_id: int | None) -> set[int]:
    """The student's account; for a student without one, their linked parents. A parent
    who made the request hears of it too.
    """
    student = series.student
    parents = set(
        student.parent_links.filter(parent__isnull=False).values_list("parent_id", flat=True)
    )
    if student.user_id is None:
        return parents
    return {student.user_id} | ({requested_by_id} & parents)


def _url(session: Session) -> str:
    tenant = getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "pk", None) is None:
        return ""
    for name in ("scheduling:session", "scheduling:session_detail"):
        try:
            page = reverse(name, kwargs={"pk": session.pk}, urlconf=settings.ROOT_URLCONF)
            return tenant.absolute_url(page)
        except NoReverseMatch:
            continue
    return tenant.absolute_url("/")


def _tell(
    *,
    series: SessionSeries,
    sessions: list[Session],
    event: str,
    actor: Membership | None,
    body: str = "",
) -> None:
    """One notification per person for a change to several sessions of ``series``."""
    if not sessions:
        return
    first = min(sessions, key=lambda s: s.starts_at)
    tutor_ids = {series.tutor.user_id} if series.tutor.user_id else set()
    sides = _student_side(series, first.requested_by_id)
    if event == "series.expired":
        tutor_ids = set()
    recipients = (tutor_ids | sides) - ({actor.user_id} if actor else set())
    url = _url(first)
    for user in User.objects.filter(pk__in=recipients, is_active=True):
        other = series.student.full_name if user.pk in tutor_ids else series.tutor.full_name
        count = len(sessions)
        what = (
            f"{series.get_frequency_display()}, {count} session{'s' if count != 1 else ''} "
            f"from {_when(first.starts_at, user)}"
        )
        notify(
            user=user,
            event=event,
            title=f"{HEADLINES[event]}: {series.subject.name} with {other}"[:200],
            body=f"{what}. {body}".strip(),
            url=url,
            context={
                "series": series.pk,
                "sessions": count,
                "subject": series.subject.name,
                "with": other,
                "when": what,
            },
        )
