"""Moving a session: into a free slot, inside the policy's window and limit for students."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from scheduling.models import Session, SessionChange
from scheduling.signals import session_changed
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db


def test_a_student_moves_their_session_to_another_free_slot(desk, student, tutor):
    session = desk.booked(at(72))
    change = desk.reschedule(student, session, at(96))

    stored = desk.reload(session)
    assert (stored.starts_at, stored.ends_at) == (at(96), at(97))
    assert (stored.status, stored.reschedule_count, stored.price_minor) == ("confirmed", 1, 4000)
    assert change.kind == SessionChange.Kind.RESCHEDULE
    assert (change.party, change.actor) == (SessionChange.Party.STUDENT, student.user)
    assert (change.previous_starts_at, change.new_starts_at, change.new_ends_at) == (
        at(72),
        at(96),
        at(97),
    )
    assert (change.within_free_window, change.fee_minor, change.refund_minor) == (True, 0, 0)
    [(event, _, body)] = desk.notices(tutor.user)
    assert event == "session.rescheduled"
    assert body.startswith("Moved from ")
    assert "(Europe/London) to " in body


def test_a_session_may_move_into_part_of_its_own_slot(desk, student):
    session = desk.booked(at(72))
    desk.reschedule(student, session, at(72.5))
    assert desk.reload(session).starts_at == at(72.5)


def test_a_longer_session_costs_more_at_the_booked_rate(desk, tutor):
    session = desk.booked(at(72))
    desk.reschedule(tutor, session, at(72), duration_minutes=90)
    stored = desk.reload(session)
    assert (stored.ends_at, stored.price_minor) == (at(73.5), 6000)
    desk.reschedule(tutor, session, at(72), duration_minutes=45)
    assert desk.reload(session).price_minor == 3000


def test_the_old_slot_is_free_after_the_move(desk, student, learner, owner):
    session = desk.request(student)
    desk.reschedule(student, session, at(100))
    _, olive = learner(first_name="Olive")
    assert desk.request(owner, student=olive, starts_at=at(72)).status == "requested"


def test_a_request_moved_closer_expires_by_its_new_start(desk, student):
    session = desk.request(student)
    desk.reschedule(student, session, at(15))
    stored = desk.reload(session)
    assert (stored.status, stored.expires_at) == (Session.Status.REQUESTED, at(15))


def test_the_move_is_signalled_after_the_commit(desk, student, django_capture_on_commit_callbacks):
    session = desk.booked(at(72))
    received = []

    def receiver(sender, session, change, **kwargs):
        received.append((session.starts_at, change))

    session_changed.connect(receiver)
    try:
        with tenant_context(desk.tenant), django_capture_on_commit_callbacks(execute=True):
            desk.reschedule(student, session, at(96))
    finally:
        session_changed.disconnect(receiver)
    assert received == [(at(96), "moved")]


def test_a_student_cannot_move_a_session_inside_the_free_window(desk, student, tutor):
    session = desk.booked(at(20))
    with pytest.raises(ApplicationError) as excinfo:
        desk.reschedule(student, session, at(40))
    assert (excinfo.value.code, excinfo.value.status) == ("reschedule_too_late", 403)
    assert "24 hours" in excinfo.value.message
    # The tutor still may.
    desk.reschedule(tutor, session, at(40))
    assert desk.reload(session).starts_at == at(40)


def test_a_student_cannot_move_a_session_more_often_than_allowed(desk, student, owner, tutor):
    session = desk.booked(at(72))
    desk.reschedule(student, session, at(73))
    desk.reschedule(student, session, at(74))
    with pytest.raises(ApplicationError) as excinfo:
        desk.reschedule(student, session, at(75))
    assert (excinfo.value.code, excinfo.value.status) == ("reschedule_limit_reached", 403)
    assert "(2)" in excinfo.value.message
    assert desk.reload(session).starts_at == at(74)
    # The agency and the tutor are not limited.
    desk.reschedule(owner, session, at(75))
    desk.reschedule(tutor, session, at(76))
    assert desk.reload(session).reschedule_count == 4
    assert [c.party for c in desk.changes(session)] == [
        "student",
        "student",
        "agency",
        "tutor",
    ]


def test_the_tutors_own_limit_applies(desk, parent, child):
    desk.schedule(max_reschedules=0)
    with pytest.raises(ApplicationError) as excinfo:
        desk.reschedule(parent, desk.booked(at(72), student=child), at(96))
    assert excinfo.value.code == "reschedule_limit_reached"


def test_a_session_cannot_move_onto_another(desk, student, learner):
    _, olive = learner(first_name="Olive")
    desk.booked(at(96), student=olive)
    session = desk.booked(at(72))
    with pytest.raises(ValidationError) as excinfo:
        desk.reschedule(student, session, at(96.5))
    assert set(excinfo.value.message_dict) == {"starts_at"}
    assert desk.reload(session).starts_at == at(72)
    assert desk.changes(session) == []


def test_the_student_cannot_be_moved_onto_their_other_session(desk, student, second_tutor):
    _, other_tutor = second_tutor
    desk.booked(at(96), tutor=other_tutor)
    session = desk.booked(at(72))
    with pytest.raises(ValidationError) as excinfo:
        desk.reschedule(student, session, at(96))
    assert excinfo.value.message_dict == {
        "starts_at": ["The student already has a session at this time."]
    }


@pytest.mark.parametrize(
    ("starts_at", "minutes", "fields"),
    [
        (timezone.make_naive(at(96), dt.UTC), None, {"starts_at"}),
        (at(-2), None, {"starts_at"}),
        ("soon", None, {"starts_at"}),
        (at(96), 50, {"duration_minutes"}),
        ("unchanged", None, {"starts_at"}),
        ("too-soon", None, {"starts_at"}),
    ],
    ids=["naive", "past", "text", "duration", "unchanged", "too-soon"],
)
def test_bad_times_are_field_errors(desk, tutor, starts_at, minutes, fields):
    session = desk.booked(at(72))
    # Times relative to the test's own clock are filled in here.
    starts_at = {"unchanged": at(72), "too-soon": at(3)}.get(starts_at, starts_at)
    with pytest.raises(ValidationError) as excinfo:
        desk.reschedule(tutor, session, starts_at, duration_minutes=minutes)
    assert set(excinfo.value.message_dict) == fields
    assert desk.reload(session).reschedule_count == 0


@pytest.mark.parametrize(
    "status", [Session.Status.CANCELLED, Session.Status.DECLINED, Session.Status.COMPLETED]
)
def test_only_requested_or_confirmed_sessions_move(desk, tutor, status):
    with pytest.raises(ApplicationError) as excinfo:
        desk.reschedule(tutor, desk.booked(at(72), status=status), at(96))
    assert (excinfo.value.code, excinfo.value.status) == ("not_active", 409)


def test_a_session_that_has_started_cannot_move(desk, tutor):
    with pytest.raises(ApplicationError) as excinfo:
        desk.reschedule(tutor, desk.booked(at(-0.5)), at(96))
    assert excinfo.value.code == "session_started"


@pytest.mark.parametrize("who", ["other_student", "other_parent", "other_tutor"])
def test_people_outside_the_session_cannot_move_it(desk, member, who):
    session = desk.booked(at(72))
    with pytest.raises(PermissionDenied):
        desk.reschedule(member(desk.tenant, who.removeprefix("other_")), session, at(96))
    assert desk.reload(session).starts_at == at(72)
