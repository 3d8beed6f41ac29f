"""The people of a class and the calls around its completion, for the completion tests.

Theo (``tutor``) teaches Sam (``student``, an adult with an account). Pat (``parent``)
is linked to Sam and to Kit (``child``, 10, no account). ``desk`` runs the completion
and consent services inside acme; ``signals`` records every ``session_changed``.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import ParentLink
from meetings.jobs_completion import completions_auto_confirm
from meetings.models import (
    Attendance,
    Meeting,
    MeetingSettings,
    RecordingConsent,
    SessionCompletion,
)
from meetings.services import completion, consent
from meetings.services.attendance import PLATFORM, attendance_record
from notifications.models import Notification
from scheduling.models import Session
from scheduling.signals import session_changed

# The minute each test started in: ``at`` is the same instant throughout a test.
CLOCK: dict[str, dt.datetime | None] = {"now": None}


def at(minutes: float) -> dt.datetime:
    """``minutes`` from the start of the test (negative: in the past)."""
    base = CLOCK["now"] or timezone.now().replace(second=0, microsecond=0)
    return base + dt.timedelta(minutes=minutes)


@pytest.fixture(autouse=True)
def _clock():
    CLOCK["now"] = timezone.now().replace(second=0, microsecond=0)
    yield
    CLOCK["now"] = None


class Desk:
    """The completion and consent services of one tenant, and what they left behind."""

    def __init__(self, tenant, tutor_profile, student_profile, booked):
        self.tenant = tenant
        self.tutor_profile = tutor_profile
        self.student_profile = student_profile
        self._booked = booked

    def _run(self, service, **kwargs):
        with tenant_context(self.tenant):
            return service(**kwargs)

    def held(self, actor, session):
        return self._run(completion.session_held_mark, actor=actor, session=session)

    def confirm(self, actor, session):
        return self._run(completion.session_completion_confirm, actor=actor, session=session)

    def problem(self, actor, session, reason="The tutor never came."):
        return self._run(
            completion.session_problem_report, actor=actor, session=session, reason=reason
        )

    def auto(self, now=None) -> int:
        return self._run(completions_auto_confirm, now=now)

    def give(self, actor, session, request=None):
        return self._run(
            consent.recording_consent_give, actor=actor, session=session, request=request
        )

    def withdraw(self, actor, session):
        return self._run(consent.recording_consent_withdraw, actor=actor, session=session)

    def session(self, start_minutes: float, *, minutes=60, status="confirmed", **fields):
        """A session of Theo's starting ``start_minutes`` from now (Sam's by default)."""
        student = fields.pop("student", None) or self.student_profile
        return self._booked(
            self.tutor_profile, student, at(start_minutes), minutes=minutes, status=status, **fields
        )

    def reload(self, session) -> Session:
        with tenant_context(self.tenant):
            return Session.objects.get(pk=session.pk)

    def completion(self, session) -> SessionCompletion | None:
        with tenant_context(self.tenant):
            return SessionCompletion.objects.filter(session=session).first()

    def consents(self, session) -> list[RecordingConsent]:
        with tenant_context(self.tenant):
            return list(RecordingConsent.objects.filter(session=session).order_by("id"))

    def attend(self, session, user, role, when=None) -> None:
        """``user`` joined through the platform (as ``role``) at ``when``."""
        with tenant_context(self.tenant):
            attendance_record(
                session=session,
                kind="joined",
                source=PLATFORM,
                occurred_at=when or session.starts_at,
                user=user,
                role=role,
            )

    def both_attend(self, session, tutor, student) -> None:
        self.attend(session, tutor.user, Attendance.Role.TUTOR)
        self.attend(session, student.user, Attendance.Role.STUDENT)

    def meeting(self, session, *, status="ready", provider="fake", **fields) -> Meeting:
        """A meeting row for ``session``, written straight to the table."""
        with tenant_context(self.tenant):
            return Meeting.objects.create(
                session=session,
                provider=provider,
                status=status,
                external_id=fields.pop("external_id", f"fake-{session.pk}"),
                join_url=fields.pop(
                    "join_url", f"https://fake-meetings.example.test/j/{session.pk}"
                ),
                **fields,
            )

    def policy(self, **fields) -> None:
        with tenant_context(self.tenant):
            MeetingSettings.current()
            MeetingSettings.objects.filter(pk=1).update(**fields)

    def notices(self, user, event=None) -> list[tuple[str, str]]:
        """[(event, body)] of the user's notifications here, oldest first."""
        with tenant_context(self.tenant):
            found = Notification.objects.filter(user=user).order_by("id")
            if event:
                found = found.filter(event=event)
            return [(n.event, n.body) for n in found]

    def events(self, user) -> list[str]:
        return [event for event, _ in self.notices(user)]


@pytest.fixture
def desk(acme, tutor_profile, student_profile, booked) -> Desk:
    return Desk(acme, tutor_profile, student_profile, booked)


@pytest.fixture
def sams_parent(acme, parent, student_profile) -> Membership:
    """Pat, linked to the adult Sam as well."""
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    return parent


@pytest.fixture
def cast(acme, member, teacher, learner, owner, tutor, student, sams_parent):
    """Everyone in acme around Theo and Sam, and people who are not on their classes."""
    other_tutor, _ = teacher(acme, first_name="Olga", email="olga@acme.test")
    other_student, _ = learner(first_name="Otto", email="otto@acme.test")
    return SimpleNamespace(
        owner=owner,
        admin=member(acme, Membership.Role.ADMIN),
        staff=member(acme, Membership.Role.STAFF),
        tutor=tutor,
        student=student,
        parent=sams_parent,
        other_tutor=other_tutor,
        other_student=other_student,
        other_parent=member(acme, Membership.Role.PARENT, first_name="Quinn"),
    )


@pytest.fixture
def signals():
    """Every ``session_changed`` sent while the test runs: [(session id, change)]."""
    seen: list[tuple[int, str]] = []

    def receiver(sender, session, change, **kwargs):
        seen.append((session.pk, change))

    session_changed.connect(receiver, dispatch_uid="tests.meetings.completion.signals")
    yield seen
    session_changed.disconnect(dispatch_uid="tests.meetings.completion.signals")
