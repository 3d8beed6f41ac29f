"""Keeping connected calendars in step with sessions (busy times: ``busy.py``).

``session_changed`` (sent after commit) queues one ``calendar_event_push`` per active
connection of the people in the session: the tutor, the student (when they have an
account) and the student's linked parents. The task looks at the session as it is *now*
rather than at the change that was announced, so tasks that run late, twice or out of
order still leave the calendar right:

- confirmed: the event exists at the session's times (created, or moved if they differ);
- requested, declined, expired, cancelled: no event (deleted if one was pushed). Requests
  are not pushed: most are answered within hours, a declined or expired one would leave
  churn in people's calendars, and the request already holds the slot on the platform;
- completed, no-show: the event stays as it was.

``ExternalEvent`` maps each session to its event per connection.

Every step holds the connection's row lock (``access.connection_step``), so pushes and
busy refreshes of one calendar run one at a time and a token refresh is never raced.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection as db
from django.db import transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Membership
from crm.models import ParentLink
from scheduling.calendars.access import CalendarAccess, connection_step
from scheduling.calendars.base import EventDetails
from scheduling.models import (
    CalendarConnection,
    ExternalEvent,
    Session,
    SessionStatus,
)
from scheduling.policy import schedule_for

__all__ = [
    "connection_backfill",
    "connection_sync_queue",
    "event_push",
    "session_changed_receiver",
    "session_connections",
]

KEPT_STATUSES = (SessionStatus.COMPLETED, SessionStatus.NO_SHOW)


# Who is in a session ----------------------------------------------------------------------


def _party_user_ids(session: Session) -> set[int]:
    """Accounts of the session's tutor, student and the student's linked parents."""
    users = {session.tutor.user_id, session.student.user_id}
    users |= set(
        ParentLink.objects.filter(student_id=session.student_id, parent__isnull=False).values_list(
            "parent_id", flat=True
        )
    )
    users.discard(None)
    return users


def session_connections(session: Session) -> list[int]:
    """Ids of the active connections to push ``session`` to: people of the session who are
    still active members of this tenant.
    """
    users = _party_user_ids(session)
    if not users:
        return []
    members = Membership.objects.filter(
        tenant__schema_name=db.schema_name, user_id__in=users, is_active=True
    ).values("user_id")
    return list(
        CalendarConnection.objects.filter(
            user_id__in=members, status=CalendarConnection.Status.ACTIVE
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def session_changed_receiver(sender, session: Session, change: str, **kwargs) -> None:
    """Queue a push of ``session`` to each connected calendar of its people (after commit)."""
    if (
        session.status == SessionStatus.REQUESTED
        and not ExternalEvent.objects.filter(session_id=session.pk).exists()
    ):
        return  # a new request: nothing to push (module doc)
    connection_ids = session_connections(session)
    if not connection_ids:
        return
    from scheduling.calendars.tasks import calendar_event_push

    def queue() -> None:
        for connection_id in connection_ids:
            calendar_event_push.delay(connection_id, session.pk)

    transaction.on_commit(queue, robust=True)


def connection_sync_queue(*, connection_id: int) -> None:
    """After a calendar is connected: read its busy times and push upcoming sessions."""
    from scheduling.calendars.tasks import calendar_busy_refresh, calendar_connection_backfill

    def queue() -> None:
        calendar_busy_refresh.delay(connection_id)
        calendar_connection_backfill.delay(connection_id)

    transaction.on_commit(queue, robust=True)


# Pushing sessions -------------------------------------------------------------------------


def _session_url(session: Session) -> str:
    """The session's page on the tenant's host."""
    try:
        path = reverse("scheduling:session_detail", kwargs={"pk": session.pk})
    except NoReverseMatch:  # pages not installed (a trimmed URL conf)
        path = "/"
    tenant = getattr(db, "tenant", None)
    if tenant is None or getattr(tenant, "pk", None) is None:
        return path
    return tenant.absolute_url(path)


def _title(session: Session, user_id: int) -> str:
    subject = session.subject.name
    if user_id == session.tutor.user_id:
        return f"{subject} with {session.student.full_name}"
    if user_id == session.student.user_id:
        return f"{subject} with {session.tutor.full_name}"
    return f"{session.student.full_name}: {subject} with {session.tutor.full_name}"


def event_details(session: Session, connection: CalendarConnection) -> EventDetails:
    """What the session looks like in ``connection``'s calendar.

    Only what the person already knows from their invitation: subject, the other person,
    times and a link. Never notes, prices or messages.
    """
    url = _session_url(session)
    tenant = getattr(db, "tenant", None)
    agency = getattr(tenant, "name", "") or "EduConnect"
    if connection.user_id == session.tutor.user_id:
        zone = schedule_for(session.tutor).zone.key
    else:
        zone = connection.user.time_zone or "UTC"
    return EventDetails(
        title=_title(session, connection.user_id),
        description=(
            f"Session booked through EduConnect ({agency}).\nDetails, changes and joining: {url}"
        ),
        url=url,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone=zone,
        key=f"{db.schema_name}:{session.pk}:{connection.pk}",
    )


def event_push(*, connection_id: int, session_id: int) -> str:
    """Bring ``connection``'s event for the session in line with the session (module doc).

    Returns what happened: created, updated, deleted, unchanged, kept, skipped, revoked
    or failed.
    """

    def work(connection: CalendarConnection, access: CalendarAccess) -> str:
        session = (
            Session.objects.select_related("tutor__user", "student", "subject")
            .filter(pk=session_id)
            .first()
        )
        if session is None:
            return "skipped"  # its events mapping went with it
        if session.status in KEPT_STATUSES:
            return "kept"
        mapping = ExternalEvent.objects.filter(connection=connection, session=session).first()
        adapter = access.adapter
        calendar_id = connection.calendar_id
        # Someone who left the session (a parent unlinked) loses its event too.
        wanted = (
            session.status == SessionStatus.CONFIRMED
            and connection.user_id in _party_user_ids(session)
        )
        if not wanted:
            if mapping is None:
                return "unchanged"
            access.call(
                lambda token: adapter.event_delete(
                    access_token=token, calendar_id=calendar_id, event_id=mapping.event_id
                )
            )
            mapping.delete()
            return "deleted"
        if (
            mapping is not None
            and mapping.synced_starts_at == session.starts_at
            and mapping.synced_ends_at == session.ends_at
        ):
            return "unchanged"
        details = event_details(session, connection)
        if mapping is None:
            event_id = access.call(
                lambda token: adapter.event_create(
                    access_token=token, calendar_id=calendar_id, event=details
                )
            )
            outcome = "created"
        else:
            event_id = access.call(
                lambda token: adapter.event_update(
                    access_token=token,
                    calendar_id=calendar_id,
                    event_id=mapping.event_id,
                    event=details,
                )
            )
            outcome = "updated"
        ExternalEvent.objects.update_or_create(
            connection=connection,
            session=session,
            defaults={
                "event_id": event_id,
                "synced_starts_at": session.starts_at,
                "synced_ends_at": session.ends_at,
            },
        )
        return outcome

    return connection_step(connection_id, work)


def connection_backfill(*, connection_id: int, now: dt.datetime | None = None) -> int:
    """Queue pushes of the upcoming confirmed sessions of the connection's user."""
    connection = CalendarConnection.objects.filter(
        pk=connection_id, status=CalendarConnection.Status.ACTIVE
    ).first()
    if connection is None:
        return 0
    user_id = connection.user_id
    sessions = Session.objects.filter(
        Q(tutor__user_id=user_id)
        | Q(student__user_id=user_id)
        | Q(student__parent_links__parent_id=user_id),
        status=SessionStatus.CONFIRMED,
        starts_at__gte=now or timezone.now(),
    ).exclude(external_events__connection_id=connection_id)
    session_ids = list(sessions.order_by("starts_at").values_list("pk", flat=True).distinct())
    from scheduling.calendars.tasks import calendar_event_push

    for session_id in session_ids:
        calendar_event_push.delay(connection_id, session_id)
    return len(session_ids)
