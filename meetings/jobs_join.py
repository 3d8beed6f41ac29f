"""Join links: when a class's join window opens, its people get the platform's join link,
in-app and by email.

Beat runs ``join_links_dispatch`` every minute in the public schema; it queues
``join_links_send_tenant`` once in every tenant. A class is due once its window has
opened (``join_early_minutes`` before the start) and until it ends, when it is confirmed,
its meeting is ready and its links have not gone out.

Exactly once: each meeting's links are sent in one transaction that locks its row
(``skip_locked``: a run racing another skips the meetings the other holds) and sets
``join_links_sent_at`` with the notifications; a worker killed mid-way rolls both back.
A class moved after its links went out gets them again before its new start
(``meetings.services.lifecycle`` clears ``join_links_sent_at``).

Who gets them: the tutor, the student's own account, and the linked parents when the
student has no account or the tenant lets parents join; only active members.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from accounts.models import Membership, User
from meetings.models import AttendanceRole, Meeting, MeetingSettings, MeetingStatus
from meetings.people import session_people
from meetings.services.joining import time_for, user_zone
from meetings.window import join_window
from notifications.services import notify
from scheduling.dispatch import tenants_dispatch
from scheduling.models import Session, SessionStatus

__all__ = ["JOIN_LINK_EVENT", "join_links_dispatch", "join_links_send", "join_links_send_tenant"]

JOIN_LINK_EVENT = "meetings.join_link"


def _due(now: dt.datetime, policy: MeetingSettings):
    return (
        Meeting.objects.filter(
            status=MeetingStatus.READY,
            join_links_sent_at__isnull=True,
            session__status=SessionStatus.CONFIRMED,
            session__starts_at__lte=now + dt.timedelta(minutes=policy.join_early_minutes),
            session__ends_at__gt=now,
        )
        .order_by("session__starts_at", "pk")
        .values_list("pk", flat=True)
    )


def join_links_send(*, now: dt.datetime | None = None) -> int:
    """Send the join links due now in the current tenant; return for how many classes."""
    now = now or timezone.now()
    policy = MeetingSettings.current()
    return sum(
        _links_send(meeting_id=meeting_id, now=now, policy=policy)
        for meeting_id in list(_due(now, policy))
    )


def _recipients(session: Session, policy: MeetingSettings) -> list[tuple[User, str]]:
    """(user, their part: an AttendanceRole) of the people who get the links, active
    members only."""
    parents_too = policy.parents_may_join or session.student.user_id is None
    sides = {
        person.user_id: person.role
        for person in session_people(session)
        if person.role != AttendanceRole.PARENT or parents_too
    }
    members = Membership.objects.filter(
        tenant_id=connection.tenant.pk, is_active=True, user_id__in=sides
    ).values("user_id")
    users = User.objects.filter(pk__in=members, is_active=True).order_by("pk")
    return [(user, sides[user.pk]) for user in users]


def _message(session: Session, user: User, side: str, url: str) -> tuple[str, str, dict]:
    subject = session.subject.name
    tutor_name = session.tutor.full_name or "your tutor"
    if side == AttendanceRole.TUTOR:
        what = f"{subject} with {session.student.full_name}"
    elif side == AttendanceRole.PARENT:
        what = f"{session.student.first_name}'s {subject} with {tutor_name}"
    else:
        what = f"{subject} with {tutor_name}"
    zone = user_zone(user)
    start = session.starts_at.astimezone(zone)
    when = time_for(session.starts_at, zone)
    title = f"Join now: {what}, starting {start:%H:%M}"
    body = f"{what}, {when}, is open for joining. Join with this link while signed in: {url}"
    context = {"session": session.pk, "join_url": url, "what": what, "when": when}
    return title[:200], body, context


def _links_send(*, meeting_id: int, now: dt.datetime, policy: MeetingSettings) -> bool:
    """Send one class's join links to its people, unless another run has or is doing so."""
    with transaction.atomic():
        meeting = (
            Meeting.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("session__tutor__user", "session__student", "session__subject")
            .filter(
                pk=meeting_id,
                status=MeetingStatus.READY,
                join_links_sent_at__isnull=True,
                session__status=SessionStatus.CONFIRMED,
            )
            .first()
        )
        if meeting is None:
            return False  # sent, being sent, or no longer due
        session = meeting.session
        opens, _ = join_window(session, policy)
        if not opens <= now < session.ends_at:
            return False  # moved since it was listed
        path = reverse("meetings:join", kwargs={"pk": session.pk}, urlconf=settings.ROOT_URLCONF)
        url = connection.tenant.absolute_url(path)
        for user, side in _recipients(session, policy):
            title, body, context = _message(session, user, side, url)
            notify(
                user=user, event=JOIN_LINK_EVENT, title=title, body=body, url=url, context=context
            )
        meeting.join_links_sent_at = now
        meeting.save(update_fields=["join_links_sent_at", "updated_at"])
    return True


# Celery ------------------------------------------------------------------------------------


@shared_task(acks_late=True)
def join_links_send_tenant() -> int:
    """Send the due join links of the tenant this task was queued in."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return join_links_send()


@shared_task
def join_links_dispatch() -> int:
    """Beat entry (every minute): queue ``join_links_send_tenant`` in every tenant."""
    return tenants_dispatch(join_links_send_tenant)
