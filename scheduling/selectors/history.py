"""Reads of a session's history: search, notes each viewer may see, attachments, outcomes.

Notes have three audiences. ``tutor_notes`` are the session's tutor's alone (the
agency's staff do not see them either); ``student_notes`` belong to the student's side
(the student and their linked parents); ``summary`` and ``homework`` are written by the
tutor or the agency's staff and seen by everyone who sees the session.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Membership
from scheduling.models import Session, SessionAttachment, SessionChange
from scheduling.policy import policy_for
from scheduling.selectors.sessions import session_list, session_party

__all__ = [
    "EXPORT_COLUMNS",
    "NOTE_FIELDS",
    "CancelOutcome",
    "money_text",
    "note_fields_editable",
    "note_fields_visible",
    "session_attachment_get",
    "session_attachment_list",
    "session_cancel_outcome",
    "session_change_list",
    "session_export_header",
    "session_export_rows",
    "session_search",
    "viewer_zone",
]

NOTE_FIELDS = ("tutor_notes", "student_notes", "summary", "homework")
SHARED_NOTES = ("summary", "homework")

_VISIBLE = {
    "tutor": ("tutor_notes", "summary", "homework"),
    "student": ("student_notes", "summary", "homework"),
    "agency": SHARED_NOTES,
}
_EDITABLE = {
    "tutor": ("tutor_notes", "summary", "homework"),
    "student": ("student_notes",),
    "agency": SHARED_NOTES,
}


def note_fields_visible(party: str | None) -> tuple[str, ...]:
    """The note fields the viewer on ``party``'s side of a session may read."""
    return _VISIBLE.get(party or "", ())


def note_fields_editable(party: str | None) -> tuple[str, ...]:
    """The note fields the viewer on ``party``'s side of a session may write."""
    return _EDITABLE.get(party or "", ())


def own_notes_field(viewer: Membership) -> str | None:
    """The private notes field of the viewer's side in every session they see, if any.

    A tutor sees only their own sessions and a student or parent only their side's, so
    the field is the same for every row of their ``session_list``.
    """
    if viewer.role == Membership.Role.TUTOR:
        return "tutor_notes"
    if viewer.role in (Membership.Role.STUDENT, Membership.Role.PARENT):
        return "student_notes"
    return None


def viewer_zone(viewer: Membership) -> zoneinfo.ZoneInfo:
    """The viewer's own time zone (UTC when unset or unknown)."""
    try:
        return zoneinfo.ZoneInfo(viewer.user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _id(value) -> int | None:
    return getattr(value, "pk", value)


def _day_start(day: dt.date | dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if isinstance(day, dt.datetime):
        return day
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def session_search(
    *,
    viewer: Membership,
    date_from: dt.date | dt.datetime | None = None,
    date_to: dt.date | dt.datetime | None = None,
    tutor=None,
    student=None,
    subject=None,
    status: str | Iterable[str] | None = None,
    q: str = "",
    zone: zoneinfo.ZoneInfo | None = None,
) -> QuerySet[Session]:
    """The sessions ``viewer`` may see, narrowed, newest first, in a fixed number of queries.

    Dates are days in ``zone`` (the viewer's by default), both ends included; datetimes
    are taken as instants. ``tutor``, ``student`` and ``subject`` are profiles/subjects or
    their ids. ``q`` matches every word in the subject, the tutor's or the student's name,
    the shared summary and homework, and the viewer's own side's private notes (never the
    other side's).
    """
    zone = zone or viewer_zone(viewer)
    sessions = session_list(viewer=viewer)
    if date_from is not None:
        sessions = sessions.filter(starts_at__gte=_day_start(date_from, zone))
    if date_to is not None:
        if isinstance(date_to, dt.datetime):
            sessions = sessions.filter(starts_at__lte=date_to)
        else:
            sessions = sessions.filter(
                starts_at__lt=_day_start(date_to + dt.timedelta(days=1), zone)
            )
    if tutor is not None:
        sessions = sessions.filter(tutor_id=_id(tutor))
    if student is not None:
        sessions = sessions.filter(student_id=_id(student))
    if subject is not None:
        sessions = sessions.filter(subject_id=_id(subject))
    if status:
        sessions = sessions.filter(status__in=[status] if isinstance(status, str) else list(status))
    own_notes = own_notes_field(viewer)
    for word in (q or "").split():
        match = (
            Q(subject__name__icontains=word)
            | Q(tutor__user__first_name__icontains=word)
            | Q(tutor__user__last_name__icontains=word)
            | Q(tutor__invited_first_name__icontains=word)
            | Q(tutor__invited_last_name__icontains=word)
            | Q(student__first_name__icontains=word)
            | Q(student__last_name__icontains=word)
            | Q(summary__icontains=word)
            | Q(homework__icontains=word)
        )
        if own_notes:
            match |= Q(**{f"{own_notes}__icontains": word})
        sessions = sessions.filter(match)
    attachments = (
        SessionAttachment.objects.filter(session=OuterRef("pk"))
        .order_by()
        .values("session")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        sessions.select_related("tutor__user", "student", "subject")
        .annotate(attachment_count=Coalesce(Subquery(attachments, output_field=IntegerField()), 0))
        .order_by("-starts_at", "-id")
    )


# Attachments and policy outcomes ----------------------------------------------------------


def session_attachment_list(*, viewer: Membership, session: Session) -> QuerySet:
    """The files shared on ``session`` (none unless ``viewer`` may see it), oldest first."""
    visible = session_list(viewer=viewer).filter(pk=session.pk).values("pk")
    return (
        SessionAttachment.objects.filter(session__in=visible)
        .select_related("document", "uploaded_by")
        .order_by("created_at", "id")
    )


def session_attachment_get(*, viewer: Membership, pk: int) -> SessionAttachment | None:
    """One attachment of a session ``viewer`` may see, or None (a 404 for anyone else)."""
    visible = session_list(viewer=viewer).values("pk")
    return (
        SessionAttachment.objects.filter(pk=pk, session__in=visible)
        .select_related("document", "uploaded_by", "session")
        .first()
    )


def session_change_list(*, session: Session) -> QuerySet[SessionChange]:
    """The cancellations, reschedules and no-shows of a session, with their outcomes."""
    return session.changes.select_related("actor").order_by("created_at", "id")


def money_text(minor: int, currency: str) -> str:
    """``4000, "GBP"`` → ``"GBP 40.00"`` (two decimals, as the crm shows rates)."""
    return f"{currency} {Decimal(minor) / 100:.2f}"


@dataclass(frozen=True)
class CancelOutcome:
    party: str
    within_free_window: bool
    free_cancellation_hours: int
    fee_percent: int
    fee_minor: int
    currency: str

    @property
    def text(self) -> str:
        if self.fee_minor:
            return (
                f"Cancelling now, less than {self.free_cancellation_hours} hours before the "
                f"start, costs a late-cancellation fee of {self.fee_percent} % "
                f"({money_text(self.fee_minor, self.currency)})."
            )
        if self.party == "student" and not self.within_free_window:
            return "Cancelling now is free: the session has not been confirmed or is free."
        if self.party in ("tutor", "agency"):
            return "Cancelling is free for the student; anything paid is refunded in full."
        return (
            f"Cancelling now is free: it is at least {self.free_cancellation_hours} hours "
            "before the start."
        )


def session_cancel_outcome(
    *, viewer: Membership, session: Session, now: dt.datetime | None = None
) -> CancelOutcome:
    """What cancelling ``session`` now would cost, by the policy ``change_record`` applies."""
    now = now or timezone.now()
    party = session_party(viewer=viewer, session=session) or ""
    policy = policy_for(session.tutor)
    within = session.starts_at - now >= dt.timedelta(hours=policy.free_cancellation_hours)
    percent = 0
    if party == "student" and session.status == Session.Status.CONFIRMED and not within:
        percent = policy.late_cancellation_fee_percent
    fee = int(
        (Decimal(session.price_minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    return CancelOutcome(
        party=party,
        within_free_window=within,
        free_cancellation_hours=policy.free_cancellation_hours,
        fee_percent=percent,
        fee_minor=fee,
        currency=session.currency,
    )


# CSV export -------------------------------------------------------------------------------

EXPORT_COLUMNS = (
    "session_id",
    "date",
    "start",
    "end",
    "time_zone",
    "minutes",
    "status",
    "subject",
    "tutor",
    "student",
    "price",
    "currency",
    "summary",
    "homework",
)


def session_export_header(*, viewer: Membership) -> tuple[str, ...]:
    """The export's columns; the tutor and the student's side also get their own notes."""
    return (*EXPORT_COLUMNS, "my_notes") if own_notes_field(viewer) else EXPORT_COLUMNS


def session_export_rows(
    *, viewer: Membership, sessions: QuerySet[Session], zone: zoneinfo.ZoneInfo
) -> Iterator[list]:
    """One row per session of ``sessions`` (from ``session_search``), times in ``zone``.

    Private notes appear only as the viewer's own side's (``my_notes``).
    """
    own_notes = own_notes_field(viewer)
    for session in sessions.iterator(chunk_size=500):
        start = session.starts_at.astimezone(zone)
        end = session.ends_at.astimezone(zone)
        row = [
            session.pk,
            start.date().isoformat(),
            start.strftime("%H:%M"),
            end.strftime("%H:%M"),
            zone.key,
            int(session.duration.total_seconds() // 60),
            session.get_status_display(),
            session.subject.name,
            session.tutor.full_name,
            session.student.full_name,
            f"{Decimal(session.price_minor) / 100:.2f}",
            session.currency,
            session.summary,
            session.homework,
        ]
        if own_notes:
            row.append(getattr(session, own_notes))
        yield row
