"""Session reminders: an email (and in-app notice) 24 hours and 1 hour before each class.

``reminders_send`` runs every five minutes in each tenant (Celery beat calls
``session_reminders_dispatch``, which queues ``session_reminders_send`` once per tenant).

Exactly once: a reminder is a ``SessionReminder`` row, unique per (session, kind, start),
written in the same transaction as its notifications while the session row is locked. A
second run racing the first waits on the lock, then fails to insert the row and skips;
a worker killed mid-run rolls back, and the next run sends what did not commit. A
session moved to another time has a new start, so it gets fresh reminders for it.

When a reminder goes out (documented in docs/architecture.md):
- the 24-hour reminder between 24 and 12 hours before the start, the 1-hour reminder
  between 60 and 10 minutes before it; a run later than that (the scheduler was down)
  sends nothing rather than a stale "tomorrow" or "in an hour";
- only for a session that was already arranged at that time (booked, accepted or last
  moved before the reminder was due). A class booked, accepted or moved 5 hours ahead
  gets no 24-hour reminder (the confirmation has just told everyone) but does get the
  1-hour one; one arranged 30 minutes ahead gets none.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django_tenants.utils import get_public_schema_name
from psycopg.errors import UniqueViolation

from accounts.models import Membership, User
from crm.minors import ADULT_AGE, student_age
from notifications.services import notify
from scheduling.dispatch import tenants_dispatch
from scheduling.models import Session, SessionChange, SessionReminder

__all__ = [
    "REMINDER_RULES",
    "ReminderRule",
    "reminders_send",
    "session_reminders_dispatch",
    "session_reminders_send",
]

REMINDER_EVENT = "scheduling.session.reminder"


@dataclass(frozen=True)
class ReminderRule:
    kind: str
    lead: dt.timedelta  # due this long before the start
    latest: dt.timedelta  # and not sent once the start is nearer than this
    title: str  # "{what}" is filled in


REMINDER_RULES = (
    ReminderRule(
        SessionReminder.Kind.DAY_BEFORE,
        lead=dt.timedelta(hours=24),
        latest=dt.timedelta(hours=12),
        title="Reminder: {what}",
    ),
    ReminderRule(
        SessionReminder.Kind.HOUR_BEFORE,
        lead=dt.timedelta(hours=1),
        latest=dt.timedelta(minutes=10),
        title="Starting soon: {what}",
    ),
)


def _due(rule: ReminderRule, now: dt.datetime):
    """Confirmed sessions whose ``rule`` reminder is due now and not yet sent."""
    last_move = (
        SessionChange.objects.filter(session=OuterRef("pk"), kind=SessionChange.Kind.RESCHEDULE)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    sent = SessionReminder.objects.filter(
        session=OuterRef("pk"), kind=rule.kind, starts_at=OuterRef("starts_at")
    )
    return (
        Session.objects.filter(
            status=Session.Status.CONFIRMED,
            starts_at__gt=now + rule.latest,
            starts_at__lte=now + rule.lead,
        )
        .annotate(
            arranged_at=Greatest(
                "created_at",
                Coalesce("decided_at", "created_at"),
                Coalesce(Subquery(last_move), "created_at"),
            )
        )
        .exclude(Exists(sent))
        .order_by("starts_at", "id")
        .values_list("pk", "starts_at", "arranged_at")
    )


def reminders_send(*, now: dt.datetime | None = None) -> int:
    """Send the reminders due now in the current tenant; return how many went out.

    Each (session, kind) counts once, however many people it was sent to.
    """
    now = now or timezone.now()
    tenant = connection.tenant
    site = _Site(tenant)
    sent = 0
    for rule in REMINDER_RULES:
        for session_id, starts_at, arranged_at in list(_due(rule, now)):
            if arranged_at > starts_at - rule.lead:
                continue  # arranged after the reminder was due: the booking said it all
            if _remind(session_id=session_id, starts_at=starts_at, rule=rule, site=site):
                sent += 1
    return sent


class _Site:
    """The tenant's links and who is an active member of it, looked up once per run."""

    def __init__(self, tenant) -> None:
        self.tenant = tenant
        self._base = tenant.absolute_url("")

    def session_url(self, session: Session) -> str:
        path = reverse(
            "scheduling:session_detail", kwargs={"pk": session.pk}, urlconf=settings.ROOT_URLCONF
        )
        return self._base + path

    def active_members(self, user_ids: set[int]) -> list[User]:
        if not user_ids:
            return []
        members = Membership.objects.filter(
            tenant_id=self.tenant.pk, is_active=True, user_id__in=user_ids
        ).values("user_id")
        return list(User.objects.filter(pk__in=members, is_active=True).order_by("pk"))


def _recipients(session: Session) -> dict[int, str]:
    """User id → the side they are on: the tutor, the student's account, and the linked
    parents when the student is a minor or has no account.
    """
    people: dict[int, str] = {}
    if session.tutor.user_id:
        people[session.tutor.user_id] = "tutor"
    student = session.student
    if student.user_id:
        people.setdefault(student.user_id, "student")
    if not student.user_id or student_age(student) < ADULT_AGE:
        for parent_id in student.parent_links.filter(parent__isnull=False).values_list(
            "parent_id", flat=True
        ):
            people.setdefault(parent_id, "parent")
    return people


def _zone(user: User) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _when(session: Session, user: User) -> tuple[str, str]:
    """(short, long) texts of the session's time in ``user``'s zone and language."""
    zone = _zone(user)
    start = session.starts_at.astimezone(zone)
    end = session.ends_at.astimezone(zone)
    with translation.override(user.locale or settings.LANGUAGE_CODE):
        short = f"{dateformat.format(start, 'D j M, H:i')} {start.tzname()}"
        day = dateformat.format(start, "l j F Y")
        long = (
            f"{day}, {dateformat.format(start, 'H:i')} to {dateformat.format(end, 'H:i')} "
            f"{end.tzname()} ({zone.key})"
        )
    return short, long


def _message(session: Session, user: User, side: str, rule: ReminderRule) -> tuple[str, str]:
    subject = session.subject.name
    tutor_name = session.tutor.full_name or "your tutor"
    if side == "tutor":
        what = f"{subject} with {session.student.full_name}"
    elif side == "parent":
        what = f"{session.student.first_name}'s {subject} with {tutor_name}"
    else:
        what = f"{subject} with {tutor_name}"
    short, long = _when(session, user)
    title = rule.title.format(what=f"{what}, {short}")
    body = f"{what}: {long}. The session page has its notes and materials."
    return title[:200], body


def _remind(*, session_id: int, starts_at: dt.datetime, rule: ReminderRule, site: _Site) -> bool:
    """Send one reminder of one session to everyone on it, or nothing if already sent."""
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",))
            .select_related("tutor__user", "student", "subject")
            .filter(pk=session_id, status=Session.Status.CONFIRMED, starts_at=starts_at)
            .first()
        )
        if session is None:
            return False  # cancelled or moved since it was listed
        try:
            with transaction.atomic():
                SessionReminder.objects.create(session=session, kind=rule.kind, starts_at=starts_at)
        except IntegrityError as error:
            # The only unique key besides the id is (session, kind, starts_at). Matched by
            # its SQLSTATE, not its name: cloned tenant schemas rename unique constraints.
            if not isinstance(error.__cause__, UniqueViolation):
                raise
            return False  # another run sent it
        sides = _recipients(session)
        url = site.session_url(session)
        for user in site.active_members(set(sides)):
            title, body = _message(session, user, sides[user.pk], rule)
            notify(
                user=user,
                event=REMINDER_EVENT,
                title=title,
                body=body,
                url=url,
                context={"session": session.pk, "kind": rule.kind},
            )
    return True


# Celery ------------------------------------------------------------------------------------


@shared_task(acks_late=True)
def session_reminders_send() -> int:
    """Send the due reminders of the tenant this task was queued in."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return reminders_send()


@shared_task
def session_reminders_dispatch() -> int:
    """Beat entry (every 5 minutes): queue ``session_reminders_send`` in every tenant."""
    return tenants_dispatch(session_reminders_send)
