"""Automatic confirmation: a class both sides attended, its delay past, no problem."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from meetings.jobs_completion import (
    completions_auto_confirm_dispatch,
    completions_auto_confirm_run,
)
from meetings.models import Attendance, SessionCompletion
from scheduling.models import Session
from tests.meetings.completion.conftest import at

pytestmark = pytest.mark.django_db

DAY = 24 * 60
Via = SessionCompletion.Via


def test_a_class_both_attended_is_confirmed_once_the_delay_has_passed(
    desk, cast, signals, django_capture_on_commit_callbacks
):
    session = desk.session(-DAY - 120)  # ended 25 hours ago; the default delay is 24
    desk.both_attend(session, cast.tutor, cast.student)

    with tenant_context(desk.tenant), django_capture_on_commit_callbacks(execute=True):
        assert desk.auto() == 1

    assert desk.reload(session).status == Session.Status.COMPLETED
    done = desk.completion(session)
    assert (done.confirmed_by, done.confirmed_via) == (None, Via.AUTOMATIC)
    assert signals == [(session.pk, "completed")]
    for person in (cast.tutor, cast.student, cast.parent):
        assert desk.events(person.user) == ["meetings.completion_confirmed"]
    entry = AuditEntry.objects.get(action="meetings.session.completed")
    assert (entry.actor, entry.data["via"]) == (None, "automatic")


def test_a_second_run_confirms_nothing_more(desk, cast, signals):
    session = desk.session(-DAY - 120)
    desk.both_attend(session, cast.tutor, cast.student)
    assert desk.auto() == 1
    assert desk.auto() == 0
    assert desk.completion(session).confirmed_via == Via.AUTOMATIC


def test_a_parent_attending_counts_for_the_students_side(desk, cast, child):
    session = desk.session(-DAY - 120, student=child)
    desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)
    desk.attend(session, cast.parent.user, Attendance.Role.PARENT)
    assert desk.auto() == 1
    assert desk.reload(session).status == Session.Status.COMPLETED


@pytest.mark.parametrize("present", ["tutor", "student", "nobody", "observer"])
def test_a_class_without_both_sides_present_is_left_for_people_to_decide(desk, cast, present):
    session = desk.session(-3 * DAY)
    if present == "tutor":
        desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)
    elif present == "student":
        desk.attend(session, cast.student.user, Attendance.Role.STUDENT)
    elif present == "observer":
        desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)
        desk.attend(session, cast.staff.user, Attendance.Role.OBSERVER)

    assert desk.auto() == 0
    assert desk.reload(session).status == Session.Status.CONFIRMED
    assert desk.completion(session) is None


def test_not_before_the_delay_has_passed(desk, cast):
    session = desk.session(-DAY + 30)  # ended 23.5 hours ago
    desk.both_attend(session, cast.tutor, cast.student)
    assert desk.auto() == 0
    assert desk.reload(session).status == Session.Status.CONFIRMED
    # Exactly at the end plus the delay it is due.
    assert desk.auto(now=session.ends_at + (at(DAY) - at(0))) == 1


def test_the_agencys_own_delay_applies(desk, cast):
    desk.policy(auto_confirm_hours=2)
    due = desk.session(-260)  # ended 200 minutes ago
    early = desk.session(-150)  # ended 90 minutes ago
    for session in (due, early):
        desk.both_attend(session, cast.tutor, cast.student)
    assert desk.auto() == 1
    assert desk.reload(due).status == Session.Status.COMPLETED
    assert desk.reload(early).status == Session.Status.CONFIRMED


def test_nothing_is_confirmed_automatically_when_the_delay_is_zero(desk, cast):
    desk.policy(auto_confirm_hours=0)
    session = desk.session(-30 * DAY)
    desk.both_attend(session, cast.tutor, cast.student)
    assert desk.auto() == 0
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_a_reported_problem_stops_the_automatic_confirmation(desk, cast):
    session = desk.session(-2 * DAY)
    desk.both_attend(session, cast.tutor, cast.student)
    desk.problem(cast.student, session)
    assert desk.auto() == 0
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_a_class_marked_held_is_still_confirmed_automatically(desk, cast):
    session = desk.session(-2 * DAY)
    desk.both_attend(session, cast.tutor, cast.student)
    desk.held(cast.tutor, session)
    assert desk.auto() == 1
    done = desk.completion(session)
    assert (done.held_marked_by, done.confirmed_via) == (cast.tutor.user, Via.AUTOMATIC)


@pytest.mark.parametrize("status", ["completed", "cancelled", "no_show", "requested"])
def test_only_confirmed_classes_are_confirmed_automatically(desk, cast, signals, status):
    session = desk.session(-2 * DAY, status=status)
    desk.both_attend(session, cast.tutor, cast.student)
    assert desk.auto() == 0
    assert desk.reload(session).status == status
    assert signals == []


def test_a_class_the_student_already_confirmed_is_left_alone(desk, cast):
    session = desk.session(-2 * DAY)
    desk.both_attend(session, cast.tutor, cast.student)
    desk.confirm(cast.student, session)
    assert desk.auto() == 0
    assert desk.completion(session).confirmed_via == Via.STUDENT


def test_the_task_confirms_in_the_tenant_it_was_queued_in(desk, cast):
    session = desk.session(-2 * DAY)
    desk.both_attend(session, cast.tutor, cast.student)
    assert completions_auto_confirm_run.delay().get() == 0  # the public schema: nothing
    with tenant_context(desk.tenant):
        assert completions_auto_confirm_run.delay().get() == 1
    assert desk.reload(session).status == Session.Status.COMPLETED


def test_the_dispatcher_runs_in_every_agency(desk, cast, globex):
    session = desk.session(-2 * DAY)
    desk.both_attend(session, cast.tutor, cast.student)
    assert completions_auto_confirm_dispatch.delay().get() >= 2
    assert desk.reload(session).status == Session.Status.COMPLETED
