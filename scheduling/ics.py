"""The private ICS feed: one calendar per user that Google Calendar and Outlook subscribe to.

The feed URL carries a secret (``secrets.token_urlsafe(32)``, 256 bits); only its SHA-256
is stored (``CalendarFeed.token_hash``), so the URL is shown once, when it is made. Making
a new one revokes the old; revoking stops it at once. A feed answers only while its user
is still an active member of the tenant.

What the feed holds (RFC 5545, built with ``icalendar``):
- one VEVENT per session the user is on as tutor or on the student's side (a student, a
  parent for their children), from 90 days back to a year ahead: requested ones as
  TENTATIVE, confirmed, completed and no-show ones as CONFIRMED, and sessions cancelled,
  declined or expired in the last 30 days as CANCELLED, so subscribed calendars remove
  them instead of keeping a stale copy;
- a stable UID (``session-<id>@<tenant host>``), SEQUENCE from the reschedule count (one
  more once released), DTSTAMP, and the session page's URL; never anyone's notes;
- DTSTART/DTEND in UTC. Every session is a single event (series are expanded into
  sessions), so a UTC instant is exact and needs no VTIMEZONE for clients to agree on;
  each calendar shows it in its owner's zone, correct on both sides of a DST change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.models import Membership, User
from audit.services import audit_record
from crm.guards import require_here
from crm.models import StudentProfile
from scheduling.models import (
    HOLDING_STATUSES,
    RELEASED_STATUSES,
    CalendarFeed,
    Session,
    SessionChange,
)
from scheduling.selectors.sessions import session_list

__all__ = [
    "FEED_CONTENT_TYPE",
    "calendar_feed_active",
    "calendar_feed_issue",
    "calendar_feed_revoke",
    "calendar_feed_url",
    "feed_member_for_token",
    "feed_sessions",
    "ics_build",
]

FEED_CONTENT_TYPE = "text/calendar; charset=utf-8"
FEED_PAST = dt.timedelta(days=90)
FEED_FUTURE = dt.timedelta(days=365)
RELEASED_KEPT = dt.timedelta(days=30)
# Writing last_fetched_at on every poll would turn each calendar refresh into a write.
FETCH_STAMP_EVERY = dt.timedelta(minutes=15)
PRODID = "-//EduConnect//Sessions//EN"

_STATUS = {
    Session.Status.REQUESTED: "TENTATIVE",
    Session.Status.CONFIRMED: "CONFIRMED",
    Session.Status.COMPLETED: "CONFIRMED",
    Session.Status.NO_SHOW: "CONFIRMED",
}


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Managing the feed ------------------------------------------------------------------------


def calendar_feed_active(*, user: User) -> CalendarFeed | None:
    """The user's feed in this tenant that still works, if any."""
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def calendar_feed_url(*, token: str, tenant=None) -> str:
    """The absolute URL of a feed on the tenant's host."""
    tenant = tenant or connection.tenant
    path = reverse(
        "scheduling:calendar_feed_ics", kwargs={"token": token}, urlconf=settings.ROOT_URLCONF
    )
    return tenant.absolute_url(path)


@transaction.atomic
def calendar_feed_issue(*, actor: Membership, request=None) -> tuple[CalendarFeed, str]:
    """Make the actor a new feed URL, revoking the one they had; return it with its secret.

    The secret is not stored: this is the only time it can be shown.
    """
    actor = require_here(actor)
    # Two requests at once must not both find no active feed and both insert one.
    User.objects.select_for_update().filter(pk=actor.user_id).first()
    rotated = CalendarFeed.objects.filter(user=actor.user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(user=actor.user, token_hash=_hash(token))
    audit_record(
        action="scheduling.calendar_feed.rotated" if rotated else "scheduling.calendar_feed.issued",
        actor=actor.user,
        tenant=actor.tenant,
        target=feed,
        request=request,
    )
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, actor: Membership, request=None) -> bool:
    """Stop the actor's feed URL from working; False when they had none."""
    actor = require_here(actor)
    feed = (
        CalendarFeed.objects.select_for_update()
        .filter(user=actor.user, revoked_at__isnull=True)
        .first()
    )
    if feed is None:
        return False
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    audit_record(
        action="scheduling.calendar_feed.revoked",
        actor=actor.user,
        tenant=actor.tenant,
        target=feed,
        request=request,
    )
    return True


def feed_member_for_token(token: str, *, now: dt.datetime | None = None) -> Membership | None:
    """The active membership in this tenant whose live feed ``token`` opens, or None.

    Stamps the feed's ``last_fetched_at`` (at most every 15 minutes).
    """
    if not token or len(token) > 200:
        return None
    feed = (
        CalendarFeed.objects.filter(token_hash=_hash(token), revoked_at__isnull=True)
        .only("pk", "user_id", "last_fetched_at")
        .first()
    )
    if feed is None:
        return None
    membership = (
        Membership.objects.select_related("user", "tenant")
        .filter(
            user_id=feed.user_id,
            tenant_id=connection.tenant.pk,
            is_active=True,
            user__is_active=True,
        )
        .first()
    )
    if membership is None:
        return None
    now = now or timezone.now()
    if feed.last_fetched_at is None or now - feed.last_fetched_at >= FETCH_STAMP_EVERY:
        CalendarFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now)
    return membership


# Building the calendar --------------------------------------------------------------------


def feed_sessions(*, membership: Membership, now: dt.datetime | None = None):
    """The sessions a member's feed lists (see the module's docstring), oldest first."""
    now = now or timezone.now()
    user_id = membership.user_id
    children = StudentProfile.objects.filter(
        parent_links__parent_id=user_id, is_active=True
    ).values("pk")
    own = Q(tutor__user_id=user_id) | Q(student__user_id=user_id) | Q(student__in=children)
    cutoff = now - RELEASED_KEPT
    released_lately = Q(updated_at__gte=cutoff) | Exists(
        SessionChange.objects.filter(session=OuterRef("pk"), created_at__gte=cutoff)
    )
    visible = session_list(viewer=membership).values("pk")
    return (
        Session.objects.filter(pk__in=visible)
        .filter(own, starts_at__gte=now - FEED_PAST, starts_at__lte=now + FEED_FUTURE)
        .filter(
            Q(status__in=HOLDING_STATUSES) | (Q(status__in=RELEASED_STATUSES) & released_lately)
        )
        .select_related("tutor__user", "student", "subject")
        .order_by("starts_at", "id")
    )


def _summary(session: Session, user_id: int) -> str:
    subject = session.subject.name
    tutor = session.tutor.full_name or "your tutor"
    if session.tutor.user_id == user_id:
        text = f"{subject} with {session.student.full_name}"
    elif session.student.user_id == user_id:
        text = f"{subject} with {tutor}"
    else:
        text = f"{subject}: {session.student.first_name} with {tutor}"
    if session.status == Session.Status.REQUESTED:
        text = f"Requested: {text}"
    elif session.status in RELEASED_STATUSES:
        text = f"{session.get_status_display()}: {text}"
    return text


def ics_build(*, membership: Membership, now: dt.datetime | None = None) -> bytes:
    """The member's feed as an RFC 5545 calendar (UTF-8 bytes)."""
    now = (now or timezone.now()).astimezone(dt.UTC).replace(microsecond=0)
    tenant = membership.tenant
    host = tenant.primary_domain_name or connection.tenant.primary_domain_name
    base = tenant.absolute_url("")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{tenant.name}: sessions")
    calendar.add("x-wr-caldesc", f"Your sessions at {tenant.name} on EduConnect.")
    calendar.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    for session in feed_sessions(membership=membership, now=now).iterator(chunk_size=500):
        released = session.status in RELEASED_STATUSES
        url = base + reverse(
            "scheduling:session_detail", kwargs={"pk": session.pk}, urlconf=settings.ROOT_URLCONF
        )
        event = Event()
        event.add("uid", f"session-{session.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", session.starts_at.astimezone(dt.UTC))
        event.add("dtend", session.ends_at.astimezone(dt.UTC))
        event.add("sequence", session.reschedule_count + (1 if released else 0))
        event.add("summary", _summary(session, membership.user_id))
        event.add("status", "CANCELLED" if released else _STATUS[session.status])
        event.add("transp", "TRANSPARENT" if released else "OPAQUE")
        event.add("url", url)
        event.add("description", f"{session.get_status_display()} session. Details: {url}")
        event.add("created", session.created_at.astimezone(dt.UTC))
        event.add("last-modified", session.updated_at.astimezone(dt.UTC))
        calendar.add_component(event)
    return calendar.to_ical()
