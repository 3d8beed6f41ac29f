"""The tutor answers a requested series in one go."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from scheduling.models import Session
from scheduling.services import series as services

pytestmark = pytest.mark.django_db


def test_the_tutor_accepts_every_request_of_a_series(acme, create, tutor, student, notices):
    series = create()
    with tenant_context(acme):
        services.series_accept(actor=tutor, series=series)
        sessions = Session.objects.filter(series=series)
        assert {(s.status, s.expires_at, s.decided_by_id) for s in sessions} == {
            ("confirmed", None, tutor.user_id)
        }
    assert len(notices(student.user, "series.confirmed")) == 1


def test_the_tutor_declines_a_series_with_a_reason(acme, create, tutor, student, notices):
    series = create()
    with tenant_context(acme):
        with pytest.raises(ValidationError) as error:
            services.series_decline(actor=tutor, series=series, reason="  ")
        assert set(error.value.message_dict) == {"reason"}
        services.series_decline(actor=tutor, series=series, reason="Full on Tuesdays")
        assert set(
            Session.objects.filter(series=series).values_list("status", "decline_reason")
        ) == {("declined", "Full on Tuesdays")}
    assert len(notices(student.user, "series.declined")) == 1


def test_a_manager_may_answer_for_the_tutor(acme, create, rows, owner):
    series = create()
    with tenant_context(acme):
        services.series_accept(actor=owner, series=series)
    assert {status for _, status, _ in rows(series)} == {"confirmed"}


def test_only_the_tutor_or_a_manager_answers(acme, create, student, teacher, member):
    series = create()
    other_tutor, _ = teacher(acme, email="other@acme.test")
    staff = member(acme, "staff")
    with tenant_context(acme):
        for who in (student, other_tutor, staff):
            with pytest.raises(PermissionDenied):
                services.series_accept(actor=who, series=series)


def test_an_answered_series_cannot_be_answered_again(acme, create, tutor):
    series = create()
    with tenant_context(acme):
        services.series_accept(actor=tutor, series=series)
        with pytest.raises(ApplicationError) as error:
            services.series_decline(actor=tutor, series=series, reason="Changed my mind")
    assert error.value.code == "not_requested"


def test_an_expired_series_request_is_marked_expired_and_refused(acme, create, rows, tutor):
    series = create()
    with tenant_context(acme):
        Session.objects.filter(series=series).update(
            expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        )
        with pytest.raises(ApplicationError) as error:
            services.series_accept(actor=tutor, series=series)
    assert error.value.code == "request_expired"
    assert {status for _, status, _ in rows(series)} == {"expired"}


def test_sessions_answered_one_by_one_are_left_as_they_are(acme, create, rows, tutor):
    from scheduling.services import bookings

    series = create()
    with tenant_context(acme):
        first = Session.objects.filter(series=series).order_by("starts_at").first()
        bookings.session_decline(actor=tutor, session=first, reason="Away that day")
        services.series_accept(actor=tutor, series=series)
    assert [status for _, status, _ in rows(series)] == [
        "declined",
        "confirmed",
        "confirmed",
        "confirmed",
    ]
