"""Moving one session, this and the following ones, or all still to come."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from scheduling.models import Session, SessionChange, SessionSeries
from scheduling.services import series as services
from tests.scheduling.series.conftest import in_london, local, upcoming

pytestmark = pytest.mark.django_db

WEEK = dt.timedelta(weeks=1)


def _sessions(series) -> list[Session]:
    return list(Session.objects.filter(series=series).order_by("starts_at"))


def _moves(session_ids) -> list[tuple[int, str, str]]:
    return [
        (c.session_id, local(c.previous_starts_at), local(c.new_starts_at))
        for c in SessionChange.objects.filter(session_id__in=session_ids, kind="reschedule")
    ]


def test_this_session_moves_alone_and_stays_in_its_series(acme, accepted, rows, student):
    series = accepted()
    first = upcoming(1, 17)
    with tenant_context(acme):
        second = _sessions(series)[1]
        same = services.series_update(
            actor=student,
            session=second,
            scope="this",
            starts_at=second.starts_at + dt.timedelta(hours=1),
        )
        second.refresh_from_db()
        assert same.pk == series.pk
        assert second.series_occurrence == first + WEEK  # its place in the rule is kept
        assert _moves([second.pk]) == [
            (second.pk, local(first + WEEK), local(first + WEEK + dt.timedelta(hours=1)))
        ]
    assert [start[11:] for start, _, _ in rows(series)] == ["17:00", "18:00", "17:00", "17:00"]


def test_this_and_following_splits_the_series(acme, accepted, rows, tutor):
    series = accepted(count=6)
    first = upcoming(1, 17)
    with tenant_context(acme):
        sessions = _sessions(series)
        third = sessions[2]
        wednesday = in_london(third.starts_at) + dt.timedelta(days=1, hours=-1)
        new = services.series_update(
            actor=tutor, session=third, scope="following", starts_at=wednesday
        )
        series.refresh_from_db()
        assert new.pk != series.pk
        assert (series.count, series.rrule) == (2, "FREQ=WEEKLY;INTERVAL=1;COUNT=2")
        assert (new.count, new.first_starts_at, new.duration_minutes) == (4, wednesday, 60)
        assert new.rrule == "FREQ=WEEKLY;INTERVAL=1;COUNT=4"
        moved = _sessions(new)
        assert [s.series_occurrence for s in moved] == [wednesday + n * WEEK for n in range(4)]
        assert {s.reschedule_count for s in moved} == {1}
        assert len(_moves([s.pk for s in moved])) == 4
        assert _moves([s.pk for s in sessions[:2]]) == []
    assert [start for start, _, _ in rows(series)] == [local(first), local(first + WEEK)]
    assert rows(new) == [(local(wednesday + n * WEEK), "confirmed", new.pk) for n in range(4)]


def test_following_keeps_the_number_of_an_end_dated_series(acme, accepted, rows, tutor):
    first = upcoming(1, 17)
    series = accepted(count=None, until=(first + 3 * WEEK).date())
    with tenant_context(acme):
        second = _sessions(series)[1]
        thursday = in_london(second.starts_at) + dt.timedelta(days=2)
        new = services.series_update(
            actor=tutor, session=second, scope="following", starts_at=thursday
        )
        series.refresh_from_db()
    assert series.until == first.date()
    assert (new.count, new.until) == (None, (thursday + 2 * WEEK).date())
    assert len(rows(series)) == 1
    assert len(rows(new)) == 3


def test_following_from_the_first_session_moves_the_series_itself(acme, accepted, rows, tutor):
    series = accepted()
    with tenant_context(acme):
        first = _sessions(series)[0]
        same = services.series_update(
            actor=tutor,
            session=first,
            scope="following",
            starts_at=first.starts_at - dt.timedelta(hours=2),
        )
    assert same.pk == series.pk
    assert [start[11:] for start, _, _ in rows(series)] == ["15:00"] * 4


def test_all_moves_every_session_to_come_and_leaves_the_past(acme, running, rows, tutor):
    series = running(past=2, future=3)
    with tenant_context(acme):
        sessions = _sessions(series)
        later = sessions[3]
        new = services.series_update(
            actor=tutor,
            session=later,
            scope="all",
            starts_at=later.starts_at + dt.timedelta(hours=1),
        )
        series.refresh_from_db()
        assert series.count == 2  # the past keeps its rule
        assert new.count == 3
        assert new.first_starts_at == sessions[2].starts_at + dt.timedelta(hours=1)
        assert _moves([s.pk for s in sessions[:2]]) == []
        assert len(_moves([s.pk for s in sessions[2:]])) == 3
    assert [(start[11:], status) for start, status, _ in rows(series)] == [
        ("17:00", "completed"),
        ("17:00", "completed"),
    ]
    assert [start[11:] for start, _, _ in rows(new)] == ["18:00"] * 3


def test_all_on_a_series_not_yet_started_keeps_the_series(acme, accepted, rows, tutor):
    series = accepted()
    with tenant_context(acme):
        last = _sessions(series)[3]
        same = services.series_update(actor=tutor, session=last, scope="all", duration_minutes=90)
        series.refresh_from_db()
        assert same.pk == series.pk
        assert series.duration_minutes == 90
        assert {s.price_minor for s in _sessions(series)} == {6000}
    assert len(rows(series)) == 4


def test_all_may_move_a_series_by_whole_weeks_onto_its_own_dates(acme, accepted, rows, tutor):
    series = accepted()
    first = upcoming(1, 17)
    with tenant_context(acme):
        one = _sessions(series)[0]
        services.series_update(
            actor=tutor, session=one, scope="all", starts_at=in_london(one.starts_at) + WEEK
        )
    assert [start for start, _, _ in rows(series)] == [local(first + n * WEEK) for n in range(1, 5)]


def test_a_move_onto_a_taken_date_moves_nothing_and_lists_the_date(
    acme, accepted, rows, tutor, booked, learner, tutor_profile
):
    series = accepted()
    first = upcoming(1, 17)
    _, someone = learner(first_name="Olive")
    booked(tutor_profile, someone, first + 2 * WEEK + dt.timedelta(hours=1))
    before = rows(series)
    with tenant_context(acme):
        one = _sessions(series)[0]
        with pytest.raises(ValidationError) as error:
            services.series_update(
                actor=tutor,
                session=one,
                scope="all",
                starts_at=one.starts_at + dt.timedelta(hours=1),
            )
        assert SessionChange.objects.count() == 0
        assert SessionSeries.objects.count() == 1
    messages = error.value.message_dict["starts_at"]
    assert len(messages) == 2
    assert "The tutor already has a session at this time." in messages[1]
    assert rows(series) == before  # statuses and times as they were


def test_moves_outside_the_tutors_availability_are_refused(acme, accepted, tutor):
    series = accepted()
    with tenant_context(acme):
        one = _sessions(series)[1]
        with pytest.raises(ValidationError) as error:
            services.series_update(
                actor=tutor,
                session=one,
                scope="following",
                starts_at=one.starts_at + dt.timedelta(hours=5),
            )
    assert "outside the tutor's availability" in error.value.message_dict["starts_at"][1]


def test_the_student_side_cannot_move_sessions_past_the_reschedule_limit(
    acme, accepted, student, schedule_set
):
    series = accepted()
    schedule_set(max_reschedules=0)
    with tenant_context(acme):
        one = _sessions(series)[1]
        with pytest.raises(ApplicationError) as error:
            services.series_update(
                actor=student,
                session=one,
                scope="following",
                starts_at=one.starts_at + dt.timedelta(hours=1),
            )
    assert error.value.code == "reschedule_limit_reached"


def test_the_student_side_cannot_move_a_session_inside_the_free_window(
    acme, running, student, schedule_set
):
    series = running(past=1, future=2)
    schedule_set(free_cancellation_hours=24 * 8)  # the next session is always within it
    with tenant_context(acme):
        later = _sessions(series)[2]
        with pytest.raises(ApplicationError) as error:
            services.series_update(
                actor=student,
                session=later,
                scope="all",
                starts_at=later.starts_at + dt.timedelta(hours=1),
            )
    assert error.value.code == "reschedule_too_late"


def test_people_outside_the_session_cannot_move_it(acme, accepted, learner, teacher):
    series = accepted()
    other_student, _ = learner(first_name="Olive")
    other_tutor, _ = teacher(acme, email="other@acme.test")
    with tenant_context(acme):
        one = _sessions(series)[1]
        for who in (other_student, other_tutor):
            with pytest.raises(PermissionDenied):
                services.series_update(
                    actor=who,
                    session=one,
                    scope="all",
                    starts_at=one.starts_at + dt.timedelta(hours=1),
                )


def test_bad_scopes_and_times_are_field_errors(
    acme, accepted, tutor, booked, tutor_profile, student_profile
):
    series = accepted()
    lone = booked(tutor_profile, student_profile, upcoming(3, 10))
    with tenant_context(acme):
        one = _sessions(series)[1]
        for kwargs, fields in [
            ({"session": one, "scope": "some"}, {"scope"}),
            ({"session": lone, "scope": "all"}, {"session"}),
            ({"session": one, "scope": "all"}, {"starts_at"}),
            (
                {
                    "session": one,
                    "scope": "all",
                    "starts_at": dt.datetime.fromisoformat("2031-01-01 09:00"),
                },
                {"starts_at"},
            ),
            (
                {
                    "session": one,
                    "scope": "following",
                    "starts_at": one.starts_at,
                    "duration_minutes": 5,
                },
                {"duration_minutes"},
            ),
        ]:
            with pytest.raises(ValidationError) as error:
                services.series_update(actor=tutor, **kwargs)
            assert set(error.value.message_dict) == fields, kwargs
