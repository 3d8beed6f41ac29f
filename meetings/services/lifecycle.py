"""Making, moving and removing the meeting of each confirmed session at its provider.

``meeting_sync`` compares the session with its ``Meeting`` and does whatever is missing:
a confirmed session without a meeting gets one (with the tenant's provider), a meeting
whose times differ from the session's is moved, and the meeting of a session that was
cancelled, declined or expired is removed. Running it twice, late or out of order does
no harm: it acts on the session as it is now, not on the change that queued it.

Syncs of one session are serialised by a PostgreSQL advisory lock (keyed on the schema
and the session id) held across the provider call, not by a row lock inside a
transaction. The provider's answer can take seconds, and a transaction rolled back on
its error would also undo what the provider wrote meanwhile in our database (a rotated
Zoom refresh token, its daily-write count). The lock belongs to the database session,
so a worker that dies releases it with its connection. A second sync of the same
session waits for the first, then finds the meeting in line and does nothing.

A meeting keeps the provider (and Zoom connection) it was made with, even when the
tenant later switches; only a meeting not yet made at any provider takes the current
choice on its next attempt.

Errors: ``RetryLaterError`` is counted and raised again for the task to retry; on the
last attempt, and at once for any other ``MeetingError``, the meeting is marked failed
and the tenant's owners and admins are told (once per failure: a meeting already
failed tells nobody again). A later successful sync clears the failure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Membership, User
from meetings.models import Meeting, MeetingSettings, MeetingStatus
from meetings.providers import provider_get
from meetings.providers.base import (
    AuthRevokedError,
    MeetingDetails,
    MeetingError,
    MeetingInfo,
    NotConfiguredError,
    RetryLaterError,
)
from meetings.routes import route_add, route_remove
from notifications.services import notify
from scheduling.models import RELEASED_STATUSES, Session, SessionStatus
from scheduling.policy import schedule_for

__all__ = [
    "FAILED_EVENT",
    "meeting_details",
    "meeting_sync",
    "meeting_sync_queue",
    "meetings_backfill_queue",
]

FAILED_EVENT = "meetings.meeting_failed"
ERROR_LIMIT = 1000
TOPIC_LIMIT = 200
AGENDA_LIMIT = 2000


def meeting_sync_queue(session: Session) -> None:
    """Sync ``session``'s meeting in a task once the current transaction commits.

    The task runs in the schema in use now, even if the commit happens elsewhere.
    """
    from meetings.jobs_lifecycle import meeting_sync_run

    session_id, schema = session.pk, connection.schema_name
    transaction.on_commit(
        lambda: meeting_sync_run.apply_async(args=[session_id], headers={"_schema_name": schema}),
        robust=True,
    )


def meetings_backfill_queue(*, now: dt.datetime | None = None) -> int:
    """Queue a sync for every confirmed session of this tenant that has not ended and has
    no ready meeting (sessions confirmed before meetings existed, demo data, failures).
    Returns how many were queued.
    """
    now = now or timezone.now()
    sessions = list(
        Session.objects.filter(status=SessionStatus.CONFIRMED, ends_at__gt=now)
        .exclude(meeting__status=MeetingStatus.READY)
        .order_by("starts_at", "pk")
        .only("pk")
    )
    for session in sessions:
        meeting_sync_queue(session)
    return len(sessions)


@contextmanager
def _sync_lock(session_id: int) -> Iterator[None]:
    """Hold the advisory lock of one session's meeting (module doc)."""
    key = f"meetings.sync:{connection.schema_name}:{session_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])


def meeting_sync(*, session_id: int, final_attempt: bool = False) -> str:
    """Bring the session's meeting in line with the session; say what was done.

    Returns "created", "moved", "removed", "unchanged", "over", "failed" or "gone".
    A ``RetryLaterError`` is raised again unless ``final_attempt``, when it fails the
    meeting like any other provider error.
    """
    with _sync_lock(session_id):
        session = (
            Session.objects.select_related("tutor__user", "student", "subject")
            .filter(pk=session_id)
            .first()
        )
        if session is None:
            return "gone"
        meeting = Meeting.objects.filter(session_id=session_id).first()
        try:
            return _reconcile(session, meeting, timezone.now())
        except RetryLaterError as error:
            _attempt_failed(session, error, final=final_attempt)
            if not final_attempt:
                raise
            return "failed"
        except MeetingError as error:
            _attempt_failed(session, error, final=True)
            return "failed"


def _made(meeting: Meeting) -> bool:
    """Whether the provider has (or had) this meeting."""
    return bool(meeting.room_name or meeting.external_id)


def _route_id(meeting: Meeting) -> str:
    return meeting.external_id or meeting.room_name


def _reconcile(session: Session, meeting: Meeting | None, now: dt.datetime) -> str:
    if session.status == SessionStatus.CONFIRMED:
        return _reconcile_confirmed(session, meeting, now)
    if session.status in RELEASED_STATUSES:
        if meeting is None or meeting.status == MeetingStatus.CANCELLED:
            return "unchanged"
        return _remove(meeting, now)
    return "unchanged"  # a request, or a class already held: nothing to make or remove


def _reconcile_confirmed(session: Session, meeting: Meeting | None, now: dt.datetime) -> str:
    if session.ends_at <= now:
        return "over"  # nobody can join any more: not worth a provider call
    if meeting is None or not _made(meeting) or meeting.status == MeetingStatus.CANCELLED:
        return _create(session, meeting, now)
    moved = (meeting.scheduled_start, meeting.scheduled_end) != (
        session.starts_at,
        session.ends_at,
    )
    if moved or meeting.status != MeetingStatus.READY:
        return _update(session, meeting, now)
    return "unchanged"


def meeting_details(session: Session) -> MeetingDetails:
    """The session as its provider is told of it: subject, names and times, never notes."""
    tutor = session.tutor
    tenant = connection.tenant
    topic = f"{session.subject.name}: {tutor.full_name} and {session.student.full_name}"
    agenda = (
        f"{session.subject.name} class of {tenant.name}, booked on EduConnect. "
        "Join through the link on your dashboard."
    )
    return MeetingDetails(
        key=f"{connection.schema_name}-{session.pk}",
        topic=topic[:TOPIC_LIMIT],
        agenda=agenda[:AGENDA_LIMIT],
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone=schedule_for(tutor).zone.key,
        host_name=tutor.full_name or tutor.user.email,
        host_email=tutor.user.email,
    )


def _create(session: Session, meeting: Meeting | None, now: dt.datetime) -> str:
    policy = MeetingSettings.current()
    zoom_connection_id = policy.zoom_connection_id if policy.provider == "zoom" else None
    if meeting is None:
        meeting, _ = Meeting.objects.get_or_create(
            session=session,
            defaults={"provider": policy.provider, "zoom_connection_id": zoom_connection_id},
        )
    if meeting.status == MeetingStatus.CANCELLED:
        meeting.status = MeetingStatus.PENDING
    if (meeting.provider, meeting.zoom_connection_id) != (policy.provider, zoom_connection_id):
        meeting.provider = policy.provider
        meeting.zoom_connection_id = zoom_connection_id
    meeting.save(update_fields=["provider", "zoom_connection", "status", "updated_at"])
    meeting.session = session
    info = provider_get(meeting.provider).meeting_create(
        meeting=meeting, details=meeting_details(session)
    )
    _made_save(meeting, session, info, now, previous_route="")
    return "created"


def _update(session: Session, meeting: Meeting, now: dt.datetime) -> str:
    meeting.session = session
    previous_route = _route_id(meeting)
    info = provider_get(meeting.provider).meeting_update(
        meeting=meeting, details=meeting_details(session)
    )
    _made_save(meeting, session, info, now, previous_route=previous_route)
    return "moved"


def _made_save(
    meeting: Meeting, session: Session, info: MeetingInfo, now: dt.datetime, *, previous_route: str
) -> None:
    """Keep what the provider made; an empty value in ``info`` keeps the one we had."""
    fields = ["status", "attempts", "last_error", "last_synced_at", "updated_at"]
    for name in ("room_name", "external_id", "join_url", "passcode", "host_account"):
        value = getattr(info, name)
        if value and value != getattr(meeting, name):
            setattr(meeting, name, value)
            fields.append(name)
    if meeting.scheduled_start != session.starts_at and meeting.join_links_sent_at is not None:
        # Moved after its links went out: they go out again before the new start.
        meeting.join_links_sent_at = None
        fields.append("join_links_sent_at")
    meeting.scheduled_start, meeting.scheduled_end = session.starts_at, session.ends_at
    fields += ["scheduled_start", "scheduled_end"]
    meeting.status = MeetingStatus.READY
    meeting.attempts = 0
    meeting.last_error = ""
    meeting.last_synced_at = now
    with transaction.atomic():
        meeting.save(update_fields=fields)
        route = _route_id(meeting)
        if previous_route and previous_route != route:
            route_remove(provider=meeting.provider, external_id=previous_route)
        if route:
            route_add(provider=meeting.provider, external_id=route)


def _remove(meeting: Meeting, now: dt.datetime) -> str:
    if _made(meeting):
        provider_get(meeting.provider).meeting_delete(meeting=meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.attempts = 0
    meeting.last_error = ""
    meeting.last_synced_at = now
    with transaction.atomic():
        meeting.save(
            update_fields=["status", "attempts", "last_error", "last_synced_at", "updated_at"]
        )
        if _made(meeting):
            route_remove(provider=meeting.provider, external_id=_route_id(meeting))
    return "removed"


# Failures ----------------------------------------------------------------------------------


def _attempt_failed(session: Session, error: MeetingError, *, final: bool) -> None:
    """Count a failed attempt; on the last one mark the meeting failed and tell managers."""
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().filter(session_id=session.pk).first()
        if meeting is None:  # the provider could not even be chosen: keep a row to show it
            meeting, _ = Meeting.objects.get_or_create(
                session=session, defaults={"provider": MeetingSettings.current().provider}
            )
            meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        meeting.attempts = min(meeting.attempts + 1, 32767)
        meeting.last_error = (error.message or type(error).__name__)[:ERROR_LIMIT]
        fields = ["attempts", "last_error", "updated_at"]
        newly_failed = final and meeting.status != MeetingStatus.FAILED
        if final:
            meeting.status = MeetingStatus.FAILED
            fields.append("status")
        meeting.save(update_fields=fields)
        if newly_failed:
            _managers_tell(session, meeting, error)


def _advice(error: MeetingError, provider: str) -> str:
    if isinstance(error, AuthRevokedError):
        return "Reconnect the agency's Zoom account in the meeting settings, then retry."
    if isinstance(error, NotConfiguredError):
        return (
            f"The platform's {provider} settings are incomplete: choose another provider "
            "in the meeting settings or contact support, then retry."
        )
    if isinstance(error, RetryLaterError):
        return f"{provider.title()} kept refusing for now; retry in a while."
    return "Retry from the agency's meetings overview; if it keeps failing, contact support."


def _session_url(session: Session) -> str:
    try:
        path = reverse(
            "scheduling:session_detail", kwargs={"pk": session.pk}, urlconf=settings.ROOT_URLCONF
        )
    except NoReverseMatch:
        return ""
    return connection.tenant.absolute_url(path)


def _managers_tell(session: Session, meeting: Meeting, error: MeetingError) -> None:
    """Tell the tenant's active owners and admins that a meeting could not be set up."""
    from meetings.services.joining import time_for, user_zone  # joining imports this module

    tenant = connection.tenant
    managers = Membership.objects.filter(
        tenant_id=tenant.pk, role__in=Membership.MANAGER_ROLES, is_active=True
    ).values("user_id")
    what = f"{session.subject.name} with {session.tutor.full_name} and {session.student.full_name}"
    removing = session.status in RELEASED_STATUSES
    url = _session_url(session)
    for user in User.objects.filter(pk__in=managers, is_active=True).order_by("pk"):
        when = time_for(session.starts_at, user_zone(user))
        doing = "removed" if removing else "set up"
        notify(
            user=user,
            event=FAILED_EVENT,
            title=f"A meeting could not be {doing}: {what}, {when}"[:200],
            body=(
                f"The {meeting.provider} meeting of {what} ({when}) could not be {doing}: "
                f"{meeting.last_error} {_advice(error, meeting.provider)}"
            ),
            url=url,
            context={
                "session": session.pk,
                "provider": meeting.provider,
                "error": meeting.last_error,
                "when": when,
                "what": what,
            },
        )
