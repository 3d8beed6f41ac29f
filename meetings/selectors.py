"""Reads of the meetings domain: the agency's overview of meetings, and what one session's
meeting panel shows its viewer.

Each listed session carries its meeting (or "not set up" when a confirmed session has no
meeting yet), the join window under the tenant's policy, who attended and the state of
its completion. A page of the overview costs the same few queries whatever its size.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership
from config.errors import ApplicationError
from crm.minors import ADULT_AGE, student_age
from meetings.models import (
    Attendance,
    Meeting,
    MeetingSettings,
    MeetingStatus,
    Recording,
    RecordingConsent,
    SessionCompletion,
)
from meetings.providers import provider_choices
from meetings.services.completion import completion_actions, session_side
from meetings.services.consent import consent_actions, recording_consent_in_force
from meetings.services.joining import join_check
from meetings.window import join_window
from scheduling.models import Session
from scheduling.selectors.history import viewer_zone

__all__ = [
    "DEFAULT_DAYS",
    "MAX_RANGE_DAYS",
    "NOT_SET_UP",
    "STATUS_FILTERS",
    "CompletionState",
    "MeetingRow",
    "MeetingSummary",
    "completion_state",
    "meeting_list",
    "meeting_rows",
    "provider_labels",
    "session_meeting_summary",
]

Status = Session.Status
NOT_SET_UP = "not_set_up"
STATUS_FILTERS = [*MeetingStatus.choices, (NOT_SET_UP, "Not set up")]
DEFAULT_DAYS = 14
MAX_RANGE_DAYS = 92
# Sessions that have (or had) a class to meet in; others appear only with a meeting row
# (a cancelled session's cancelled meeting).
MEETING_STATUSES = (Status.CONFIRMED, Status.COMPLETED, Status.NO_SHOW)


@dataclass(frozen=True)
class CompletionState:
    key: str  # upcoming, awaiting, held, problem, completed, or the session's status
    label: str
    completion: SessionCompletion | None
    auto_confirm_at: dt.datetime | None = None


@dataclass(frozen=True)
class MeetingRow:
    """One session as the overview shows it."""

    session: Session
    meeting: Meeting | None
    status: str  # a MeetingStatus, "not_set_up", or "" (no meeting and none expected)
    status_label: str
    provider: str
    provider_label: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    window_open: bool
    attendance: list[Attendance]
    completion: CompletionState
    can_retry: bool


@dataclass(frozen=True)
class MeetingSummary:
    """What the session page's meeting panel shows its viewer, and what they may do."""

    row: MeetingRow
    side: str | None
    can_join: bool
    join_note: str
    show_error: bool
    actions: dict[str, bool]
    recordings_enabled: bool
    consent: RecordingConsent | None
    consent_actions: dict[str, bool]
    consent_note: str = ""
    recordings: list[Recording] = field(default_factory=list)


def provider_labels() -> dict[str, str]:
    return dict(provider_choices())


def _one(session: Session, name: str):
    """A reverse one-to-one (``meeting``, ``completion``) or None when there is none."""
    return getattr(session, name, None)


def completion_state(
    session: Session,
    completion: SessionCompletion | None,
    *,
    policy: MeetingSettings,
    now: dt.datetime,
) -> CompletionState:
    """Where the class stands between "held" and "confirmed", in words."""
    if session.status == Status.COMPLETED:
        if completion is not None and completion.confirmed_at is not None:
            label = completion.get_confirmed_via_display()
        else:
            label = "Completed"
        return CompletionState("completed", label, completion)
    if session.status != Status.CONFIRMED:
        return CompletionState(session.status, session.get_status_display(), completion)
    if now < session.starts_at:
        return CompletionState("upcoming", "Not started yet", completion)
    auto_at = (
        session.ends_at + dt.timedelta(hours=policy.auto_confirm_hours)
        if policy.auto_confirm_hours
        else None
    )
    if completion is not None and completion.problem_reported_at is not None:
        return CompletionState("problem", "Problem reported", completion)
    if completion is not None and completion.held_marked_at is not None:
        return CompletionState(
            "held", "Marked held; waiting for the student's confirmation", completion, auto_at
        )
    return CompletionState("awaiting", "Waiting for confirmation", completion, auto_at)


def _meeting_status(session: Session, meeting: Meeting | None) -> tuple[str, str]:
    if meeting is not None:
        return meeting.status, meeting.get_status_display()
    if session.status == Status.CONFIRMED:
        return NOT_SET_UP, "Not set up"
    return "", "No meeting"


def meeting_rows(
    *,
    sessions,
    policy: MeetingSettings | None = None,
    now: dt.datetime | None = None,
) -> list[MeetingRow]:
    """The rows of ``sessions`` (from ``meeting_list``: meeting, completion and attendance
    already loaded); no further queries but the tenant's policy when not given."""
    policy = policy or MeetingSettings.current()
    now = now or timezone.now()
    labels = provider_labels()
    rows = []
    for session in sessions:
        meeting = _one(session, "meeting")
        status, status_label = _meeting_status(session, meeting)
        opens_at, closes_at = join_window(session, policy)
        provider = meeting.provider if meeting is not None else ""
        live = session.status == Status.CONFIRMED and session.ends_at > now
        rows.append(
            MeetingRow(
                session=session,
                meeting=meeting,
                status=status,
                status_label=status_label,
                provider=provider,
                provider_label=labels.get(provider, provider),
                opens_at=opens_at,
                closes_at=closes_at,
                window_open=session.status == Status.CONFIRMED and opens_at <= now <= closes_at,
                attendance=list(session.attendances.all()),
                completion=completion_state(
                    session, _one(session, "completion"), policy=policy, now=now
                ),
                can_retry=live and status in (MeetingStatus.FAILED, NOT_SET_UP),
            )
        )
    return rows


def _day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def meeting_list(
    *,
    viewer: Membership,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    tutor: int | None = None,
    status: str = "",
    provider: str = "",
    zone: zoneinfo.ZoneInfo | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Session]:
    """The agency's meetings (owners, admins and staff), soonest first.

    Without dates: those not yet over that start within ``DEFAULT_DAYS``. Dates are days
    in ``zone`` (the viewer's), both included; one bound alone spans ``DEFAULT_DAYS``.
    ``status`` is a meeting status or ``NOT_SET_UP``; ``provider`` a provider's name.
    """
    if not viewer.is_agency_staff:
        raise PermissionDenied("Only the agency's staff can see all meetings.")
    zone = zone or viewer_zone(viewer)
    now = now or timezone.now()
    sessions = Session.objects.filter(Q(status__in=MEETING_STATUSES) | Q(meeting__isnull=False))
    if date_from is None and date_to is None:
        sessions = sessions.filter(
            ends_at__gt=now, starts_at__lt=now + dt.timedelta(days=DEFAULT_DAYS)
        )
    else:
        if date_from is None:
            date_from = date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
        if date_to is None:
            date_to = date_from + dt.timedelta(days=DEFAULT_DAYS - 1)
        sessions = sessions.filter(
            starts_at__gte=_day_start(date_from, zone),
            starts_at__lt=_day_start(date_to + dt.timedelta(days=1), zone),
        )
    if tutor is not None:
        sessions = sessions.filter(tutor_id=tutor)
    if status == NOT_SET_UP:
        sessions = sessions.filter(meeting__isnull=True, status=Status.CONFIRMED)
    elif status:
        sessions = sessions.filter(meeting__status=status)
    if provider:
        sessions = sessions.filter(meeting__provider=provider)
    return (
        sessions.select_related("tutor__user", "student", "subject", "meeting", "completion")
        .prefetch_related(
            Prefetch("attendances", queryset=Attendance.objects.order_by("first_joined_at", "id"))
        )
        .order_by("starts_at", "id")
    )


def _join_offer(viewer: Membership, session: Session, policy, now) -> tuple[bool, str]:
    """Whether to offer the join link, else why not (``join_check``: the join endpoint's
    own rules). Someone who may never join this class is told nothing."""
    check = join_check(actor=viewer, session=session, now=now, policy=policy)
    if check.allowed:
        return True, ""
    if isinstance(check.refusal, ApplicationError):
        return False, check.refusal.message
    return False, ""


def session_meeting_summary(
    *, viewer: Membership, session: Session, now: dt.datetime | None = None
) -> MeetingSummary:
    """The meeting panel of ``session`` (one the viewer may see: ``session_get``)."""
    now = now or timezone.now()
    policy = MeetingSettings.current()
    loaded = (
        Session.objects.select_related(
            "tutor__user",
            "student",
            "subject",
            "meeting",
            "completion__held_marked_by",
            "completion__confirmed_by",
            "completion__problem_reported_by",
        )
        .prefetch_related(
            Prefetch("attendances", queryset=Attendance.objects.order_by("first_joined_at", "id"))
        )
        .get(pk=session.pk)
    )
    [row] = meeting_rows(sessions=[loaded], policy=policy, now=now)
    side = session_side(viewer, loaded)
    can_join, join_note = _join_offer(viewer, loaded, policy, now)
    in_force = recording_consent_in_force(loaded)
    allowed = consent_actions(side=side, session=loaded, policy=policy, in_force=in_force, now=now)
    consent_note = ""
    if (
        side == "student"
        and policy.recordings_enabled
        and in_force is None
        and student_age(loaded.student) < ADULT_AGE
    ):
        consent_note = "For a student under 18, a linked parent gives consent."
    recordings = []
    if side is not None and row.meeting is not None:
        recordings = list(Recording.objects.filter(meeting=row.meeting))
    return MeetingSummary(
        row=row,
        side=side,
        can_join=can_join,
        join_note=join_note,
        show_error=side == "staff",
        actions=completion_actions(
            side=side, session=loaded, completion=row.completion.completion, now=now
        ),
        recordings_enabled=policy.recordings_enabled,
        consent=in_force,
        consent_actions=allowed,
        consent_note=consent_note,
        recordings=recordings,
    )
