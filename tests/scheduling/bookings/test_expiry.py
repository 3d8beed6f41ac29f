"""Unanswered requests expire: by the service, the tenant task and the beat dispatcher."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from scheduling.jobs_bookings import session_requests_expire, session_requests_expire_dispatch
from scheduling.models import Session
from tests.scheduling.bookings.conftest import at
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.django_db


def test_requests_past_their_time_expire_and_the_student_is_told(
    desk, student, learner, owner, tutor
):
    due = desk.request(student)
    _, olive = learner(first_name="Olive")
    later = desk.request(owner, student=olive, starts_at=at(24 * 10))
    desk.update(later, expires_at=at(48))
    confirmed = desk.request(owner, student=olive, starts_at=at(24 * 5))
    desk.accept(tutor, confirmed)

    assert desk.expire(now=due.expires_at + dt.timedelta(seconds=1)) == 1
    assert desk.reload(due).status == Session.Status.EXPIRED
    assert desk.reload(later).status == Session.Status.REQUESTED
    assert desk.reload(confirmed).status == Session.Status.CONFIRMED
    [(event, title, _)] = desk.notices(student.user)
    assert event == "session.expired"
    assert "with Theo Turner" in title
    # The tutor who did not answer is not told again.
    assert "session.expired" not in desk.events(tutor.user)
    # Running again finds nothing more to do.
    assert desk.expire(now=due.expires_at + dt.timedelta(seconds=2)) == 0


def test_nothing_expires_before_its_time(desk, student):
    session = desk.request(student)
    assert desk.expire(now=session.expires_at - dt.timedelta(seconds=1)) == 0
    assert desk.expire() == 0
    assert desk.reload(session).status == Session.Status.REQUESTED


def test_the_parents_of_a_child_without_an_account_are_told(desk, parent, child, owner):
    session = desk.request(owner, student=child)
    desk.expire(now=session.expires_at)
    assert desk.events(parent.user) == ["session.requested", "session.expired"]


def test_an_expired_slot_is_free_again(desk, student):
    session = desk.request(student)
    desk.expire(now=session.expires_at)
    assert desk.request(student).status == Session.Status.REQUESTED


def test_the_task_expires_requests_in_the_tenant_it_was_queued_in(desk, student):
    session = desk.request(student)
    desk.update(session, expires_at=at(-1))
    with tenant_context(desk.tenant):
        result = session_requests_expire.delay()
    assert result.get() == 1
    assert desk.reload(session).status == Session.Status.EXPIRED


def test_the_dispatcher_runs_the_task_in_every_agency(desk, student, globex, teacher, booked):
    session = desk.request(student)
    desk.update(session, expires_at=at(-1))
    _, globex_tutor = teacher(globex)
    globex_owner = Membership.objects.get(tenant=globex, role=Membership.Role.OWNER)
    with tenant_context(globex):
        globex_student = crm.student_create(
            actor=globex_owner, first_name="Gil", date_of_birth=dob_for(30)
        )
    elsewhere = booked(
        globex_tutor, globex_student, at(72), status=Session.Status.REQUESTED, expires_at=at(-1)
    )

    assert session_requests_expire_dispatch.delay().get() >= 2
    assert desk.reload(session).status == Session.Status.EXPIRED
    with tenant_context(globex):
        assert Session.objects.get(pk=elsewhere.pk).status == Session.Status.EXPIRED
