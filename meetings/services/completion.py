"""Whether a class was held: the tutor marks it, the student's side confirms it (or the
clock does, for a class both sides attended: ``meetings.jobs_completion``).

Confirming moves the session to ``completed`` and sends ``session_changed`` with
"completed" once; billing releases the payment on that. Every write here locks the
session row first, so two confirmations racing each other (two parents, a parent and
the automatic run) leave one completion and one signal: the second finds the session
completed and is refused.

Who may do what (the panel's buttons mirror ``completion_actions``):
- mark held: the session's tutor, or the agency's staff, from the start while confirmed;
- confirm: the student (their own account), a linked parent, or the agency's staff (for
  instance after sorting out a reported problem), from the start while confirmed;
- report a problem: the student's side, from the start while confirmed. It stops the
  automatic confirmation; staff then confirm or record a no-show
  (``scheduling.services.bookings.session_no_show``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_here
from meetings.models import SessionCompletion
from notifications.services import notify
from scheduling.models import Session
from scheduling.selectors.sessions import session_party
from scheduling.signals import session_changed_on_commit

__all__ = [
    "REASON_LIMIT",
    "STUDENT_SIDE",
    "completion_actions",
    "completion_record",
    "manager_ids",
    "session_completion_confirm",
    "session_held_mark",
    "session_notify",
    "session_problem_report",
    "session_side",
    "session_url",
    "student_side_users",
]

Role = Membership.Role
Status = Session.Status
Via = SessionCompletion.Via

REASON_LIMIT = 2000
STUDENT_SIDE = ("student", "parent")


# Who the actor is on the session -----------------------------------------------------------


def session_side(actor: Membership, session: Session) -> str | None:
    """ "tutor", "student" (their own account), "parent" (linked), "staff" or None."""
    party = session_party(viewer=actor, session=session)
    if party == "tutor":
        return "tutor"
    if party == "student":
        return "student" if actor.role == Role.STUDENT else "parent"
    if party == "agency":
        return "staff"
    return None


def _refuse(message: str, code: str, status: int = 409) -> None:
    raise ApplicationError(message, code=code, status=status)


def _live_after_start(session: Session, now: dt.datetime) -> None:
    """The class is confirmed and has started; otherwise a 409 saying why not."""
    if session.status == Status.COMPLETED:
        _refuse("This class has already been confirmed as held.", "already_completed")
    if session.status != Status.CONFIRMED:
        _refuse(
            f"This session is {session.get_status_display().lower()}: only a confirmed "
            "class can be marked or confirmed.",
            "not_confirmed",
        )
    if now < session.starts_at:
        _refuse("This class has not started yet.", "not_started")


def _held_mark_check(side, session, completion, now) -> None:
    if side not in ("tutor", "staff"):
        raise PermissionDenied("Only the session's tutor or the agency's staff can mark it held.")
    _live_after_start(session, now)
    if completion is not None and completion.held_marked_at is not None:
        _refuse("This class is already marked as held.", "already_marked")


def _confirm_check(side, session, completion, now) -> None:
    if side not in ("student", "parent", "staff"):
        raise PermissionDenied(
            "Only the student, a linked parent or the agency's staff can confirm the class."
        )
    _live_after_start(session, now)


def _problem_check(side, session, completion, now) -> None:
    if side not in STUDENT_SIDE:
        raise PermissionDenied("Only the student or a linked parent can report a problem.")
    _live_after_start(session, now)
    if completion is not None and completion.problem_reported_at is not None:
        _refuse("A problem has already been reported for this class.", "problem_already_reported")


CHECKS = {
    "mark_held": _held_mark_check,
    "confirm": _confirm_check,
    "report_problem": _problem_check,
}


def completion_actions(
    *,
    side: str | None,
    session: Session,
    completion: SessionCompletion | None,
    now: dt.datetime | None = None,
) -> dict[str, bool]:
    """Which completion actions someone on ``side`` may take now (the services' own checks)."""
    now = now or timezone.now()
    allowed = {}
    for action, check in CHECKS.items():
        try:
            check(side, session, completion, now)
        except (PermissionDenied, ApplicationError):
            allowed[action] = False
        else:
            allowed[action] = True
    return allowed


# Telling people ----------------------------------------------------------------------------


def _active_members(user_ids: set[int]) -> list[User]:
    """The users among ``user_ids`` who are active members of the current tenant."""
    user_ids = {pk for pk in user_ids if pk}
    tenant = getattr(connection, "tenant", None)
    if not user_ids or getattr(tenant, "pk", None) is None:
        return []
    members = Membership.objects.filter(
        tenant_id=tenant.pk, is_active=True, user_id__in=user_ids
    ).values("user_id")
    return list(User.objects.filter(pk__in=members, is_active=True).order_by("pk"))


def student_side_users(session: Session) -> set[int]:
    """The student's own account and every linked parent's."""
    student = session.student
    ids = set(student.parent_links.filter(parent__isnull=False).values_list("parent_id", flat=True))
    if student.user_id:
        ids.add(student.user_id)
    return ids


def manager_ids() -> set[int]:
    """The active owners and admins of the current tenant."""
    tenant = getattr(connection, "tenant", None)
    if getattr(tenant, "pk", None) is None:
        return set()
    return set(
        Membership.objects.filter(
            tenant_id=tenant.pk, is_active=True, role__in=Membership.MANAGER_ROLES
        ).values_list("user_id", flat=True)
    )


def session_url(session: Session) -> str:
    """The session's page on the tenant's host (empty outside a tenant)."""
    tenant = getattr(connection, "tenant", None)
    if getattr(tenant, "pk", None) is None:
        return ""
    page = reverse(
        "scheduling:session_detail", kwargs={"pk": session.pk}, urlconf=settings.ROOT_URLCONF
    )
    return tenant.absolute_url(page)


def _when(session: Session, user: User) -> str:
    """``Mon 3 Mar 2031, 14:00`` in ``user``'s zone."""
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    start = session.starts_at.astimezone(zone)
    return f"{start:%a} {start.day} {start:%b %Y}, {start:%H:%M} ({zone.key})"


def session_notify(
    *,
    session: Session,
    user_ids: set[int],
    event: str,
    headline: str,
    body: str,
    skip: int | None = None,
    context: dict | None = None,
) -> None:
    """Tell each of ``user_ids`` (but ``skip``) about ``session``, in their own zone."""
    url = session_url(session)
    for user in _active_members(user_ids - {skip}):
        with_whom = (
            session.student.full_name
            if user.pk == session.tutor.user_id
            else session.tutor.full_name
        )
        when = _when(session, user)
        notify(
            user=user,
            event=event,
            title=f"{headline}: {session.subject.name} with {with_whom}, {when}"[:200],
            body=body,
            url=url,
            context={
                "session": session.pk,
                "subject": session.subject.name,
                "with": with_whom,
                "when": when,
                **(context or {}),
            },
        )


# Services ----------------------------------------------------------------------------------


def _locked(session: Session) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "student", "subject")
        .get(pk=session.pk)
    )


def _completion(session: Session) -> SessionCompletion | None:
    return SessionCompletion.objects.filter(session_id=session.pk).first()


def _audit(actor: Membership, action: str, session: Session, request, **data) -> None:
    audit_record(
        action=action,
        actor=actor.user,
        tenant=actor.tenant,
        target=session,
        data={"session": session.pk, **data},
        request=request,
    )


@transaction.atomic
def session_held_mark(*, actor: Membership, session: Session, request=None) -> SessionCompletion:
    """The tutor (or the agency) says the class took place; the student's side is asked
    to confirm it."""
    actor = require_here(actor)
    now = timezone.now()
    session = _locked(session)
    completion = _completion(session)
    _held_mark_check(session_side(actor, session), session, completion, now)
    completion = completion or SessionCompletion(session=session)
    completion.held_marked_by = actor.user
    completion.held_marked_at = now
    completion.save()
    _audit(actor, "meetings.session.held_marked", session, request)
    session_notify(
        session=session,
        user_ids=student_side_users(session),
        event="meetings.completion_requested",
        headline="Please confirm the class took place",
        body=(
            "The tutor marked this class as held. Please confirm it on the session page, "
            "or report a problem if it did not happen as it should."
        ),
        skip=actor.user_id,
    )
    return completion


def completion_record(
    session: Session,
    completion: SessionCompletion | None,
    *,
    by: User | None,
    via: str,
    now: dt.datetime,
) -> SessionCompletion:
    """Record the confirmation and move the session to completed, signalling it once.

    The caller holds the session's row lock and has checked it is confirmed.
    """
    completion = completion or SessionCompletion(session=session)
    completion.confirmed_by = by
    completion.confirmed_at = now
    completion.confirmed_via = via
    completion.save()
    session.status = Status.COMPLETED
    session.save(update_fields=["status", "updated_at"])
    session_changed_on_commit(session, "completed")
    return completion


@transaction.atomic
def session_completion_confirm(
    *, actor: Membership, session: Session, request=None
) -> SessionCompletion:
    """The student's side (or the agency) confirms the class was held: it is completed.

    A second confirmation is refused (409): the session is completed once.
    """
    actor = require_here(actor)
    now = timezone.now()
    session = _locked(session)
    completion = _completion(session)
    side = session_side(actor, session)
    _confirm_check(side, session, completion, now)
    via = {"student": Via.STUDENT, "parent": Via.PARENT, "staff": Via.STAFF}[side]
    completion = completion_record(session, completion, by=actor.user, via=via, now=now)
    _audit(actor, "meetings.session.completed", session, request, via=via)
    recipients = {session.tutor.user_id}
    if side == "staff":
        recipients |= student_side_users(session)
    session_notify(
        session=session,
        user_ids=recipients,
        event="meetings.completion_confirmed",
        headline="Class confirmed",
        body=f"{completion.get_confirmed_via_display()}.",
        skip=actor.user_id,
        context={"via": via},
    )
    return completion


@transaction.atomic
def session_problem_report(
    *, actor: Membership, session: Session, reason: str, request=None
) -> SessionCompletion:
    """The student's side says the class did not happen as it should; the class is then
    not confirmed automatically, and the tutor and the agency's managers are told."""
    actor = require_here(actor)
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if not isinstance(reason, str):
        errors["reason"] = ["Enter text."]
    else:
        reason = reason.strip()
        if not reason:
            errors["reason"] = ["Say what went wrong."]
        elif len(reason) > REASON_LIMIT:
            errors["reason"] = [f"Use at most {REASON_LIMIT} characters."]
    session = _locked(session)
    completion = _completion(session)
    _problem_check(session_side(actor, session), session, completion, now)
    if errors:
        raise ValidationError(errors)
    completion = completion or SessionCompletion(session=session)
    completion.problem_reported_by = actor.user
    completion.problem_reported_at = now
    completion.problem_reason = reason
    completion.save()
    _audit(actor, "meetings.session.problem_reported", session, request)
    session_notify(
        session=session,
        user_ids={session.tutor.user_id} | manager_ids(),
        event="meetings.completion_problem",
        headline="Problem reported",
        body=reason,
        skip=actor.user_id,
    )
    return completion
