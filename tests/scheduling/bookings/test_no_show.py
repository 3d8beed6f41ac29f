"""No-shows: from the start of a confirmed session to 7 days on; who was absent decides."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from config.errors import ApplicationError
from scheduling.models import Session, SessionChange
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db

Party = SessionChange.Party


def test_the_tutor_marks_the_student_absent_and_the_fee_is_due(desk, tutor, student):
    session = desk.booked(at(-1))
    change = desk.no_show(tutor, session, "student")

    assert desk.reload(session).status == Session.Status.NO_SHOW
    assert (change.kind, change.party, change.actor) == ("no_show", Party.STUDENT, tutor.user)
    assert (change.fee_percent, change.fee_minor, change.refund_minor) == (100, 4000, 0)
    [(event, _, body)] = desk.notices(student.user)
    assert (event, body) == ("session.no_show", "The student did not attend.")
    entry = AuditEntry.objects.get(action="scheduling.session.no_show")
    assert (entry.actor, entry.target_id) == (tutor.user, str(session.pk))
    assert (entry.data["absent"], entry.data["fee_minor"]) == ("student", 4000)


def test_the_tutors_no_show_fee_applies(desk, owner):
    desk.schedule(no_show_fee_percent=25)
    change = desk.no_show(owner, desk.booked(at(-2)), "student")
    assert (change.party, change.fee_percent, change.fee_minor) == (Party.STUDENT, 25, 1000)


def test_the_student_marks_the_tutor_absent_and_is_refunded(desk, student, tutor):
    change = desk.no_show(student, desk.booked(at(-1)), "tutor")
    assert (change.party, change.actor) == (Party.TUTOR, student.user)
    assert (change.fee_minor, change.refund_minor) == (0, 4000)
    assert desk.events(tutor.user) == ["session.no_show"]


def test_a_parent_marks_the_tutor_absent_for_their_child(desk, parent, child):
    change = desk.no_show(parent, desk.booked(at(-1), student=child), "tutor")
    assert change.party == Party.TUTOR


def test_the_agency_marks_either_side_absent(desk, member):
    staff = member(desk.tenant, "staff")
    assert desk.no_show(staff, desk.booked(at(-1)), "tutor").party == Party.TUTOR
    assert desk.no_show(staff, desk.booked(at(-5)), "student").party == Party.STUDENT


@pytest.mark.parametrize(("who", "absent"), [("tutor", "tutor"), ("student", "student")])
def test_nobody_reports_their_own_side_absent(desk, tutor, student, who, absent):
    actor = tutor if who == "tutor" else student
    session = desk.booked(at(-1))
    with pytest.raises(PermissionDenied):
        desk.no_show(actor, session, absent)
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_people_outside_the_session_cannot_report_it(desk, member):
    with pytest.raises(PermissionDenied):
        desk.no_show(member(desk.tenant, "tutor"), desk.booked(at(-1)), "student")


@pytest.mark.parametrize("absent", ["both", "", None])
def test_absent_must_be_student_or_tutor(desk, tutor, absent):
    with pytest.raises(ValidationError) as excinfo:
        desk.no_show(tutor, desk.booked(at(-1)), absent)
    assert set(excinfo.value.message_dict) == {"absent"}


def test_not_before_the_session_starts(desk, tutor):
    with pytest.raises(ApplicationError) as excinfo:
        desk.no_show(tutor, desk.booked(at(1)), "student")
    assert excinfo.value.code == "not_started"


def test_not_more_than_7_days_later(desk, tutor):
    assert desk.no_show(tutor, desk.booked(at(-24 * 7 + 1)), "student").fee_minor == 4000
    with pytest.raises(ApplicationError) as excinfo:
        desk.no_show(tutor, desk.booked(at(-24 * 7 - 1)), "student")
    assert excinfo.value.code == "no_show_too_late"


@pytest.mark.parametrize(
    "status", [Session.Status.REQUESTED, Session.Status.CANCELLED, Session.Status.NO_SHOW]
)
def test_only_a_confirmed_session_can_be_missed(desk, tutor, status):
    session = desk.booked(at(-1), status=status)
    with pytest.raises(ApplicationError) as excinfo:
        desk.no_show(tutor, session, "student")
    assert (excinfo.value.code, excinfo.value.status) == ("not_confirmed", 409)
    assert desk.changes(session) == []
