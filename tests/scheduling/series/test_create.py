"""Booking a series: who may, what it stores, conflicts, limits, daylight saving."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from crm.models import TutorAssignment
from scheduling.models import AvailabilityException, Session, SessionSeries
from scheduling.services import series as services
from tests.scheduling.series.conftest import LONDON, NEW_YORK, local, next_change, upcoming

pytestmark = pytest.mark.django_db


def _fields(error: ValidationError) -> set[str]:
    return set(error.value.message_dict)


def test_a_student_requests_a_weekly_series_the_tutor_must_accept(
    acme, create, rows, tutor, student, student_profile, notices
):
    series = create()
    first = upcoming(1, 17)
    with tenant_context(acme):
        series.refresh_from_db()
        assert series.rrule == "FREQ=WEEKLY;INTERVAL=1;COUNT=4"
        assert (series.count, series.until, series.time_zone) == (4, None, LONDON)
        assert series.first_starts_at == first
        sessions = list(Session.objects.filter(series=series).order_by("starts_at"))
        assert all(s.series_occurrence == s.starts_at for s in sessions)
        assert {s.expires_at for s in sessions} != {None}
        assert len({s.expires_at for s in sessions}) == 1  # the requests expire together
        assert {(s.price_minor, s.currency) for s in sessions} == {(4000, "GBP")}
        assert TutorAssignment.objects.filter(student=student_profile, tutor=tutor.user).exists()
    assert [(start, status) for start, status, _ in rows(series)] == [
        (local(first + dt.timedelta(weeks=n)), "requested") for n in range(4)
    ]
    assert len(notices(tutor.user, "series.requested")) == 1
    assert notices(student.user, "series.requested") == []


def test_instant_booking_confirms_a_students_series_but_not_the_agencys(
    acme, create, rows, owner, schedule_set
):
    schedule_set(instant_booking=True)
    by_student = create()
    assert {status for _, status, _ in rows(by_student)} == {"confirmed"}
    by_agency = create(actor=owner, first_starts_at=upcoming(2, 17))
    assert {status for _, status, _ in rows(by_agency)} == {"requested"}


def test_a_parent_books_a_series_for_their_child(acme, create, rows, parent, child):
    series = create(actor=parent, student=child)
    assert len(rows(series)) == 4


def test_a_tutor_cannot_book_a_series(acme, create, tutor):
    with pytest.raises(PermissionDenied):
        create(actor=tutor)


def test_a_student_cannot_book_for_someone_else(acme, create, learner):
    other, _ = learner(first_name="Olive")
    with pytest.raises(ValidationError) as error:
        create(actor=other)
    assert _fields(error) == {"student"}


def test_a_child_without_consent_cannot_have_a_series(acme, create, owner, parent, child):
    with tenant_context(acme):
        child.consents.update(withdrawn_at=dt.datetime.now(dt.UTC))
    with pytest.raises(ApplicationError) as error:
        create(actor=owner, student=child)
    assert error.value.code == "consent_required"


def test_fortnightly_and_monthly_series(acme, create, rows):
    fortnightly = create(frequency="fortnightly", count=3)
    starts = [start for start, _, _ in rows(fortnightly)]
    first = upcoming(1, 17)
    assert starts == [local(first + dt.timedelta(weeks=2 * n)) for n in range(3)]
    monthly = create(frequency="monthly", count=3, first_starts_at=upcoming(2, 10))
    with tenant_context(acme):
        monthly.refresh_from_db()
    assert monthly.rrule.startswith("FREQ=MONTHLY;BYDAY=")
    days = [dt.date.fromisoformat(start[:10]) for start, _, _ in rows(monthly)]
    assert {day.weekday() for day in days} == {2}
    assert len({(day.year, day.month) for day in days}) == 3
    position = (days[0].day - 1) // 7 + 1  # the same weekday of the month each time
    for day in days:
        if position == 5:
            assert (day + dt.timedelta(weeks=1)).month != day.month  # the last one
        else:
            assert (day.day - 1) // 7 + 1 == position


def test_a_series_until_an_end_date_stores_it_in_the_rule(acme, create, rows):
    first = upcoming(1, 17)
    until = (first + dt.timedelta(weeks=2)).date()
    series = create(count=None, until=until)
    with tenant_context(acme):
        series.refresh_from_db()
    assert (series.count, series.until) == (None, until)
    assert ";UNTIL=" in series.rrule
    assert series.rrule.endswith("Z")
    assert len(rows(series)) == 3


def test_a_weekly_series_keeps_its_london_time_across_the_clock_change(acme, create, rows):
    change = next_change(LONDON, 3)  # a Sunday
    first = dt.datetime.combine(
        change - dt.timedelta(weeks=2), dt.time(17), tzinfo=zoneinfo.ZoneInfo(LONDON)
    )
    series = create(first_starts_at=first)
    starts = [s for s, _, _ in rows(series)]
    assert [s[11:] for s in starts] == ["17:00"] * 4
    with tenant_context(acme):
        utc_hours = [
            s.starts_at.astimezone(dt.UTC).hour
            for s in Session.objects.filter(series=series).order_by("starts_at")
        ]
    assert utc_hours == [17, 17, 16, 16]


def test_a_new_york_tutors_series_keeps_its_local_time_across_the_autumn_change(
    acme, create, tutor_profile, schedule_set
):
    tutor_profile.user.time_zone = NEW_YORK
    tutor_profile.user.save()
    schedule_set(time_zone=NEW_YORK)
    change = next_change(NEW_YORK, 11)
    sunday = dt.datetime.combine(change, dt.time(10), tzinfo=zoneinfo.ZoneInfo(NEW_YORK))
    series = create(first_starts_at=sunday - dt.timedelta(weeks=1), count=3)
    with tenant_context(acme):
        series.refresh_from_db()
        sessions = list(Session.objects.filter(series=series).order_by("starts_at"))
    assert series.time_zone == NEW_YORK
    assert [local(s.starts_at, NEW_YORK)[11:] for s in sessions] == ["10:00"] * 3
    assert [s.starts_at.astimezone(dt.UTC).hour for s in sessions] == [14, 15, 15]


# Conflicts -------------------------------------------------------------------------------


@pytest.fixture
def crowded(acme, booked, learner, teacher, tutor_profile, student_profile):
    """The tutor is taken in week 2, the student (with another tutor) in week 3, and the
    tutor is away in week 4.
    """
    first = upcoming(1, 17)
    _, someone = learner(first_name="Olive")
    booked(tutor_profile, someone, first + dt.timedelta(weeks=1, minutes=30))
    _, other_tutor = teacher(acme, email="other@acme.test")
    booked(other_tutor, student_profile, first + dt.timedelta(weeks=2))
    away = (first + dt.timedelta(weeks=3)).date()
    with tenant_context(acme):
        AvailabilityException.objects.create(tutor=tutor_profile, start_date=away, end_date=away)
    return first


def test_the_preview_shows_each_date_and_what_stands_in_its_way(acme, plan, student, crowded):
    with tenant_context(acme):
        occurrences = services.series_preview(actor=student, **plan())
    assert [local(o.starts_at) for o in occurrences] == [
        local(crowded + dt.timedelta(weeks=n)) for n in range(4)
    ]
    assert [o.ends_at - o.starts_at for o in occurrences] == [dt.timedelta(hours=1)] * 4
    conflicts = [o.conflict for o in occurrences]
    assert conflicts[0] is None
    assert conflicts[1] == "The tutor already has a session at this time."
    assert conflicts[2] == "The student already has a session at this time."
    assert conflicts[3] == "This time is outside the tutor's availability."


def test_the_preview_writes_nothing(acme, plan, student, crowded):
    with tenant_context(acme):
        services.series_preview(actor=student, **plan())
        assert not SessionSeries.objects.exists()


def test_a_series_with_conflicts_is_refused_listing_the_dates(acme, create, crowded):
    with pytest.raises(ValidationError) as error:
        create()
    messages = error.value.message_dict["first_starts_at"]
    assert len(messages) == 4  # the explanation and three dates
    assert "The tutor already has a session at this time." in messages[1]
    assert (crowded + dt.timedelta(weeks=1)).strftime("%-d %b %Y") in messages[1]
    with tenant_context(acme):
        assert not SessionSeries.objects.exists()


def test_skipping_conflicts_books_only_the_free_dates(acme, create, rows, crowded):
    series = create(skip_conflicts=True)
    assert [start for start, _, _ in rows(series)] == [local(crowded)]
    with tenant_context(acme):
        series.refresh_from_db()
    assert series.count == 4  # the rule is kept; the skipped dates have no session


def test_a_series_whose_every_date_conflicts_is_refused_even_when_skipping(
    acme, create, schedule_set
):
    schedule_set(booking_horizon_days=1)
    with pytest.raises(ValidationError) as error:
        create(skip_conflicts=True)
    assert "Every date" in error.value.message_dict["first_starts_at"][0]


def test_the_booking_horizon_applies_to_each_date(acme, plan, student, schedule_set):
    schedule_set(booking_horizon_days=21)  # the first two dates are 7 to 21 days ahead
    with tenant_context(acme):
        occurrences = services.series_preview(actor=student, **plan())
    assert [o.conflict is None for o in occurrences] == [True, True, False, False]
    assert "too far ahead" in occurrences[3].conflict


# Limits and bad input --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"count": 1}, {"count"}),
        ({"count": 53}, {"count"}),
        ({"count": "4"}, {"count"}),
        ({"count": None}, {"count", "until"}),
        ({"until": dt.date(2030, 1, 1)}, {"count", "until"}),
        ({"frequency": "daily"}, {"frequency"}),
        ({"duration_minutes": 50}, {"duration_minutes"}),
        ({"first_starts_at": dt.datetime.fromisoformat("2030-01-01 17:00")}, {"first_starts_at"}),
        ({"first_starts_at": dt.datetime(2020, 1, 1, 17, tzinfo=dt.UTC)}, {"first_starts_at"}),
        ({"subject": None, "duration_minutes": 7}, {"subject", "duration_minutes"}),
        ({"message": "x" * 2001}, {"message"}),
    ],
)
def test_bad_input_is_refused_with_every_field_named(acme, create, changes, fields):
    with pytest.raises(ValidationError) as error:
        create(**changes)
    assert _fields(error) == fields


def test_an_end_date_must_be_after_the_start_and_within_a_year(acme, create):
    first = upcoming(1, 17)
    for until, message in [
        (first.date() - dt.timedelta(days=1), "before the first"),
        (first.date() + dt.timedelta(days=367), "within a year"),
        (first.date() + dt.timedelta(days=364), "gives 53 sessions"),
        (first.date() + dt.timedelta(days=3), "gives 1 session;"),
    ]:
        with pytest.raises(ValidationError) as error:
            create(count=None, until=until)
        assert message in error.value.message_dict["until"][0], until


def test_a_year_of_weekly_sessions_fits_in_the_limit(acme, create, rows):
    first = upcoming(1, 17)
    series = create(count=None, until=first.date() + dt.timedelta(days=363))
    assert len(rows(series)) == 52


def test_the_database_has_the_last_word_on_overlaps(
    acme, create, monkeypatch, booked, learner, tutor_profile
):
    """A booking that slips in after the conflicts were checked is still refused."""
    _, someone = learner(first_name="Olive")
    booked(tutor_profile, someone, upcoming(1, 17) + dt.timedelta(weeks=2))

    def blind(*, starts, duration, **_):
        return [services.Occurrence(starts_at=s, ends_at=s + duration) for s in starts]

    monkeypatch.setattr(services, "occurrences_check", blind)
    with pytest.raises(ValidationError) as error:
        create()
    assert error.value.message_dict == {
        "first_starts_at": ["The tutor already has a session at this time."]
    }
    with tenant_context(acme):
        assert not SessionSeries.objects.exists()
