"""Consent to record a class, from the student's side.

- Only where the agency turned recordings on (``MeetingSettings.recordings_enabled``).
- An adult student gives it from their own account; for a student under 18 only a linked
  parent may give it. Either may be given before the class ends (upcoming or in
  progress).
- Withdrawing is always possible for the student or a linked parent (a child too: saying
  "do not record me" needs no guardian). The row stays, stamped, as the record of what
  was agreed when; a new consent can be given afterwards.
- At most one consent is in force per session (a database constraint).

Giving and withdrawing are audited, with the address the consent came from, and the
tutor is told (they start and stop recording).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Membership
from audit.services import audit_record, client_ip
from config.errors import ApplicationError
from crm.guards import require_here
from crm.minors import ADULT_AGE, student_age
from meetings.models import MeetingSettings, RecordingConsent
from meetings.services.completion import STUDENT_SIDE, session_notify, session_side
from scheduling.models import Session

__all__ = [
    "consent_actions",
    "recording_consent_give",
    "recording_consent_in_force",
    "recording_consent_withdraw",
]

Status = Session.Status
OPEN_STATUSES = (Status.REQUESTED, Status.CONFIRMED)


def recording_consent_in_force(session: Session) -> RecordingConsent | None:
    """The consent not withdrawn, if any."""
    return (
        RecordingConsent.objects.filter(session_id=session.pk, withdrawn_at__isnull=True)
        .select_related("given_by")
        .first()
    )


def _give_check(side, session: Session, policy, in_force, now: dt.datetime) -> None:
    if side not in STUDENT_SIDE:
        raise PermissionDenied("Only the student or a linked parent can consent to recording.")
    if side == "student" and student_age(session.student) < ADULT_AGE:
        raise ApplicationError(
            "For a student under 18, a linked parent gives consent to recording.",
            code="parent_consent_required",
            status=403,
        )
    if not policy.recordings_enabled:
        raise ApplicationError(
            "This agency does not record classes.", code="recordings_disabled", status=409
        )
    if session.status not in OPEN_STATUSES or session.ends_at <= now:
        raise ApplicationError(
            "Consent can be given only for a class that has not ended.",
            code="session_over",
            status=409,
        )
    if in_force is not None:
        raise ApplicationError(
            "Consent to record this class has already been given.",
            code="consent_already_given",
            status=409,
        )


def _withdraw_check(side, session: Session, policy, in_force, now: dt.datetime) -> None:
    if side not in STUDENT_SIDE:
        raise PermissionDenied("Only the student or a linked parent can withdraw consent.")
    if in_force is None:
        raise ApplicationError(
            "There is no consent in force to withdraw.", code="no_consent", status=409
        )


def consent_actions(
    *,
    side: str | None,
    session: Session,
    policy: MeetingSettings,
    in_force: RecordingConsent | None,
    now: dt.datetime | None = None,
) -> dict[str, bool]:
    """Whether someone on ``side`` may give or withdraw consent now (the services' checks)."""
    now = now or timezone.now()
    allowed = {}
    for action, check in (("give", _give_check), ("withdraw", _withdraw_check)):
        try:
            check(side, session, policy, in_force, now)
        except (PermissionDenied, ApplicationError):
            allowed[action] = False
        else:
            allowed[action] = True
    return allowed


def _locked(session: Session) -> Session:
    return (
        Session.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "student", "subject")
        .get(pk=session.pk)
    )


def _tell_tutor(session: Session, actor: Membership, *, given: bool) -> None:
    session_notify(
        session=session,
        user_ids={session.tutor.user_id},
        event=(
            "meetings.recording_consent_given" if given else "meetings.recording_consent_withdrawn"
        ),
        headline="Recording allowed" if given else "Recording no longer allowed",
        body=(
            "The student's side consented to recording this class."
            if given
            else "The student's side withdrew their consent: do not record this class."
        ),
        skip=actor.user_id,
    )


def recording_consent_give(
    *, actor: Membership, session: Session, request=None
) -> RecordingConsent:
    """Record the student's side's consent to record ``session``, with the caller's address."""
    actor = require_here(actor)
    now = timezone.now()
    policy = MeetingSettings.current()
    try:
        with transaction.atomic():
            session = _locked(session)
            in_force = recording_consent_in_force(session)
            _give_check(session_side(actor, session), session, policy, in_force, now)
            ip_address = client_ip(request)
            consent = RecordingConsent.objects.create(
                session=session, given_by=actor.user, given_at=now, ip_address=ip_address
            )
            audit_record(
                action="meetings.recording_consent.given",
                actor=actor.user,
                tenant=actor.tenant,
                target=session,
                data={"session": session.pk, "consent": consent.pk},
                request=request,
            )
            _tell_tutor(session, actor, given=True)
    except IntegrityError as error:
        # The one-in-force constraint: a consent given meanwhile by someone else.
        raise ApplicationError(
            "Consent to record this class has already been given.",
            code="consent_already_given",
            status=409,
        ) from error
    return consent


@transaction.atomic
def recording_consent_withdraw(
    *, actor: Membership, session: Session, request=None
) -> RecordingConsent:
    """Withdraw the consent in force; the row is kept, stamped with who and when."""
    actor = require_here(actor)
    now = timezone.now()
    session = _locked(session)
    in_force = recording_consent_in_force(session)
    _withdraw_check(session_side(actor, session), session, MeetingSettings.current(), in_force, now)
    in_force.withdrawn_at = now
    in_force.withdrawn_by = actor.user
    in_force.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        action="meetings.recording_consent.withdrawn",
        actor=actor.user,
        tenant=actor.tenant,
        target=session,
        data={"session": session.pk, "consent": in_force.pk},
        request=request,
    )
    _tell_tutor(session, actor, given=False)
    return in_force
