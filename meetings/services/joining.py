"""Entering a session's meeting through the platform: who may, when, and what it records.

Who:
- the session's tutor enters as moderator, the student's own account as participant;
- a linked parent enters as participant when the tenant lets parents join
  (``MeetingSettings.parents_may_join``), and always when the student has no account
  of their own: then the parent's account is the child's only way into the class (a
  young child joins at the parent's side), and it is the parent who gets the join link;
- owners, admins and staff enter as silent observers when the tenant allows it
  (``staff_may_observe``);
- nobody else. Someone who cannot see the session at all never gets this far: the
  views answer 404 for it.

When: the session is confirmed and its join window is open (``meetings.window``), and
its meeting is ready. A meeting still being set up, or one that failed, has a sync
queued (at most once a minute per session) and the person is asked to try again soon.

Then the join is recorded as attendance and in the audit log, and the provider hands out
a credential valid only inside the window.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_here
from crm.models import ParentLink, StudentProfile
from meetings.models import AttendanceRole, Meeting, MeetingSettings, MeetingStatus
from meetings.providers import provider_get
from meetings.providers.base import JoinTarget, MeetingError, Participant, RetryLaterError
from meetings.services.attendance import PLATFORM, attendance_record
from meetings.services.lifecycle import meeting_sync_queue
from meetings.window import join_window
from scheduling.models import Session, SessionStatus
from scheduling.selectors.sessions import session_list

__all__ = [
    "JoinCheck",
    "UpcomingClass",
    "join_begin",
    "join_check",
    "time_for",
    "upcoming_classes",
    "user_zone",
]

Role = Membership.Role
# Joins of a session whose meeting is not ready queue at most one sync this often.
SYNC_NUDGE_SECONDS = 60
# How long "try again" answers ask people (and API clients) to wait.
RETRY_AFTER_SECONDS = 60


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    """The user's own time zone (UTC when unset or unknown)."""
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def time_for(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """``Mon 3 Mar 2031, 13:45 (Europe/London)``: an instant as someone in ``zone`` reads it."""
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} ({zone.key})"


@dataclass(frozen=True)
class JoinCheck:
    """Whether someone may enter a session's meeting now, as what, and if not, why."""

    role: str  # a Participant role; empty for someone who is no party to the session
    attendance_role: str  # an AttendanceRole
    opens_at: dt.datetime
    closes_at: dt.datetime
    meeting: Meeting | None
    refusal: PermissionDenied | ApplicationError | None = None
    # The meeting is not ready: a sync should be queued.
    needs_sync: bool = False

    @property
    def allowed(self) -> bool:
        return self.refusal is None


def _linked(actor: Membership, student: StudentProfile) -> bool:
    return ParentLink.objects.filter(student_id=student.pk, parent_id=actor.user_id).exists()


def _parent_may_join(student: StudentProfile, policy: MeetingSettings) -> bool:
    return policy.parents_may_join or student.user_id is None


def _who(actor: Membership, session: Session, policy: MeetingSettings) -> tuple[str, str]:
    """(participant role, attendance role) of ``actor`` in ``session``; PermissionDenied
    for someone who may not join it."""
    require_here(actor)
    student = session.student
    if actor.role == Role.TUTOR and session.tutor.user_id == actor.user_id:
        return Participant.MODERATOR, AttendanceRole.TUTOR
    if actor.role == Role.STUDENT and student.user_id == actor.user_id:
        return Participant.PARTICIPANT, AttendanceRole.STUDENT
    if actor.role == Role.PARENT and _linked(actor, student):
        if not _parent_may_join(student, policy):
            raise PermissionDenied(
                f"Parents do not join classes at {actor.tenant.name}: "
                f"{student.first_name} joins with their own account."
            )
        return Participant.PARTICIPANT, AttendanceRole.PARENT
    if actor.is_agency_staff:
        if not policy.staff_may_observe:
            raise PermissionDenied(f"Staff of {actor.tenant.name} do not observe classes.")
        return Participant.OBSERVER, AttendanceRole.OBSERVER
    raise PermissionDenied("Only the tutor and the student of this class can join it.")


def _status_refusal(session: Session) -> ApplicationError:
    status = session.status
    if status == SessionStatus.REQUESTED:
        return ApplicationError(
            "This class has not been confirmed yet.", code="not_confirmed", status=409
        )
    if status == SessionStatus.CANCELLED:
        return ApplicationError("This class was cancelled.", code="session_cancelled", status=409)
    if status in (SessionStatus.DECLINED, SessionStatus.EXPIRED):
        return ApplicationError(
            "This class request was not accepted, so there is no class to join.",
            code="session_cancelled",
            status=409,
        )
    return ApplicationError("This class has ended.", code="session_ended", status=409)


def _when(
    session: Session,
    now: dt.datetime,
    window: tuple[dt.datetime, dt.datetime],
    zone: zoneinfo.ZoneInfo,
    policy: MeetingSettings,
) -> ApplicationError | None:
    if session.status != SessionStatus.CONFIRMED:
        return _status_refusal(session)
    opens, closes = window
    times = {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    if now < opens:
        early = policy.join_early_minutes
        ahead = f", {early} minutes before it starts" if early else ", when it starts"
        return ApplicationError(
            f"This class opens for joining at {time_for(opens, zone)}{ahead}.",
            code="too_early",
            status=409,
            extra=times,
        )
    if now > closes:
        return ApplicationError("This class has ended.", code="session_ended", status=409)
    return None


def _meeting_refusal(meeting: Meeting | None) -> ApplicationError | None:
    if meeting is None or meeting.status in (MeetingStatus.PENDING, MeetingStatus.CANCELLED):
        return ApplicationError(
            "The meeting room is being set up; try again in a minute.",
            code="meeting_pending",
            status=409,
            extra={"retry_after": RETRY_AFTER_SECONDS},
        )
    if meeting.status == MeetingStatus.FAILED:
        return ApplicationError(
            "The meeting room of this class could not be set up. The agency has been told "
            "and it is being tried again; try again in a few minutes.",
            code="meeting_failed",
            status=409,
            extra={"retry_after": RETRY_AFTER_SECONDS},
        )
    return None


def _meeting_of(session: Session) -> Meeting | None:
    """The session's meeting (from ``select_related`` when the caller loaded it)."""
    try:
        return session.meeting
    except Meeting.DoesNotExist:
        return None


def join_check(
    *,
    actor: Membership,
    session: Session,
    now: dt.datetime | None = None,
    policy: MeetingSettings | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
) -> JoinCheck:
    """Whether ``actor`` may enter ``session``'s meeting at ``now``; changes nothing.

    Refusals are worded for the person: times in ``zone`` (default: theirs).
    """
    now = now or timezone.now()
    policy = policy or MeetingSettings.current()
    zone = zone or user_zone(actor.user)
    opens, closes = join_window(session, policy)
    meeting = _meeting_of(session)
    role, attendance_role, refusal = "", "", None
    try:
        role, attendance_role = _who(actor, session, policy)
    except PermissionDenied as denied:
        refusal = denied
    needs_sync = False
    if refusal is None:
        refusal = _when(session, now, (opens, closes), zone, policy)
    if refusal is None:
        refusal = _meeting_refusal(meeting)
        needs_sync = refusal is not None
    return JoinCheck(
        role=role,
        attendance_role=attendance_role,
        opens_at=opens,
        closes_at=closes,
        meeting=meeting,
        refusal=refusal,
        needs_sync=needs_sync,
    )


def _sync_nudge(session: Session) -> None:
    """Queue a sync of a meeting people are waiting for, at most once a minute."""
    if cache.add(f"meetings:join-sync:{session.pk}", 1, timeout=SYNC_NUDGE_SECONDS):
        meeting_sync_queue(session)


def join_begin(
    *,
    actor: Membership,
    session: Session,
    now: dt.datetime | None = None,
    request=None,
) -> tuple[Participant, JoinTarget]:
    """Let ``actor`` into ``session``'s meeting: check who and when, record the join, and
    return who they are in the room with where to go (a fresh, short-lived credential).

    Raises ``PermissionDenied`` for someone who may not join this class, and
    ``ApplicationError`` when it cannot be joined now (not confirmed, outside the
    window, the meeting not ready, the provider not answering).
    """
    now = now or timezone.now()
    check = join_check(actor=actor, session=session, now=now)
    if check.needs_sync:
        _sync_nudge(session)
    if check.refusal is not None:
        raise check.refusal
    meeting = check.meeting
    user = actor.user
    participant = Participant(
        user_id=user.pk,
        name=user.get_full_name() or user.email,
        email=user.email,
        role=check.role,
    )
    try:
        provider = provider_get(meeting.provider)
        target = provider.join_target(
            meeting=meeting,
            participant=participant,
            not_before=check.opens_at,
            not_after=check.closes_at,
        )
    except RetryLaterError as error:
        raise ApplicationError(
            "The meeting service is busy; try again in a moment.",
            code="provider_unavailable",
            status=503,
            extra={"retry_after": error.retry_after or RETRY_AFTER_SECONDS},
        ) from error
    except MeetingError as error:
        raise ApplicationError(
            "The meeting room could not be opened; try again in a moment. If it keeps "
            "happening, tell the agency.",
            code="provider_error",
            status=502,
        ) from error
    with transaction.atomic():
        attendance_record(
            session=session,
            kind="joined",
            source=PLATFORM,
            occurred_at=now,
            user=user,
            role=check.attendance_role,
            display_name=participant.name,
            email=user.email,
            detail={"participant": participant.role},
        )
        audit_record(
            action="meetings.session.joined",
            actor=user,
            tenant=actor.tenant,
            target=session,
            data={
                "session": session.pk,
                "role": check.attendance_role,
                "participant": participant.role,
                "provider": meeting.provider,
            },
            request=request,
        )
    return participant, target


# The dashboards' next classes ----------------------------------------------------------------


@dataclass(frozen=True)
class UpcomingClass:
    """One of the viewer's next classes, with whether (and from when) they can join."""

    session: Session
    title: str  # "Mathematics with Theo Turner"
    opens_at: dt.datetime
    closes_at: dt.datetime
    is_open: bool
    may_join: bool
    note: str = ""  # why there is no join button for this viewer


def _title(viewer: Membership, session: Session) -> str:
    subject = session.subject.name
    if viewer.role == Role.TUTOR:
        return f"{subject} with {session.student.full_name}"
    if viewer.role == Role.PARENT:
        return f"{session.student.first_name}'s {subject} with {session.tutor.full_name}"
    return f"{subject} with {session.tutor.full_name}"


def upcoming_classes(
    *, viewer: Membership, now: dt.datetime | None = None, days: int = 7, limit: int = 10
) -> list[UpcomingClass]:
    """The viewer's confirmed classes of the next ``days`` days (a parent: their
    children's), in two queries however many there are.

    A class stays listed until its join window closes.
    """
    now = now or timezone.now()
    policy = MeetingSettings.current()
    grace = dt.timedelta(minutes=policy.join_grace_minutes)
    sessions = (
        session_list(viewer=viewer)
        .filter(
            status=SessionStatus.CONFIRMED,
            ends_at__gt=now - grace,
            starts_at__lt=now + dt.timedelta(days=days),
        )
        .select_related("tutor__user", "student", "subject", "meeting")
        .order_by("starts_at", "pk")[:limit]
    )
    classes = []
    for session in sessions:
        opens, closes = join_window(session, policy)
        may_join, note = True, ""
        if viewer.role == Role.PARENT and not _parent_may_join(session.student, policy):
            may_join = False
            note = f"{session.student.first_name} joins with their own account."
        classes.append(
            UpcomingClass(
                session=session,
                title=_title(viewer, session),
                opens_at=opens,
                closes_at=closes,
                is_open=opens <= now <= closes,
                may_join=may_join,
                note=note,
            )
        )
    return classes
