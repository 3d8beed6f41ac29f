"""Recording who was in a session's meeting: joins through the platform and the joined
and left events providers report (webhooks, possibly retried and out of order).

Each event is stored once (``dedupe_key``) and folded into the person's ``Attendance``.
The summary is recomputed from all of that person's events, so events arriving late or
twice leave the same result as events arriving in order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction

from meetings.models import Attendance, AttendanceEvent
from scheduling.models import Session

__all__ = ["PLATFORM", "attendance_record", "attended"]

PLATFORM = "platform"
Kind = AttendanceEvent.Kind


def _attendance(session: Session, *, user, role: str, display_name: str, email: str, at):
    """The person's attendance row (made on first sight), locked for this transaction."""
    rows = Attendance.objects.select_for_update().filter(session_id=session.pk)
    if user is not None:
        row = rows.filter(user_id=user.pk).first()
    elif email:
        row = rows.filter(user__isnull=True, email__iexact=email).first()
    else:
        row = rows.filter(user__isnull=True, email="", display_name=display_name).first()
    if row is None:
        row = Attendance.objects.create(
            session_id=session.pk,
            user=user,
            role=role,
            display_name=display_name or (user.get_full_name() if user is not None else ""),
            email=email or (user.email if user is not None else ""),
            first_joined_at=at,
            last_joined_at=at,
        )
    return row


def _summarize(row: Attendance) -> None:
    """Recompute the summary from every event of ``row`` (order of arrival is irrelevant)."""
    events = list(row.events.order_by("occurred_at", "id"))
    joins = [event for event in events if event.kind == Kind.JOINED]
    lefts = [event for event in events if event.kind == Kind.LEFT]
    if joins:
        row.first_joined_at = joins[0].occurred_at
        row.last_joined_at = joins[-1].occurred_at
    row.last_left_at = lefts[-1].occurred_at if lefts else None
    row.join_count = sum(1 for event in joins if event.source == PLATFORM) or len(joins)
    row.via_platform = any(event.source == PLATFORM for event in events)
    row.via_provider = any(event.source != PLATFORM for event in events)
    # Time present: from each provider "joined" to the next "left".
    seconds = 0
    since: dt.datetime | None = None
    for event in events:
        if event.source == PLATFORM:
            continue
        if event.kind == Kind.JOINED and since is None:
            since = event.occurred_at
        elif event.kind == Kind.LEFT and since is not None:
            seconds += int((event.occurred_at - since).total_seconds())
            since = None
    row.seconds_present = max(0, seconds)
    row.save()


def attendance_record(
    *,
    session: Session,
    kind: str,
    source: str,
    occurred_at: dt.datetime,
    user=None,
    role: str = "",
    display_name: str = "",
    email: str = "",
    dedupe_key: str = "",
    detail: dict[str, Any] | None = None,
) -> AttendanceEvent | None:
    """Store one joined/left event and update the person's attendance.

    ``user`` is the account when known (the join endpoint, or a provider participant
    matched by email); otherwise the person is kept by email or display name. Returns
    None when ``dedupe_key`` was already recorded (a retried webhook).
    """
    if kind not in Kind.values:
        raise ValueError(f"Unknown attendance event {kind!r}")
    with transaction.atomic():
        # One writer per session at a time: two first joins cannot make two rows.
        Session.objects.select_for_update().filter(pk=session.pk).values_list("pk").first()
        if dedupe_key and AttendanceEvent.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        row = _attendance(
            session, user=user, role=role, display_name=display_name, email=email, at=occurred_at
        )
        if not row.role and role:
            row.role = role
        try:
            with transaction.atomic():
                event = AttendanceEvent.objects.create(
                    session_id=session.pk,
                    attendance=row,
                    kind=kind,
                    source=source,
                    occurred_at=occurred_at,
                    dedupe_key=dedupe_key,
                    detail=detail or {},
                )
        except IntegrityError:
            return None  # the same provider event, recorded by a concurrent delivery
        _summarize(row)
    return event


def attended(session: Session) -> dict[str, bool]:
    """Whether the tutor's side and the student's side were present, from attendance."""
    roles = set(Attendance.objects.filter(session_id=session.pk).values_list("role", flat=True))
    return {
        "tutor": Attendance.Role.TUTOR in roles,
        "student": bool(roles & {Attendance.Role.STUDENT, Attendance.Role.PARENT}),
    }
