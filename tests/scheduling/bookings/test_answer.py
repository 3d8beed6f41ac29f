"""The tutor (or a manager) accepts or declines a request; a late answer finds it expired."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Membership
from config.errors import ApplicationError
from scheduling.models import Session
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db


def test_the_tutor_accepts_a_request_and_the_student_is_told(desk, student, tutor):
    session = desk.request(student)
    accepted = desk.accept(tutor, session)

    assert accepted.status == Session.Status.CONFIRMED
    stored = desk.reload(session)
    assert (stored.status, stored.decided_by, stored.expires_at) == (
        Session.Status.CONFIRMED,
        tutor.user,
        None,
    )
    assert stored.decided_at is not None
    [(event, title, _)] = desk.notices(student.user)
    assert event == "session.confirmed"
    assert "Mathematics with Theo Turner" in title
    assert desk.events(tutor.user) == ["session.requested"]


@pytest.mark.parametrize("role", [Membership.Role.OWNER, Membership.Role.ADMIN])
def test_a_manager_answers_for_the_tutor_and_both_are_told(desk, student, tutor, member, role):
    manager = member(desk.tenant, role)
    session = desk.request(student)
    desk.accept(manager, session)
    assert desk.reload(session).decided_by == manager.user
    assert desk.events(tutor.user) == ["session.requested", "session.confirmed"]
    assert desk.events(student.user) == ["session.confirmed"]


def test_the_tutor_declines_with_a_reason(desk, student, tutor):
    session = desk.request(student)
    desk.decline(tutor, session, reason="  Away that week ")
    stored = desk.reload(session)
    assert (stored.status, stored.decline_reason) == (Session.Status.DECLINED, "Away that week")
    assert stored.expires_at is None
    assert desk.notices(student.user)[0][::2] == ("session.declined", "Away that week")


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001, None])
def test_a_decline_needs_a_reason(desk, student, tutor, reason):
    session = desk.request(student)
    with pytest.raises(ValidationError) as excinfo:
        desk.decline(tutor, session, reason=reason)
    assert set(excinfo.value.message_dict) == {"reason"}
    assert desk.reload(session).status == Session.Status.REQUESTED


def test_a_declined_slot_can_be_booked_again(desk, student, tutor):
    desk.decline(tutor, desk.request(student))
    assert desk.request(student).status == Session.Status.REQUESTED


@pytest.mark.parametrize("who", ["staff", "student", "parent", "other_tutor"])
def test_only_the_tutor_and_managers_answer(desk, student, member, who):
    session = desk.request(student)
    actor = student if who == "student" else member(desk.tenant, who.removeprefix("other_"))
    with pytest.raises(PermissionDenied):
        desk.accept(actor, session)
    with pytest.raises(PermissionDenied):
        desk.decline(actor, session)
    assert desk.reload(session).status == Session.Status.REQUESTED


def test_a_member_of_another_tenant_cannot_answer(desk, student, globex, member):
    session = desk.request(student)
    with pytest.raises(PermissionDenied):
        desk.accept(member(globex, Membership.Role.OWNER), session)


@pytest.mark.parametrize(
    "status", [Session.Status.CONFIRMED, Session.Status.DECLINED, Session.Status.CANCELLED]
)
def test_only_a_request_is_answered(desk, student, tutor, status):
    session = desk.request(student)
    desk.update(session, status=status)
    with pytest.raises(ApplicationError) as excinfo:
        desk.accept(tutor, session)
    assert (excinfo.value.code, excinfo.value.status) == ("not_requested", 409)
    assert desk.reload(session).status == status


def test_a_request_answered_after_it_expired_is_marked_expired_and_refused(desk, student, tutor):
    session = desk.request(student)
    desk.update(session, expires_at=at(-1))
    with pytest.raises(ApplicationError) as excinfo:
        desk.accept(tutor, session)
    assert (excinfo.value.code, excinfo.value.status) == ("request_expired", 409)
    assert desk.reload(session).status == Session.Status.EXPIRED
    assert desk.events(student.user) == ["session.expired"]
    # A decline now finds it no longer a request.
    with pytest.raises(ApplicationError):
        desk.decline(tutor, session)


def test_a_request_cannot_be_accepted_once_its_time_has_come(desk, student, tutor):
    session = desk.request(student, starts_at=at(15))
    desk.update(session, starts_at=at(-1), ends_at=at(0), expires_at=at(-1))
    with pytest.raises(ApplicationError):
        desk.accept(tutor, session)
    assert desk.reload(session).status == Session.Status.EXPIRED


def test_an_accepted_session_keeps_its_slot(desk, student, tutor, learner, owner):
    desk.accept(tutor, desk.request(student))
    _, olive = learner(first_name="Olive")
    with pytest.raises(ValidationError):
        desk.request(owner, student=olive, starts_at=at(72) + dt.timedelta(minutes=30))


def test_the_parents_of_a_child_without_an_account_hear_the_answer(desk, parent, child, tutor):
    session = desk.request(parent, student=child)
    desk.accept(tutor, session)
    assert desk.events(parent.user) == ["session.confirmed"]
