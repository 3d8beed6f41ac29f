"""``join_begin``: who may enter a class's meeting, as what, and only inside its window."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from config.errors import ApplicationError
from crm.models import ParentLink
from meetings.models import Meeting, MeetingStatus
from meetings.providers.base import Participant, TransientError
from meetings.services.joining import join_begin, join_check
from scheduling.models import Session
from tests.meetings.join.conftest import MINUTE, soon

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def join(actor: Membership, session: Session, now: dt.datetime):
    with tenant_context(actor.tenant):
        return join_begin(actor=actor, session=session, now=now)


def refusal(actor: Membership, session: Session, now: dt.datetime) -> Exception:
    with pytest.raises((PermissionDenied, ApplicationError)) as caught:
        join(actor, session, now)
    return caught.value


# Who ---------------------------------------------------------------------------------------


def test_the_tutor_enters_as_moderator_with_a_credential_bound_to_the_window(
    lesson, tutor, fake_meetings
):
    session = lesson()
    participant, target = join(tutor, session, session.starts_at)
    assert participant == Participant(
        user_id=tutor.user_id, name="Theo Turner", email=tutor.user.email, role="moderator"
    )
    assert target.redirect_url.endswith(f"?user={tutor.user_id}&role=moderator")
    assert target.expires_at == session.ends_at + 15 * MINUTE
    assert fake_meetings.calls == [("join", session.pk, tutor.user_id, "moderator")]


def test_the_student_enters_as_participant(lesson, student):
    session = lesson()
    participant, _ = join(student, session, session.starts_at)
    assert participant.role == Participant.PARTICIPANT


def test_a_parent_of_a_child_without_an_account_joins_for_them(lesson, parent, child, attendance):
    session = lesson(student=child)
    participant, _ = join(parent, session, session.starts_at)
    assert participant.role == Participant.PARTICIPANT
    assert attendance(session) == [(parent.user_id, "parent", 1)]


def test_a_parent_of_a_student_with_an_account_joins_only_where_the_agency_allows(
    acme, lesson, parent, student_profile, policy
):
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    session = lesson()
    refused = refusal(parent, session, session.starts_at)
    assert isinstance(refused, PermissionDenied)
    assert (
        str(refused)
        == "Parents do not join classes at Acme Tutoring: Sam joins with their own account."
    )

    policy(parents_may_join=True)
    participant, _ = join(parent, session, session.starts_at)
    assert participant.role == Participant.PARTICIPANT


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_agency_staff_observe_where_the_agency_allows(acme, lesson, member, policy, role):
    person = member(acme, role)
    session = lesson()
    participant, _ = join(person, session, session.starts_at)
    assert participant.role == Participant.OBSERVER

    policy(staff_may_observe=False)
    refused = refusal(person, session, session.starts_at)
    assert str(refused) == "Staff of Acme Tutoring do not observe classes."


def test_another_tutor_and_a_former_member_are_refused(acme, lesson, teacher, student):
    other_tutor, _ = teacher(acme, first_name="Una", email="una@acme.test")
    session = lesson()
    assert "Only the tutor and the student" in str(refusal(other_tutor, session, session.starts_at))
    Membership.objects.filter(pk=student.pk).update(is_active=False)
    student.refresh_from_db()
    assert isinstance(refusal(student, session, session.starts_at), PermissionDenied)


# When --------------------------------------------------------------------------------------


def test_the_window_opens_15_minutes_before_the_start_to_the_minute(lesson, tutor):
    session = lesson(soon(120))
    early = refusal(tutor, session, session.starts_at - 16 * MINUTE)
    assert (early.code, early.status) == ("too_early", 409)
    assert early.extra["opens_at"] == (session.starts_at - 15 * MINUTE).isoformat()

    participant, _ = join(tutor, session, session.starts_at - 15 * MINUTE)
    assert participant.role == Participant.MODERATOR


def test_the_window_closes_at_the_end_plus_the_grace_period(lesson, tutor):
    session = lesson(soon(120))
    join(tutor, session, session.ends_at + 15 * MINUTE)
    late = refusal(tutor, session, session.ends_at + 15 * MINUTE + dt.timedelta(seconds=1))
    assert (late.code, late.message) == ("session_ended", "This class has ended.")


def test_the_window_follows_the_agencys_policy(lesson, tutor, policy):
    policy(join_early_minutes=5, join_grace_minutes=0)
    session = lesson(soon(120))
    assert refusal(tutor, session, session.starts_at - 6 * MINUTE).code == "too_early"
    join(tutor, session, session.starts_at - 5 * MINUTE)
    assert refusal(tutor, session, session.ends_at + MINUTE).code == "session_ended"


def test_too_early_says_when_it_opens_in_the_viewers_own_zone(acme, lesson, learner):
    new_yorker, profile = learner(first_name="Nia", time_zone="America/New_York")
    session = lesson(dt.datetime(2031, 7, 1, 16, 0, tzinfo=dt.UTC), student=profile)
    early = refusal(new_yorker, session, session.starts_at - HOUR)
    assert early.message == (
        "This class opens for joining at Tue 1 Jul 2031, 11:45 (America/New_York), "
        "15 minutes before it starts."
    )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Session.Status.CANCELLED, "session_cancelled"),
        (Session.Status.DECLINED, "session_cancelled"),
        (Session.Status.REQUESTED, "not_confirmed"),
        (Session.Status.COMPLETED, "session_ended"),
    ],
)
def test_a_class_that_is_not_confirmed_cannot_be_joined(acme, lesson, tutor, status, code):
    session = lesson()
    with tenant_context(acme):
        Session.objects.filter(pk=session.pk).update(status=status)
    session.status = status
    refused = refusal(tutor, session, session.starts_at)
    assert (refused.code, refused.status) == (code, 409)


# The meeting -------------------------------------------------------------------------------


def test_a_meeting_being_set_up_asks_to_wait_and_is_nudged_once_a_minute(
    acme, lesson, tutor, student, fake_meetings, django_capture_on_commit_callbacks
):
    session = lesson(ready=False)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        pending = refusal(tutor, session, session.starts_at)
        refusal(student, session, session.starts_at)
    assert (pending.code, pending.status) == ("meeting_pending", 409)
    assert pending.message == "The meeting room is being set up; try again in a minute."
    assert len(queued) == 1  # one sync for both attempts
    assert fake_meetings.operations() == ["create"]

    with tenant_context(acme):
        session = Session.objects.select_related("tutor__user", "student", "subject").get(
            pk=session.pk
        )
    participant, _ = join(tutor, session, session.starts_at)
    assert participant.role == Participant.MODERATOR


def test_a_failed_meeting_is_explained_and_tried_again(
    acme, lesson, tutor, fake_meetings, django_capture_on_commit_callbacks
):
    session = lesson()
    with tenant_context(acme):
        Meeting.objects.filter(session_id=session.pk).update(status=MeetingStatus.FAILED)
    with tenant_context(acme):
        session = Session.objects.select_related("tutor__user", "student", "subject").get(
            pk=session.pk
        )
    with django_capture_on_commit_callbacks(execute=True):
        failed = refusal(tutor, session, session.starts_at)
    assert failed.code == "meeting_failed"
    assert "could not be set up" in failed.message
    assert fake_meetings.operations() == ["update"]


def test_a_provider_that_cannot_let_people_in_now_records_nothing(
    lesson, tutor, fake_meetings, attendance
):
    session = lesson()
    fake_meetings.failures.append(TransientError("Jitsi is down"))
    refused = refusal(tutor, session, session.starts_at)
    assert (refused.code, refused.status) == ("provider_unavailable", 503)
    assert attendance(session) == []


# What is recorded --------------------------------------------------------------------------


def test_each_person_has_one_attendance_counting_their_joins_and_each_join_is_audited(
    acme, lesson, tutor, student, attendance
):
    session = lesson()
    join(tutor, session, session.starts_at)
    join(tutor, session, session.starts_at + 10 * MINUTE)
    join(student, session, session.starts_at + MINUTE)
    assert attendance(session) == sorted(
        [(tutor.user_id, "tutor", 2), (student.user_id, "student", 1)]
    )
    entries = AuditEntry.objects.filter(action="meetings.session.joined", tenant=acme)
    assert entries.count() == 3
    assert entries.filter(actor=tutor.user).first().data == {
        "session": session.pk,
        "role": "tutor",
        "participant": "moderator",
        "provider": "fake",
    }


def test_checking_changes_nothing(acme, lesson, tutor, fake_meetings, attendance):
    session = lesson()
    with tenant_context(acme):
        check = join_check(actor=tutor, session=session, now=session.starts_at)
    assert (check.allowed, check.role) == (True, "moderator")
    assert fake_meetings.calls == []
    assert attendance(session) == []
