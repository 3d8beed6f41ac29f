"""Demo data for scheduling: weekly availability, a confirmed class, a request waiting for
the tutor, a class already held with its summary, and the child's booking by her parent.

Runs after the crm seed (it books the students that seed made). Idempotent: a tutor who
already has weekly rules, or a student who already has sessions, is left as they are.
Future sessions go through the booking services, so they obey the same rules as real ones.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import StudentProfile, Subject, TutorProfile
from scheduling.models import AvailabilityRule, Session
from scheduling.policy import schedule_for
from scheduling.selectors.slots import slot_list
from scheduling.services.bookings import session_accept, session_request
from scheduling.services.common import session_price

WEEKDAYS = range(5)


def _weekly(profile: TutorProfile, days, start: str, end: str, *, time_zone: str) -> None:
    schedule = schedule_for(profile)
    if AvailabilityRule.objects.filter(tutor=profile).exists():
        return
    schedule.time_zone = time_zone
    schedule.save(update_fields=["time_zone", "updated_at"])
    AvailabilityRule.objects.bulk_create(
        AvailabilityRule(
            tutor=profile,
            weekday=day,
            start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end),
        )
        for day in days
    )


def _free_slots(profile: TutorProfile, *, minutes: int = 60) -> list:
    now = timezone.now()
    return slot_list(
        tutor=profile,
        start=now + dt.timedelta(days=2),
        end=now + dt.timedelta(days=16),
        duration_minutes=minutes,
    )


def _held_class(profile: TutorProfile, student: StudentProfile, subject: Subject) -> None:
    """A class of last week, written directly: the past cannot be booked any more."""
    starts_at = (timezone.now() - dt.timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    price, currency = session_price(tutor=profile, subject=subject, minutes=60)
    Session.objects.create(
        tutor=profile,
        student=student,
        subject=subject,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        status=Session.Status.COMPLETED,
        price_minor=price,
        currency=currency,
        requested_by=profile.user,
        decided_by=profile.user,
        decided_at=starts_at - dt.timedelta(days=2),
        summary="Simultaneous equations by elimination; worked through three exam questions.",
        homework="Exercise 7B, questions 1-10. Bring any that do not come out.",
    )


def scheduling_demo_seed(
    *,
    acme_tutor: Membership,
    student: Membership,
    parent: Membership,
    freelance_tutor: Membership,
) -> None:
    """Availability for both demo tutors; sessions for Acme's two students."""
    with tenant_context(freelance_tutor.tenant):
        profile = TutorProfile.objects.get(user_id=freelance_tutor.user_id)
        # Fran answers each request herself: the marketplace's booking flow in the demo.
        _weekly(profile, range(4), "08:00", "12:00", time_zone="Europe/Berlin")

    with tenant_context(acme_tutor.tenant):
        profile = TutorProfile.objects.select_related("user").get(user_id=acme_tutor.user_id)
        _weekly(profile, WEEKDAYS, "16:00", "20:00", time_zone="Europe/London")
        AvailabilityRule.objects.get_or_create(
            tutor=profile, weekday=5, start_time=dt.time(9), end_time=dt.time(12)
        )
        maths = Subject.objects.get(slug="mathematics")
        sam = StudentProfile.objects.get(email=student.user.email)
        if not Session.objects.filter(student=sam).exists():
            _held_class(profile, sam, maths)
            slots = _free_slots(profile)
            confirmed = session_request(
                actor=student,
                tutor=profile,
                student=sam,
                subject=maths,
                starts_at=slots[0].starts_at,
                duration_minutes=60,
                message="Could we go over last week's homework first?",
            )
            session_accept(actor=acme_tutor, session=confirmed)
            # A request the tutor has not answered yet, a few days later.
            session_request(
                actor=student,
                tutor=profile,
                student=sam,
                subject=maths,
                starts_at=slots[len(slots) // 2].starts_at,
                duration_minutes=60,
                message="Exam practice, please.",
            )
        mia = StudentProfile.objects.filter(
            first_name="Mia", parent_links__parent_id=parent.user_id
        ).first()
        if mia is not None and not Session.objects.filter(student=mia).exists():
            slots = _free_slots(profile, minutes=45)
            child_class = session_request(
                actor=parent,
                tutor=profile,
                student=mia,
                subject=maths,
                starts_at=slots[-1].starts_at,
                duration_minutes=45,
            )
            session_accept(actor=acme_tutor, session=child_class)
