"""Meetings in the demo: a Jitsi room for every confirmed class, last week's class attended
and confirmed, and a class starting in a few minutes so Join works right after seeding.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import StudentProfile, Subject, TutorProfile
from meetings.models import Attendance, SessionCompletion
from meetings.services.attendance import PLATFORM, attendance_record
from meetings.services.lifecycle import meeting_sync
from scheduling.models import Session
from scheduling.services.common import session_price

# The class "starting soon" begins this long after seeding; its join window opens 15
# minutes before, so it is open at once and stays open for the next hour and a half.
SOON = dt.timedelta(minutes=10)


def _attended(session: Session, membership_user, role: str, *, minutes: int) -> None:
    joined = session.starts_at - dt.timedelta(minutes=2)
    attendance_record(
        session=session,
        kind="joined",
        source=PLATFORM,
        occurred_at=joined,
        user=membership_user,
        role=role,
    )
    for kind, at in (("joined", joined), ("left", joined + dt.timedelta(minutes=minutes))):
        attendance_record(
            session=session,
            kind=kind,
            source="jitsi",
            occurred_at=at,
            user=membership_user,
            role=role,
            dedupe_key=f"demo-{session.pk}-{membership_user.pk}-{kind}",
        )


def _held_class_record(session: Session, tutor: Membership, student: Membership) -> None:
    """Both were there; the tutor marked it held and Sam confirmed it."""
    if SessionCompletion.objects.filter(session=session).exists():
        return
    _attended(session, tutor.user, Attendance.Role.TUTOR, minutes=62)
    _attended(session, student.user, Attendance.Role.STUDENT, minutes=60)
    SessionCompletion.objects.create(
        session=session,
        held_marked_by=tutor.user,
        held_marked_at=session.ends_at + dt.timedelta(minutes=5),
        confirmed_by=student.user,
        confirmed_at=session.ends_at + dt.timedelta(hours=3),
        confirmed_via=SessionCompletion.Via.STUDENT,
    )


def _class_soon(profile: TutorProfile, sam: StudentProfile, tutor: Membership) -> None:
    """A confirmed class starting shortly, written directly (it is inside the notice)."""
    now = timezone.now()
    upcoming = Session.objects.filter(
        student=sam,
        status=Session.Status.CONFIRMED,
        starts_at__gte=now - dt.timedelta(minutes=30),
        starts_at__lte=now + dt.timedelta(hours=2),
    )
    if upcoming.exists():
        return
    starts_at = (now + SOON).replace(second=0, microsecond=0)
    subject = Subject.objects.get(slug="mathematics")
    price, currency = session_price(tutor=profile, subject=subject, minutes=60)
    Session.objects.create(
        tutor=profile,
        student=sam,
        subject=subject,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        status=Session.Status.CONFIRMED,
        price_minor=price,
        currency=currency,
        requested_by=sam.user,
        decided_by=tutor.user,
        decided_at=now,
        request_message="Quick revision before the mock exam.",
    )


def meetings_demo_seed(*, acme_tutor: Membership, student: Membership) -> None:
    with tenant_context(acme_tutor.tenant):
        profile = TutorProfile.objects.select_related("user").get(user_id=acme_tutor.user_id)
        sam = StudentProfile.objects.select_related("user").get(email=student.user.email)
        held = Session.objects.filter(student=sam, status=Session.Status.COMPLETED).first()
        if held is not None:
            _held_class_record(held, acme_tutor, student)
        _class_soon(profile, sam, acme_tutor)
        confirmed = Session.objects.filter(
            status=Session.Status.CONFIRMED, ends_at__gt=timezone.now()
        ).values_list("pk", flat=True)
        for session_id in confirmed:
            meeting_sync(session_id=session_id)
