"""Cancelling: who may, and the policy's outcome (fee, refund) recorded for billing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Membership
from audit.models import AuditEntry
from config.errors import ApplicationError
from scheduling.models import Session, SessionChange
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db

Party = SessionChange.Party


def test_a_student_cancelling_outside_the_window_owes_nothing(desk, student, tutor):
    session = desk.booked(at(48))
    change = desk.cancel(student, session, reason="Exams")

    assert desk.reload(session).status == Session.Status.CANCELLED
    assert (change.kind, change.party, change.actor) == (
        "cancellation",
        Party.STUDENT,
        student.user,
    )
    assert change.within_free_window is True
    assert (change.fee_percent, change.fee_minor, change.refund_minor) == (0, 0, 4000)
    assert change.currency == "GBP"
    assert Decimal(47) <= change.notice_hours <= Decimal(48)
    assert (change.previous_starts_at, change.previous_ends_at) == (
        session.starts_at,
        session.ends_at,
    )
    assert desk.changes(session) == [change]
    [(event, _, body)] = desk.notices(tutor.user)
    assert (event, body) == ("session.cancelled", "Exams")


def test_a_student_cancelling_late_owes_the_late_fee(desk, student):
    change = desk.cancel(student, desk.booked(at(5)))
    assert change.within_free_window is False
    assert (change.fee_percent, change.fee_minor, change.refund_minor) == (50, 2000, 2000)


def test_a_parent_cancelling_late_for_their_child_owes_the_fee(desk, parent, child):
    change = desk.cancel(parent, desk.booked(at(5), student=child))
    assert (change.party, change.fee_minor) == (Party.STUDENT, 2000)


def test_the_tutors_own_late_fee_applies(desk, student):
    desk.schedule(late_cancellation_fee_percent=20, free_cancellation_hours=72)
    change = desk.cancel(student, desk.booked(at(48)))
    assert (change.within_free_window, change.fee_percent, change.fee_minor) == (False, 20, 800)


def test_a_tutor_cancelling_late_refunds_the_student_in_full(desk, tutor, student):
    session = desk.booked(at(2))
    change = desk.cancel(tutor, session, reason="Ill")
    assert (change.party, change.fee_minor, change.refund_minor) == (Party.TUTOR, 0, 4000)
    assert desk.events(student.user) == ["session.cancelled"]
    assert desk.events(tutor.user) == []


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_the_agency_cancelling_refunds_the_student_in_full(desk, member, owner, student, role):
    actor = owner if role == "owner" else member(desk.tenant, role)
    change = desk.cancel(actor, desk.booked(at(2)))
    assert (change.party, change.fee_minor, change.refund_minor) == (Party.AGENCY, 0, 4000)
    assert desk.events(student.user) == ["session.cancelled"]
    assert desk.events(desk.tutor.user) == ["session.cancelled"]


def test_a_cancellation_is_audited_with_its_outcome(desk, student):
    session = desk.booked(at(5))
    desk.cancel(student, session)
    entry = AuditEntry.objects.get(action="scheduling.session.cancelled")
    assert (entry.actor, entry.tenant, entry.target_id) == (
        student.user,
        desk.tenant,
        str(session.pk),
    )
    assert entry.data["party"] == "student"
    assert entry.data["status_before"] == "confirmed"
    assert (entry.data["fee_minor"], entry.data["refund_minor"]) == (2000, 2000)


def test_a_withdrawn_request_costs_nothing_and_leaves_no_billing_record(desk, student, tutor):
    session = desk.request(student)
    assert desk.cancel(student, session) is None
    stored = desk.reload(session)
    assert (stored.status, stored.expires_at) == (Session.Status.CANCELLED, None)
    assert desk.changes(session) == []
    assert desk.events(tutor.user) == ["session.requested", "session.cancelled"]
    assert AuditEntry.objects.get(action="scheduling.session.cancelled").data["status_before"] == (
        "requested"
    )


def test_a_request_cancelled_by_the_tutor_costs_nothing(desk, student, tutor):
    assert desk.cancel(tutor, desk.request(student)) is None


def test_a_cancelled_slot_is_free_again(desk, student):
    desk.cancel(student, desk.request(student))
    assert desk.request(student).status == Session.Status.REQUESTED


@pytest.mark.parametrize(
    "status",
    [
        Session.Status.CANCELLED,
        Session.Status.DECLINED,
        Session.Status.EXPIRED,
        Session.Status.COMPLETED,
        Session.Status.NO_SHOW,
    ],
)
def test_a_session_no_longer_active_cannot_be_cancelled(desk, student, status):
    session = desk.booked(at(48), status=status)
    with pytest.raises(ApplicationError) as excinfo:
        desk.cancel(student, session)
    assert (excinfo.value.code, excinfo.value.status) == ("not_active", 409)
    assert desk.changes(session) == []


def test_a_session_that_has_ended_cannot_be_cancelled(desk, tutor):
    session = desk.booked(at(-3))
    with pytest.raises(ApplicationError) as excinfo:
        desk.cancel(tutor, session)
    assert excinfo.value.code == "session_over"
    assert desk.reload(session).status == Session.Status.CONFIRMED


@pytest.mark.parametrize("who", ["other_student", "other_parent", "other_tutor"])
def test_people_outside_the_session_cannot_cancel_it(desk, member, who):
    session = desk.booked(at(48))
    with pytest.raises(PermissionDenied):
        desk.cancel(member(desk.tenant, who.removeprefix("other_")), session)
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_a_member_of_another_tenant_cannot_cancel(desk, globex, member):
    session = desk.booked(at(48))
    with pytest.raises(PermissionDenied):
        desk.cancel(member(globex, Membership.Role.OWNER), session)


def test_a_reason_is_limited_in_length(desk, student):
    session = desk.booked(at(48))
    with pytest.raises(ValidationError) as excinfo:
        desk.cancel(student, session, reason="x" * 2001)
    assert set(excinfo.value.message_dict) == {"reason"}
    assert desk.reload(session).status == Session.Status.CONFIRMED
