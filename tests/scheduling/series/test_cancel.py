"""Cancelling one session, this and the following ones, or all still to come."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from scheduling.models import Session, SessionChange
from scheduling.services import series as services
from tests.scheduling.series.conftest import upcoming

pytestmark = pytest.mark.django_db


def _sessions(series) -> list[Session]:
    return list(Session.objects.filter(series=series).order_by("starts_at"))


def test_this_session_is_cancelled_alone(acme, accepted, rows, student):
    series = accepted()
    with tenant_context(acme):
        second = _sessions(series)[1]
        changes = services.series_cancel(actor=student, session=second, scope="this", reason="Ill")
        series.refresh_from_db()
        assert series.count == 4
    assert [c.session_id for c in changes] == [second.pk]
    assert [status for _, status, _ in rows(series)] == [
        "confirmed",
        "cancelled",
        "confirmed",
        "confirmed",
    ]


def test_this_and_following_cancels_each_and_ends_the_series(acme, accepted, rows, tutor):
    series = accepted(count=5)
    with tenant_context(acme):
        sessions = _sessions(series)
        changes = services.series_cancel(
            actor=tutor, session=sessions[2], scope="following", reason="Moving abroad"
        )
        series.refresh_from_db()
        assert (series.count, series.rrule) == (2, "FREQ=WEEKLY;INTERVAL=1;COUNT=2")
        recorded = SessionChange.objects.filter(kind="cancellation").order_by("session_id")
        assert [c.session_id for c in recorded] == [s.pk for s in sessions[2:]]
        # Cancelled by the tutor: nothing is due and whatever was paid comes back.
        assert {(c.party, c.fee_minor, c.refund_minor, c.reason) for c in recorded} == {
            ("tutor", 0, 4000, "Moving abroad")
        }
    assert len(changes) == 3
    assert [status for _, status, _ in rows(series)] == ["confirmed"] * 2 + ["cancelled"] * 3


def test_following_on_an_end_dated_series_moves_its_end_date(acme, accepted, rows, tutor):
    first = upcoming(1, 17)
    series = accepted(count=None, until=first.date() + dt.timedelta(weeks=3))
    with tenant_context(acme):
        services.series_cancel(actor=tutor, session=_sessions(series)[1], scope="following")
        series.refresh_from_db()
    assert series.until == first.date()
    assert series.rrule.endswith("Z")


def test_all_cancels_the_sessions_to_come_and_leaves_the_past(acme, running, rows, student):
    series = running(past=2, future=3)
    with tenant_context(acme):
        sessions = _sessions(series)
        changes = services.series_cancel(actor=student, session=sessions[0], scope="all")
        series.refresh_from_db()
        assert series.count == 2
    assert [c.session_id for c in changes] == [s.pk for s in sessions[2:]]
    assert [status for _, status, _ in rows(series)] == ["completed"] * 2 + ["cancelled"] * 3


def test_each_cancellation_gets_its_own_policy_outcome(acme, running, student, schedule_set):
    series = running(past=1, future=3)
    schedule_set(free_cancellation_hours=24 * 8)  # only the next session is inside the window
    with tenant_context(acme):
        changes = services.series_cancel(actor=student, session=_sessions(series)[1], scope="all")
    fees = [(c.within_free_window, c.fee_percent, c.fee_minor) for c in changes]
    assert fees[0] == (False, 50, 2000)
    assert fees[2] == (True, 0, 0)


def test_requests_cancelled_leave_no_billing_record(acme, create, rows, student):
    series = create()
    with tenant_context(acme):
        changes = services.series_cancel(actor=student, session=_sessions(series)[0], scope="all")
        assert SessionChange.objects.count() == 0
    assert changes == []
    assert {status for _, status, _ in rows(series)} == {"cancelled"}


def test_nothing_left_to_cancel_is_refused(acme, accepted, tutor):
    series = accepted()
    with tenant_context(acme):
        first = _sessions(series)[0]
        services.series_cancel(actor=tutor, session=first, scope="all")
        with pytest.raises(ApplicationError):
            services.series_cancel(actor=tutor, session=first, scope="all")
        with pytest.raises(ApplicationError) as error:
            services.series_cancel(actor=tutor, session=first, scope="following")
    assert error.value.code == "not_active"


def test_people_outside_the_session_cannot_cancel_it(acme, accepted, rows, learner, teacher):
    series = accepted()
    other_student, _ = learner(first_name="Olive")
    other_tutor, _ = teacher(acme, email="other@acme.test")
    with tenant_context(acme):
        one = _sessions(series)[1]
        for who in (other_student, other_tutor):
            with pytest.raises(PermissionDenied):
                services.series_cancel(actor=who, session=one, scope="following")
    assert {status for _, status, _ in rows(series)} == {"confirmed"}


def test_a_bad_scope_or_reason_is_a_field_error(acme, accepted, tutor):
    series = accepted()
    with tenant_context(acme):
        one = _sessions(series)[1]
        with pytest.raises(ValidationError) as error:
            services.series_cancel(actor=tutor, session=one, scope="every")
        assert set(error.value.message_dict) == {"scope"}
        with pytest.raises(ValidationError) as error:
            services.series_cancel(actor=tutor, session=one, scope="all", reason="x" * 2001)
        assert set(error.value.message_dict) == {"reason"}
