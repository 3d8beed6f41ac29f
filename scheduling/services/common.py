"""Pieces every scheduling write shares: prices, overlap errors and policy outcomes."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from crm.models import Subject, TutorAssignment, TutorProfile, TutorSubject
from scheduling.models import Session, SessionChange
from scheduling.policy import Policy, policy_for

__all__ = [
    "OVERLAP_CONSTRAINTS",
    "assignment_ensure",
    "change_record",
    "no_overlap",
    "session_price",
]

OVERLAP_CONSTRAINTS = {
    "scheduling_session_tutor_no_overlap": "The tutor already has a session at this time.",
    "scheduling_session_student_no_overlap": "The student already has a session at this time.",
}


def session_price(
    *, tutor: TutorProfile, subject: Subject, minutes: int, level: str = ""
) -> tuple[int, str]:
    """The price in minor units and its currency: the tutor's hourly rate, pro rata.

    With several levels of the subject and none named, the lowest rate applies. A tutor
    who teaches the subject without a rate is booked free of charge (an agency that bills
    outside the platform); one who does not teach it cannot be booked for it.
    """
    rates = TutorSubject.objects.filter(profile=tutor, subject=subject)
    if level:
        rates = rates.filter(level=level)
    choice = rates.order_by("hourly_rate_minor", "id").first()
    if choice is None:
        raise ValidationError({"subject": ["This tutor does not teach this subject."]})
    if not choice.hourly_rate_minor:
        return 0, choice.currency
    price = (Decimal(choice.hourly_rate_minor) * minutes / 60).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(price), choice.currency


@contextlib.contextmanager
def no_overlap(field: str = "starts_at") -> Iterator[None]:
    """Turn the database's refusal of an overlapping session into a field error.

    Runs the block in a savepoint so the surrounding transaction stays usable.
    """
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        name = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
        if name in OVERLAP_CONSTRAINTS:
            raise ValidationError({field: [OVERLAP_CONSTRAINTS[name]]}) from error
        raise


def _fee(price_minor: int, percent: int) -> int:
    return int((Decimal(price_minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def change_record(
    *,
    session: Session,
    kind: str,
    party: str,
    actor: User | None,
    reason: str = "",
    previous_starts_at: dt.datetime,
    previous_ends_at: dt.datetime,
    new_starts_at: dt.datetime | None = None,
    new_ends_at: dt.datetime | None = None,
    policy: Policy | None = None,
    now: dt.datetime | None = None,
) -> SessionChange:
    """Record a cancellation, reschedule or no-show with the policy's outcome.

    Outcomes (documented in docs/architecture.md):
    - the tutor or the agency cancels or does not show: the student owes nothing;
    - the student side cancels inside the free window (or a request not yet confirmed):
      nothing is due; later: ``late_cancellation_fee_percent`` of the price;
    - the student does not show: ``no_show_fee_percent``;
    - a reschedule is free (the service refuses late ones and ones over the limit).
    ``refund_minor`` is the part of the price to return if it was paid (the session must
    still carry its status from before the change).
    """
    now = now or timezone.now()
    policy = policy or policy_for(session.tutor)
    notice = previous_starts_at - now
    notice_hours = Decimal(notice.total_seconds() / 3600).quantize(Decimal("0.01"))
    within_free_window = notice >= dt.timedelta(hours=policy.free_cancellation_hours)
    # Only a confirmed session has been (or is being) paid for; a request owes nothing.
    charged = session.status == Session.Status.CONFIRMED
    percent = 0
    if party == SessionChange.Party.STUDENT and charged:
        if kind == SessionChange.Kind.NO_SHOW:
            percent = policy.no_show_fee_percent
        elif kind == SessionChange.Kind.CANCELLATION and not within_free_window:
            percent = policy.late_cancellation_fee_percent
    fee = _fee(session.price_minor, percent)
    return SessionChange.objects.create(
        session=session,
        kind=kind,
        party=party,
        actor=actor,
        reason=reason,
        previous_starts_at=previous_starts_at,
        previous_ends_at=previous_ends_at,
        new_starts_at=new_starts_at,
        new_ends_at=new_ends_at,
        notice_hours=notice_hours,
        within_free_window=within_free_window,
        fee_percent=percent,
        fee_minor=fee,
        refund_minor=(
            session.price_minor - fee if charged and kind != SessionChange.Kind.RESCHEDULE else 0
        ),
        currency=session.currency,
    )


def assignment_ensure(
    *, actor: Membership, tutor: TutorProfile, student, subject, request, by: str
) -> None:
    """Let the tutor see the student they were booked with (``by``: "booking", "series")."""
    assignment, created = TutorAssignment.objects.get_or_create(
        student=student,
        tutor_id=tutor.user_id,
        defaults={"subject": subject, "assigned_by": actor.user},
    )
    if created:
        audit_record(
            action="crm.tutor.assigned",
            actor=actor.user,
            tenant=actor.tenant,
            target=assignment,
            data={"student": student.pk, "tutor": tutor.user_id, "by": by},
            request=request,
        )
