"""Helpers for the booking tests: an always-available tutor and a desk that books in acme.

``open_week`` makes ``tutor_profile`` available around the clock every day, so any
instant on the hour from ``at(14)`` (past the 12-hour minimum notice) to 60 days ahead
is a free slot, unless a test books it. ``desk`` calls the booking services inside acme
and reads back what they did.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import StudentProfile, Subject, TutorProfile
from notifications.models import Notification
from scheduling.models import Session, SessionChange, TutorSchedule
from scheduling.services import bookings
from tests.scheduling.conftest import HOURLY_RATE_MINOR

# The hour each test started in: ``at`` gives the same instant throughout a test even
# when the clock passes the hour meanwhile.
CLOCK: dict[str, dt.datetime | None] = {"hour": None}


def _this_hour() -> dt.datetime:
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def at(hours: float) -> dt.datetime:
    """An instant ``hours`` from the hour the test began (on every tutor's 30-minute grid)."""
    return (CLOCK["hour"] or _this_hour()) + dt.timedelta(hours=hours)


@pytest.fixture(autouse=True)
def _clock():
    CLOCK["hour"] = _this_hour()
    yield
    CLOCK["hour"] = None


class Desk:
    """The booking services of one tenant, with the test's tutor, student and subject."""

    def __init__(self, tenant, tutor: TutorProfile, student: StudentProfile, subject: Subject):
        self.tenant = tenant
        self.tutor = tutor
        self.student = student
        self.subject = subject

    def _run(self, service, **kwargs):
        with tenant_context(self.tenant):
            return service(**kwargs)

    def request(self, actor: Membership, **fields) -> Session:
        """``session_request``; by default the student's hour with the tutor 3 days ahead."""
        values = {
            "tutor": self.tutor,
            "student": self.student,
            "subject": self.subject,
            "starts_at": at(72),
            "duration_minutes": 60,
        }
        return self._run(bookings.session_request, actor=actor, **(values | fields))

    def accept(self, actor, session):
        return self._run(bookings.session_accept, actor=actor, session=session)

    def decline(self, actor, session, reason="Not that day"):
        return self._run(bookings.session_decline, actor=actor, session=session, reason=reason)

    def cancel(self, actor, session, reason=""):
        return self._run(bookings.session_cancel, actor=actor, session=session, reason=reason)

    def reschedule(self, actor, session, starts_at, duration_minutes=None):
        return self._run(
            bookings.session_reschedule,
            actor=actor,
            session=session,
            starts_at=starts_at,
            duration_minutes=duration_minutes,
        )

    def no_show(self, actor, session, absent):
        return self._run(bookings.session_no_show, actor=actor, session=session, absent=absent)

    def expire(self, now=None) -> int:
        return self._run(bookings.requests_expire, now=now)

    def booked(self, starts_at, *, minutes=60, status=Session.Status.CONFIRMED, **fields):
        """A session written straight to the table (past ones too), 40.00 GBP an hour."""
        with tenant_context(self.tenant):
            return Session.objects.create(
                tutor=fields.pop("tutor", self.tutor),
                student=fields.pop("student", self.student),
                subject=self.subject,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=minutes),
                status=status,
                price_minor=HOURLY_RATE_MINOR * minutes // 60,
                currency="GBP",
                requested_by=fields.pop("requested_by", None) or self.tutor.user,
                **fields,
            )

    def update(self, session: Session, **fields) -> None:
        with tenant_context(self.tenant):
            Session.objects.filter(pk=session.pk).update(**fields)

    def reload(self, session: Session) -> Session:
        with tenant_context(self.tenant):
            return Session.objects.get(pk=session.pk)

    def changes(self, session: Session) -> list[SessionChange]:
        with tenant_context(self.tenant):
            return list(SessionChange.objects.filter(session=session).order_by("id"))

    def notices(self, user, event: str | None = None) -> list[tuple[str, str, str]]:
        """[(event, title, body)] of the user's notifications here, oldest first."""
        with tenant_context(self.tenant):
            found = Notification.objects.filter(user=user).order_by("id")
            if event:
                found = found.filter(event=event)
            return [(n.event, n.title, n.body) for n in found]

    def events(self, user) -> list[str]:
        return [event for event, _, _ in self.notices(user)]

    def schedule(self, **fields) -> None:
        """Change the tutor's schedule settings (instant booking, policy overrides)."""
        with tenant_context(self.tenant):
            TutorSchedule.objects.update_or_create(tutor=self.tutor, defaults=fields)


@pytest.fixture
def open_week(tutor_profile, weekly) -> TutorProfile:
    for weekday in range(7):
        weekly(tutor_profile, weekday, "00:00", "23:59")
    return tutor_profile


@pytest.fixture
def desk(acme, open_week, student_profile, maths) -> Desk:
    return Desk(acme, open_week, student_profile, maths)


@pytest.fixture
def second_tutor(acme, teacher, weekly) -> tuple[Membership, TutorProfile]:
    """Another tutor of mathematics in acme, also available around the clock."""
    membership, profile = teacher(acme, first_name="Una", email="una@acme.test")
    for weekday in range(7):
        weekly(profile, weekday, "00:00", "23:59")
    return membership, profile
