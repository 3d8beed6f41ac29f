"""Bookings: requests, answers, expiry, cancellations, moves and no-shows of sessions.

Who may do what:
- request: the student, a linked parent for their child, or the agency's staff (tutors
  book through the agency); a child under 13 needs a parent's consent in force;
- accept or decline: the session's tutor, or the agency's owners and admins;
- cancel and reschedule: the tutor, the student's side (student or linked parent) or the
  agency's staff; the student's side only inside the free-cancellation window and up to
  the reschedule limit;
- no-show: the tutor or the agency marks the student absent, the student's side or the
  agency marks the tutor absent.

A tutor's bookings are serialised on their ``TutorSchedule`` row, so buffer and notice
rules are checked against everything committed before; the database's exclusion
constraints refuse whatever overlap remains. Every change tells the other people
involved (in their own time zone) and sends ``session_changed`` after the commit.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_here
from crm.minors import student_check
from crm.models import StudentProfile, Subject, TutorProfile, TutorSubject
from notifications.services import notify
from scheduling.models import Session, SessionChange, TutorSchedule
from scheduling.policy import Policy, policy_for
from scheduling.selectors.sessions import bookable_students, session_party
from scheduling.selectors.slots import slot_check
from scheduling.services.common import (
    assignment_ensure,
    change_record,
    no_overlap,
    session_price,
)
from scheduling.signals import session_changed_on_commit

__all__ = [
    "DURATIONS",
    "NO_SHOW_DAYS",
    "price_agreed",
    "requests_expire",
    "session_accept",
    "session_cancel",
    "session_decline",
    "session_no_show",
    "session_request",
    "session_reschedule",
]

Role = Membership.Role
Status = Session.Status
Party = SessionChange.Party

DURATIONS = (30, 45, 60, 90, 120)
NO_SHOW_DAYS = 7
MESSAGE_LIMIT = 2000
# Beyond any tutor's booking horizon (at most 730 days): refused before any arithmetic.
FURTHEST_AHEAD = dt.timedelta(days=3 * 365)
TENANT_URLCONF = settings.ROOT_URLCONF
ENDED = (Status.CANCELLED, Status.DECLINED, Status.EXPIRED, Status.COMPLETED, Status.NO_SHOW)


# Checks ------------------------------------------------------------------------------------


def _text(errors: dict, field: str, value: Any, *, required: bool = False) -> str:
    if not isinstance(value, str):
        errors[field] = ["Enter text."]
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = ["This field is required."]
    elif len(value) > MESSAGE_LIMIT:
        errors[field] = [f"Use at most {MESSAGE_LIMIT} characters."]
    return value


def _starts_at(errors: dict, value: Any, now: dt.datetime) -> dt.datetime | None:
    if not isinstance(value, dt.datetime):
        errors["starts_at"] = ["Enter a date and time."]
    elif timezone.is_naive(value):
        errors["starts_at"] = ["Include a time zone offset, as in 2030-03-01T09:00:00+00:00."]
    elif value <= now:
        errors["starts_at"] = ["Choose a time in the future."]
    elif value - now > FURTHEST_AHEAD:
        errors["starts_at"] = ["This is too far ahead to book."]
    else:
        return value.astimezone(dt.UTC)
    return None


def _duration(errors: dict, value: Any) -> int | None:
    if isinstance(value, bool) or value not in DURATIONS:
        errors["duration_minutes"] = [
            f"Choose one of {', '.join(str(m) for m in DURATIONS)} minutes."
        ]
        return None
    return value


def _tutor_bookable(errors: dict, tutor: TutorProfile | None, tenant) -> None:
    active = (
        tutor is not None
        and tutor.user_id is not None
        and Membership.objects.filter(
            tenant=tenant, user_id=tutor.user_id, role=Role.TUTOR, is_active=True
        ).exists()
    )
    if not active:
        errors["tutor"] = ["Choose an active tutor of this agency."]


def _price(errors: dict, tutor, subject, minutes, level: str) -> tuple[int, str]:
    try:
        return session_price(tutor=tutor, subject=subject, minutes=minutes, level=level)
    except ValidationError as error:
        if level and TutorSubject.objects.filter(profile=tutor, subject=subject).exists():
            errors["level"] = ["This tutor does not teach this subject at this level."]
        else:
            errors.update(error.message_dict)
    return 0, ""


def price_agreed(price: tuple[int, str]) -> tuple[int, str]:
    """A price the caller fixed instead of the tutor's rate, checked like a stored one.

    Callers pass it from their own records (a gig's price), so a malformed one is a bug,
    not bad input: it raises ``ValueError``.
    """
    if not isinstance(price, tuple) or len(price) != 2:
        raise ValueError(f"Not a price: {price!r}")
    minor, currency = price
    if (
        isinstance(minor, bool)
        or not isinstance(minor, int)
        or minor < 0
        or not isinstance(currency, str)
        or len(currency) != 3
        or not currency.isalpha()
        or not currency.isupper()
    ):
        raise ValueError(f"Not a price: {price!r}")
    return minor, currency


def _schedule_lock(tutor: TutorProfile) -> TutorSchedule:
    """Lock the tutor's schedule row: their bookings and moves queue up behind it.

    Read afresh, not from ``tutor.schedule``: a cached row may be one a rolled-back
    transaction created.
    """
    schedule = TutorSchedule.objects.select_for_update().filter(tutor=tutor).first()
    if schedule is None:
        TutorSchedule.objects.get_or_create(tutor=tutor)
        schedule = TutorSchedule.objects.select_for_update().get(tutor=tutor)
    tutor.schedule = schedule
    return schedule


def _locked(session: Session) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "student", "subject")
        .get(pk=session.pk)
    )


def _is_tutor_of(actor: Membership, session: Session) -> bool:
    return actor.role == Role.TUTOR and session.tutor.user_id == actor.user_id


def _party(actor: Membership, session: Session) -> str:
    party = session_party(viewer=actor, session=session)
    if party is None:
        raise PermissionDenied("You are not part of this session.")
    return party


def _refuse(message: str, code: str, status: int = 409) -> None:
    raise ApplicationError(message, code=code, status=status)


# Telling people ----------------------------------------------------------------------------


def _zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _when(start: dt.datetime, end: dt.datetime, user: User) -> str:
    """``Mon 3 Mar 2031, 14:00-15:00 (Europe/London)`` in ``user``'s zone."""
    zone = _zone(user)
    start, end = start.astimezone(zone), end.astimezone(zone)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a} {end.day} {end:%b %H:%M}"
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M}-{until} ({zone.key})"


def _student_side(session: Session) -> set[int]:
    """The student's account; for a student without one, their linked parents. A parent
    who made the request hears of it too.
    """
    student = session.student
    parents = set(
        student.parent_links.filter(parent__isnull=False).values_list("parent_id", flat=True)
    )
    if student.user_id is None:
        return parents
    side = {student.user_id}
    if session.requested_by_id in parents:
        side.add(session.requested_by_id)
    return side


def _session_url(session: Session) -> str:
    """The session's page on the tenant's host (empty outside a tenant)."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "pk", None) is None:
        return ""
    page = reverse("scheduling:session_detail", kwargs={"pk": session.pk}, urlconf=TENANT_URLCONF)
    return tenant.absolute_url(page)


HEADLINES = {
    "session.requested": "Session requested",
    "session.confirmed": "Session confirmed",
    "session.declined": "Session declined",
    "session.expired": "Request expired",
    "session.cancelled": "Session cancelled",
    "session.rescheduled": "Session moved",
    "session.no_show": "Missed session",
}


def _notify(
    *,
    session: Session,
    event: str,
    actor: Membership | None,
    sides: tuple[str, ...] = ("tutor", "student"),
    body: str = "",
    previous: tuple[dt.datetime, dt.datetime] | None = None,
) -> None:
    """Tell everyone on ``sides`` but the actor, each in their own time zone."""
    tutor_ids = {session.tutor.user_id} if "tutor" in sides and session.tutor.user_id else set()
    student_ids = _student_side(session) if "student" in sides else set()
    recipients = (tutor_ids | student_ids) - ({actor.user_id} if actor else set())
    if not recipients:
        return
    url = _session_url(session)
    for user in User.objects.filter(pk__in=recipients, is_active=True):
        other = session.student.full_name if user.pk in tutor_ids else session.tutor.full_name
        when = _when(session.starts_at, session.ends_at, user)
        text = body
        if previous is not None:
            text = f"Moved from {_when(*previous, user)} to {when}. {body}".strip()
        notify(
            user=user,
            event=event,
            title=f"{HEADLINES[event]}: {session.subject.name} with {other}, {when}"[:200],
            body=text,
            url=url,
            context={
                "session": session.pk,
                "status": session.status,
                "subject": session.subject.name,
                "with": other,
                "when": when,
            },
        )


def _changed(session: Session, change: str, event: str, actor: Membership | None, **notice):
    _notify(session=session, event=event, actor=actor, **notice)
    session_changed_on_commit(session, change)


# Requests ----------------------------------------------------------------------------------


@transaction.atomic
def session_request(
    *,
    actor: Membership,
    tutor: TutorProfile,
    student: StudentProfile,
    subject: Subject,
    starts_at: dt.datetime,
    duration_minutes: int,
    message: str = "",
    level: str = "",
    price: tuple[int, str] | None = None,
    request=None,
) -> Session:
    """Ask ``tutor`` for a session with ``student``; with instant booking it is confirmed.

    A request holds the slot until it is answered or expires (after the tenant's
    ``request_expiry_hours``, and at the latest when the session would start).
    ``price`` (minor units, currency) replaces the tutor's rate for this session: a gig
    booked on the marketplace has its own price.
    """
    actor = require_here(actor)
    if actor.role == Role.TUTOR:
        raise PermissionDenied("Tutors cannot request sessions; the agency books for them.")
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if student is None or not bookable_students(viewer=actor).filter(pk=student.pk).exists():
        errors["student"] = ["Choose a student you may book for."]
    else:
        student_check(student, "book")
    _tutor_bookable(errors, tutor, actor.tenant)
    if subject is None or not subject.is_active:
        errors["subject"] = ["Choose an active subject."]
    starts_at = _starts_at(errors, starts_at, now)
    minutes = _duration(errors, duration_minutes)
    message = _text(errors, "message", message)
    if not isinstance(level, str):
        errors["level"] = ["Enter text."]
    price_minor, currency = 0, ""
    if price is not None:
        price_minor, currency = price_agreed(price)
    elif not errors.keys() & {"tutor", "subject", "duration_minutes", "level"}:
        price_minor, currency = _price(errors, tutor, subject, minutes, level)
    if errors:
        raise ValidationError(errors)
    ends_at = starts_at + dt.timedelta(minutes=minutes)

    schedule = _schedule_lock(tutor)
    slot_check(tutor=tutor, starts_at=starts_at, ends_at=ends_at, now=now)
    policy = policy_for(tutor)
    instant = schedule.instant_booking
    with no_overlap():
        session = Session.objects.create(
            tutor=tutor,
            student=student,
            subject=subject,
            starts_at=starts_at,
            ends_at=ends_at,
            status=Status.CONFIRMED if instant else Status.REQUESTED,
            price_minor=price_minor,
            currency=currency,
            requested_by=actor.user,
            request_message=message,
            expires_at=(
                None
                if instant
                else min(now + dt.timedelta(hours=policy.request_expiry_hours), starts_at)
            ),
            decided_by=tutor.user if instant else None,
            decided_at=now if instant else None,
        )
    assignment_ensure(
        actor=actor, tutor=tutor, student=student, subject=subject, request=request, by="booking"
    )
    if instant:
        _changed(session, "confirmed", "session.confirmed", actor)
    else:
        _changed(session, "requested", "session.requested", actor, body=message)
    return session


def _require_decider(actor: Membership, session: Session) -> None:
    if not (_is_tutor_of(actor, session) or actor.is_manager):
        raise PermissionDenied("Only the session's tutor or the agency's managers can answer it.")


def _expire(session: Session) -> None:
    session.status = Status.EXPIRED
    session.save(update_fields=["status", "updated_at"])
    _changed(session, "expired", "session.expired", None, sides=("student",))


def _answer_check(actor: Membership, session: Session, now: dt.datetime) -> bool:
    """Whether the request can be answered; one past its time is marked expired."""
    _require_decider(actor, session)
    if session.status != Status.REQUESTED:
        _refuse("Only a requested session can be accepted or declined.", "not_requested")
    if session.expires_at is not None and session.expires_at <= now:
        _expire(session)
        return False
    return True


def _answer(
    *, actor: Membership, session: Session, accept: bool, reason: str = "", request=None
) -> Session:
    actor = require_here(actor)
    now = timezone.now()
    # The expiry of a request answered too late is kept though the answer is refused.
    with transaction.atomic():
        session = _locked(session)
        answerable = _answer_check(actor, session, now)
        if answerable:
            errors: dict[str, list[str]] = {}
            if not accept:
                reason = _text(errors, "reason", reason, required=True)
            if errors:
                raise ValidationError(errors)
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
            if accept:
                _changed(session, "confirmed", "session.confirmed", actor)
            else:
                _changed(session, "declined", "session.declined", actor, body=reason)
    if not answerable:
        _refuse("This request has expired and can no longer be answered.", "request_expired")
    return session


def session_accept(*, actor: Membership, session: Session, request=None) -> Session:
    """Confirm a request (the tutor, or an owner or admin for them)."""
    return _answer(actor=actor, session=session, accept=True, request=request)


def session_decline(*, actor: Membership, session: Session, reason: str, request=None) -> Session:
    """Turn a request down, saying why; the slot is free again."""
    return _answer(actor=actor, session=session, accept=False, reason=reason, request=request)


def requests_expire(*, now: dt.datetime | None = None) -> int:
    """Mark every request past its ``expires_at`` expired (in the current tenant) and tell
    the student's side; rows another worker holds are left to it. Returns how many.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Session.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("tutor__user", "student", "subject")
            .filter(status=Status.REQUESTED, expires_at__lte=now)
            .order_by("expires_at", "id")
        )
        for session in due:
            _expire(session)
    return len(due)


# Cancellations, moves and no-shows ---------------------------------------------------------


def _audit(actor: Membership, action: str, session: Session, change, request, **data) -> None:
    if change is not None:
        data |= {
            "fee_minor": change.fee_minor,
            "refund_minor": change.refund_minor,
            "currency": change.currency,
        }
    audit_record(
        action=action,
        actor=actor.user,
        tenant=actor.tenant,
        target=session,
        data={"session": session.pk, **data},
        request=request,
    )


@transaction.atomic
def session_cancel(
    *, actor: Membership, session: Session, reason: str = "", request=None
) -> SessionChange | None:
    """Cancel a request or a confirmed session before it ends.

    A request costs nothing and leaves no billing record (None is returned); a confirmed
    session gets its policy outcome recorded (the student's side pays the late fee
    outside the free window; a cancellation by the tutor or the agency is refunded).
    """
    actor = require_here(actor)
    now = timezone.now()
    session = _locked(session)
    party = _party(actor, session)
    if session.status in ENDED:
        _refuse(f"This session is already {session.get_status_display().lower()}.", "not_active")
    if session.ends_at <= now:
        _refuse("This session has already taken place.", "session_over")
    errors: dict[str, list[str]] = {}
    reason = _text(errors, "reason", reason)
    if errors:
        raise ValidationError(errors)
    status_before = session.status
    change = None
    if status_before == Status.CONFIRMED:
        change = change_record(
            session=session,
            kind=SessionChange.Kind.CANCELLATION,
            party=party,
            actor=actor.user,
            reason=reason,
            previous_starts_at=session.starts_at,
            previous_ends_at=session.ends_at,
            now=now,
        )
    session.status = Status.CANCELLED
    session.expires_at = None
    session.save(update_fields=["status", "expires_at", "updated_at"])
    _audit(
        actor,
        "scheduling.session.cancelled",
        session,
        change,
        request,
        party=party,
        status_before=status_before,
    )
    _changed(session, "cancelled", "session.cancelled", actor, body=reason)
    return change


def _reschedule_allowed(session: Session, party: str, policy: Policy, now: dt.datetime) -> None:
    if party != Party.STUDENT:
        return
    if session.starts_at - now < dt.timedelta(hours=policy.free_cancellation_hours):
        _refuse(
            f"Sessions can only be moved at least {policy.free_cancellation_hours} hours "
            "before they start; ask the tutor or the agency.",
            "reschedule_too_late",
            status=403,
        )
    if session.reschedule_count >= policy.max_reschedules:
        _refuse(
            f"This session has already been moved {session.reschedule_count} times, the "
            f"most allowed ({policy.max_reschedules}); ask the tutor or the agency.",
            "reschedule_limit_reached",
            status=403,
        )


def _prorata(price_minor: int, old: dt.timedelta, minutes: int) -> int:
    """The agreed price for a new length (the booked rate and level are kept)."""
    old_minutes = Decimal(old.total_seconds()) / 60
    price = Decimal(price_minor) * minutes / old_minutes
    return int(price.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@transaction.atomic
def session_reschedule(
    *,
    actor: Membership,
    session: Session,
    starts_at: dt.datetime,
    duration_minutes: int | None = None,
    request=None,
) -> SessionChange:
    """Move a request or a confirmed session that has not started to a free slot.

    The student's side may move it only inside the free-cancellation window and up to
    the policy's reschedule limit; the tutor and the agency's staff may always.
    """
    actor = require_here(actor)
    now = timezone.now()
    tutor = Session.objects.select_related("tutor__user").get(pk=session.pk).tutor
    # Schedule before session, the order every booking locks in.
    _schedule_lock(tutor)
    session = _locked(session)
    session.tutor = tutor
    party = _party(actor, session)
    if session.status not in (Status.REQUESTED, Status.CONFIRMED):
        _refuse("Only a requested or confirmed session can be moved.", "not_active")
    if session.starts_at <= now:
        _refuse("This session has already started and can no longer be moved.", "session_started")
    errors: dict[str, list[str]] = {}
    new_start = _starts_at(errors, starts_at, now)
    minutes = (
        _duration(errors, duration_minutes)
        if duration_minutes is not None
        else int(session.duration.total_seconds() // 60)
    )
    if (
        not errors
        and new_start == session.starts_at
        and session.duration == dt.timedelta(minutes=minutes)
    ):
        errors["starts_at"] = ["This is already the session's time."]
    if errors:
        raise ValidationError(errors)
    policy = policy_for(tutor)
    _reschedule_allowed(session, party, policy, now)
    new_end = new_start + dt.timedelta(minutes=minutes)
    slot_check(tutor=tutor, starts_at=new_start, ends_at=new_end, now=now, exclude_session=session)

    previous = (session.starts_at, session.ends_at)
    change = change_record(
        session=session,
        kind=SessionChange.Kind.RESCHEDULE,
        party=party,
        actor=actor.user,
        previous_starts_at=previous[0],
        previous_ends_at=previous[1],
        new_starts_at=new_start,
        new_ends_at=new_end,
        policy=policy,
        now=now,
    )
    if new_end - new_start != session.duration:
        session.price_minor = _prorata(session.price_minor, session.duration, minutes)
    session.starts_at, session.ends_at = new_start, new_end
    session.reschedule_count += 1
    if session.expires_at is not None:
        session.expires_at = min(session.expires_at, new_start)
    with no_overlap():
        session.save(
            update_fields=[
                "starts_at",
                "ends_at",
                "price_minor",
                "reschedule_count",
                "expires_at",
                "updated_at",
            ]
        )
    _changed(session, "moved", "session.rescheduled", actor, previous=previous)
    return change


@transaction.atomic
def session_no_show(
    *, actor: Membership, session: Session, absent: str, request=None
) -> SessionChange:
    """Record that the student or the tutor did not come, from the start to 7 days on.

    A student's absence costs the policy's no-show fee; a tutor's refunds the student.
    """
    actor = require_here(actor)
    now = timezone.now()
    session = _locked(session)
    party = _party(actor, session)
    if absent not in (Party.STUDENT, Party.TUTOR):
        raise ValidationError({"absent": ["Choose student or tutor."]})
    allowed = {Party.STUDENT: (Party.TUTOR, "agency"), Party.TUTOR: (Party.STUDENT, "agency")}
    if party not in allowed[absent]:
        raise PermissionDenied(
            "The tutor or the agency marks a student absent; the student's side or the "
            "agency marks a tutor absent."
        )
    if session.status != Status.CONFIRMED:
        _refuse("Only a confirmed session can be marked as missed.", "not_confirmed")
    if now < session.starts_at:
        _refuse("A session can be marked as missed only once it has started.", "not_started")
    if now > session.starts_at + dt.timedelta(days=NO_SHOW_DAYS):
        _refuse(
            f"A missed session must be reported within {NO_SHOW_DAYS} days.", "no_show_too_late"
        )
    change = change_record(
        session=session,
        kind=SessionChange.Kind.NO_SHOW,
        party=absent,
        actor=actor.user,
        previous_starts_at=session.starts_at,
        previous_ends_at=session.ends_at,
        now=now,
    )
    session.status = Status.NO_SHOW
    session.save(update_fields=["status", "updated_at"])
    _audit(actor, "scheduling.session.no_show", session, change, request, absent=absent)
    who = "The student" if absent == Party.STUDENT else "The tutor"
    _changed(session, "no_show", "session.no_show", actor, body=f"{who} did not attend.")
    return change
