"""Marking a class held, confirming it and reporting a problem: who, when, and once."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from config.errors import ApplicationError
from meetings.models import SessionCompletion
from scheduling.models import Session
from scheduling.services import bookings

pytestmark = pytest.mark.django_db

Via = SessionCompletion.Via


def _refused(call) -> str:
    with pytest.raises(ApplicationError) as excinfo:
        call()
    assert excinfo.value.status == 409
    return excinfo.value.code


# Marking the class held --------------------------------------------------------------------


def test_the_tutor_marks_a_started_class_held_and_the_student_side_is_asked_to_confirm(desk, cast):
    session = desk.session(-30)

    done = desk.held(cast.tutor, session)

    assert (done.held_marked_by, done.held_marked_at is not None) == (cast.tutor.user, True)
    assert desk.reload(session).status == Session.Status.CONFIRMED
    for person in (cast.student, cast.parent):
        [(event, body)] = desk.notices(person.user)
        assert event == "meetings.completion_requested"
        assert "confirm" in body
    assert desk.notices(cast.tutor.user) == []
    entry = AuditEntry.objects.get(action="meetings.session.held_marked")
    assert (entry.actor, entry.target_id) == (cast.tutor.user, str(session.pk))


@pytest.mark.parametrize("who", ["owner", "admin", "staff"])
def test_the_agency_may_mark_a_class_held(desk, cast, who):
    done = desk.held(getattr(cast, who), desk.session(-90))
    assert done.held_marked_by == getattr(cast, who).user


@pytest.mark.parametrize(
    "who", ["student", "parent", "other_tutor", "other_student", "other_parent"]
)
def test_only_the_tutor_and_the_agency_mark_a_class_held(desk, cast, who):
    session = desk.session(-30)
    with pytest.raises(PermissionDenied):
        desk.held(getattr(cast, who), session)
    assert desk.completion(session) is None


def test_a_class_is_not_marked_held_before_it_starts(desk, cast):
    session = desk.session(5)
    assert _refused(lambda: desk.held(cast.tutor, session)) == "not_started"
    assert desk.completion(session) is None


def test_a_class_is_marked_held_once(desk, cast):
    session = desk.session(-30)
    desk.held(cast.tutor, session)
    assert _refused(lambda: desk.held(cast.staff, session)) == "already_marked"
    assert len(desk.notices(cast.student.user)) == 1


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("requested", "not_confirmed"),
        ("cancelled", "not_confirmed"),
        ("no_show", "not_confirmed"),
        ("completed", "already_completed"),
    ],
)
def test_only_a_confirmed_class_is_marked_held(desk, cast, status, code):
    session = desk.session(-30, status=status)
    assert _refused(lambda: desk.held(cast.tutor, session)) == code


# Confirming ----------------------------------------------------------------------------------


def test_the_student_confirms_and_the_session_is_completed(
    desk, cast, signals, django_capture_on_commit_callbacks
):
    session = desk.session(-120)
    desk.held(cast.tutor, session)

    with tenant_context(desk.tenant), django_capture_on_commit_callbacks(execute=True):
        done = desk.confirm(cast.student, session)

    assert desk.reload(session).status == Session.Status.COMPLETED
    assert (done.confirmed_by, done.confirmed_via) == (cast.student.user, Via.STUDENT)
    assert done.confirmed_at is not None
    assert signals == [(session.pk, "completed")]
    assert desk.notices(cast.tutor.user, "meetings.completion_confirmed") == [
        ("meetings.completion_confirmed", "Confirmed by the student.")
    ]
    entry = AuditEntry.objects.get(action="meetings.session.completed")
    assert (entry.actor, entry.data["via"]) == (cast.student.user, "student")


def test_a_class_in_progress_can_be_confirmed_without_being_marked_held(desk, cast):
    session = desk.session(-10)
    done = desk.confirm(cast.student, session)
    assert (done.held_marked_at, done.confirmed_via) == (None, Via.STUDENT)


def test_a_linked_parent_confirms_their_childs_class(desk, cast, child):
    session = desk.session(-120, student=child)
    done = desk.confirm(cast.parent, session)
    assert (done.confirmed_by, done.confirmed_via) == (cast.parent.user, Via.PARENT)
    assert desk.reload(session).status == Session.Status.COMPLETED


def test_a_linked_parent_confirms_an_adult_students_class_too(desk, cast):
    assert desk.confirm(cast.parent, desk.session(-120)).confirmed_via == Via.PARENT


@pytest.mark.parametrize("who", ["owner", "admin", "staff"])
def test_the_agency_confirms_and_both_sides_hear_of_it(desk, cast, who):
    session = desk.session(-120)
    done = desk.confirm(getattr(cast, who), session)
    assert done.confirmed_via == Via.STAFF
    for person in (cast.tutor, cast.student, cast.parent):
        assert desk.events(person.user) == ["meetings.completion_confirmed"]


@pytest.mark.parametrize("who", ["tutor", "other_tutor", "other_student", "other_parent"])
def test_the_tutor_and_people_outside_the_class_cannot_confirm_it(desk, cast, who):
    session = desk.session(-120)
    with pytest.raises(PermissionDenied):
        desk.confirm(getattr(cast, who), session)
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_a_member_of_another_agency_cannot_confirm(desk, globex, member):
    globex_owner = Membership.objects.get(tenant=globex, role=Membership.Role.OWNER)
    globex_student = member(globex, Membership.Role.STUDENT)
    session = desk.session(-120)
    for outsider in (globex_owner, globex_student):
        with pytest.raises(PermissionDenied):
            desk.confirm(outsider, session)
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_a_class_is_not_confirmed_before_it_starts(desk, cast):
    session = desk.session(10)
    assert _refused(lambda: desk.confirm(cast.student, session)) == "not_started"
    assert desk.reload(session).status == Session.Status.CONFIRMED


@pytest.mark.parametrize("status", ["requested", "cancelled", "no_show", "declined", "expired"])
def test_only_a_confirmed_class_can_be_confirmed(desk, cast, signals, status):
    session = desk.session(-120, status=status)
    assert _refused(lambda: desk.confirm(cast.student, session)) == "not_confirmed"
    assert desk.reload(session).status == status
    assert signals == []


def test_a_second_confirmation_is_refused_and_sends_no_second_signal(
    desk, cast, signals, django_capture_on_commit_callbacks
):
    session = desk.session(-120)
    with tenant_context(desk.tenant), django_capture_on_commit_callbacks(execute=True):
        desk.confirm(cast.student, session)
    with tenant_context(desk.tenant), django_capture_on_commit_callbacks(execute=True):
        assert _refused(lambda: desk.confirm(cast.parent, session)) == "already_completed"
        assert _refused(lambda: desk.confirm(cast.staff, session)) == "already_completed"

    assert signals == [(session.pk, "completed")]
    done = desk.completion(session)
    assert (done.confirmed_by, done.confirmed_via) == (cast.student.user, Via.STUDENT)


# Reporting a problem -------------------------------------------------------------------------


def test_the_student_reports_a_problem_and_the_tutor_and_managers_are_told(desk, cast):
    session = desk.session(-120)
    done = desk.problem(cast.student, session, reason="  The tutor left after ten minutes. ")

    assert done.problem_reason == "The tutor left after ten minutes."
    assert (done.problem_reported_by, done.problem_reported_at is not None) == (
        cast.student.user,
        True,
    )
    assert desk.reload(session).status == Session.Status.CONFIRMED
    for person in (cast.tutor, cast.owner, cast.admin):
        assert desk.notices(person.user) == [
            ("meetings.completion_problem", "The tutor left after ten minutes.")
        ]
    assert desk.notices(cast.staff.user) == []
    assert desk.notices(cast.student.user) == []


def test_a_linked_parent_reports_a_problem_for_their_child(desk, cast, child):
    session = desk.session(-120, student=child)
    assert desk.problem(cast.parent, session).problem_reported_by == cast.parent.user


@pytest.mark.parametrize("reason", ["", "   ", None, 42, "x" * 2001])
def test_a_problem_needs_a_reason(desk, cast, reason):
    session = desk.session(-120)
    with pytest.raises(ValidationError) as excinfo:
        desk.problem(cast.student, session, reason=reason)
    assert set(excinfo.value.message_dict) == {"reason"}
    assert desk.completion(session) is None


@pytest.mark.parametrize("who", ["tutor", "staff", "owner", "other_student", "other_parent"])
def test_only_the_student_side_reports_a_problem(desk, cast, who):
    with pytest.raises(PermissionDenied):
        desk.problem(getattr(cast, who), desk.session(-120))


def test_a_problem_is_not_reported_before_the_start_nor_twice_nor_after_completion(desk, cast):
    assert _refused(lambda: desk.problem(cast.student, desk.session(30))) == "not_started"
    session = desk.session(-120)
    desk.problem(cast.student, session)
    assert _refused(lambda: desk.problem(cast.parent, session)) == "problem_already_reported"
    completed = desk.session(-300)
    desk.confirm(cast.student, completed)
    assert _refused(lambda: desk.problem(cast.student, completed)) == "already_completed"


def test_after_a_problem_the_agency_can_still_confirm(desk, cast):
    session = desk.session(-120)
    desk.problem(cast.student, session)
    done = desk.confirm(cast.staff, session)
    assert (done.confirmed_via, done.problem_reason) == (Via.STAFF, "The tutor never came.")
    assert desk.reload(session).status == Session.Status.COMPLETED


def test_after_a_problem_the_agency_can_record_a_no_show(desk, cast):
    session = desk.session(-120)
    desk.problem(cast.student, session)
    with tenant_context(desk.tenant):
        bookings.session_no_show(actor=cast.staff, session=session, absent="tutor")
    assert desk.reload(session).status == Session.Status.NO_SHOW
    assert _refused(lambda: desk.confirm(cast.staff, session)) == "not_confirmed"
