"""Utilization per tutor per ISO week: booked over available hours, in the agency's zone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Membership
from scheduling.models import AvailabilityException
from scheduling.selectors.utilization import utilization
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db

URL = "/api/v1/scheduling/agency/utilization/"
UTC = dt.UTC
JUNE_3 = dt.date(2030, 6, 3)  # a Monday, British Summer Time


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def other_tutor(teacher, acme):
    return teacher(acme, first_name="Olga", last_name="Other")


@pytest.fixture
def busy_week(given, other_tutor):
    """Theo: Mondays 9-17 and Wednesdays 10-12 (10 h); 4 h booked the week of 3 June,
    plus a request and a cancellation that do not count. Away all of Monday 10 June.
    Olga has no availability."""
    acme, tutor_profile, student_profile = given.acme, given.tutor_profile, given.student_profile
    weekly, booked = given.weekly, given.booked
    weekly(tutor_profile, 0, "09:00", "17:00")
    weekly(tutor_profile, 2, "10:00", "12:00")
    booked(tutor_profile, student_profile, at("2030-06-03T09:00"), minutes=120)
    booked(tutor_profile, student_profile, at("2030-06-05T09:00"), status="completed")
    booked(tutor_profile, student_profile, at("2030-06-06T18:00"), status="no_show")
    booked(tutor_profile, student_profile, at("2030-06-07T09:00"), status="requested")
    booked(tutor_profile, student_profile, at("2030-06-07T11:00"), status="cancelled")
    with tenant_context(acme):
        AvailabilityException.objects.create(
            tutor=tutor_profile, start_date=dt.date(2030, 6, 10), end_date=dt.date(2030, 6, 10)
        )
    return tutor_profile


def _report(owner, week: dt.date, weeks: int) -> dict[str, list]:
    with tenant_context(owner.tenant):
        rows = utilization(viewer=owner, week_start=week, weeks=weeks)
    return {
        row.tutor.full_name: [
            (w.week_start, w.booked_hours, w.available_hours, w.percent) for w in row.weeks
        ]
        for row in rows
    }


def test_booked_hours_count_confirmed_completed_and_no_show_sessions(owner, busy_week):
    report = _report(owner, JUNE_3, 2)
    assert report["Theo Turner"] == [
        (JUNE_3, Decimal("4.00"), Decimal("10.00"), Decimal("40.0")),
        (dt.date(2030, 6, 10), Decimal("0.00"), Decimal("2.00"), Decimal("0.0")),
    ]


def test_a_tutor_without_availability_has_no_percentage(owner, busy_week):
    assert _report(owner, JUNE_3, 1)["Olga Other"] == [
        (JUNE_3, Decimal("0.00"), Decimal("0.00"), None)
    ]


def test_tutors_come_in_name_order_and_any_day_picks_its_week(owner, busy_week):
    report = _report(owner, dt.date(2030, 6, 8), 1)  # a Saturday: the week of 3 June
    assert list(report) == ["Olga Other", "Theo Turner"]
    assert report["Theo Turner"][0][0] == JUNE_3


def test_weeks_follow_the_agencys_clock_across_the_spring_change(
    owner, tutor_profile, student_profile, weekly, booked
):
    """London's clocks went forward at 01:00 UTC on Sunday 30 March 2025.

    The week of 24 March ends at Monday 00:00 BST = Sunday 23:00 UTC, so a class from
    Sunday 22:30 to 23:30 UTC is half in each week; Sunday 00:00-03:00 London time was
    only two real hours that night.
    """
    weekly(tutor_profile, 6, "00:00", "03:00")
    booked(tutor_profile, student_profile, at("2025-03-30T22:30"))
    report = _report(owner, dt.date(2025, 3, 24), 2)["Theo Turner"]
    assert report == [
        (dt.date(2025, 3, 24), Decimal("0.50"), Decimal("2.00"), Decimal("25.0")),
        (dt.date(2025, 3, 31), Decimal("0.50"), Decimal("3.00"), Decimal("16.7")),
    ]


def test_weeks_follow_the_agencys_clock_across_the_autumn_change(
    owner, tutor_profile, student_profile, weekly, booked
):
    """The clocks went back at 01:00 UTC on Sunday 26 October 2025: the night of Sunday
    00:00-03:00 London time was four real hours, and the week ended at 00:00 UTC (not
    23:00 UTC as it began), so a class from 23:30 to 00:30 UTC is half in each week."""
    weekly(tutor_profile, 6, "00:00", "03:00")
    booked(tutor_profile, student_profile, at("2025-10-26T23:30"))
    report = _report(owner, dt.date(2025, 10, 20), 2)["Theo Turner"]
    assert report == [
        (dt.date(2025, 10, 20), Decimal("0.50"), Decimal("4.00"), Decimal("12.5")),
        (dt.date(2025, 10, 27), Decimal("0.50"), Decimal("3.00"), Decimal("16.7")),
    ]


def test_only_agency_staff_may_ask(acme, tutor, student):
    with tenant_context(acme):
        for viewer in (tutor, student):
            with pytest.raises(PermissionDenied):
                utilization(viewer=viewer, week_start=JUNE_3, weeks=1)


# API ---------------------------------------------------------------------------------------


def test_the_api_gives_numbers_and_percentages(api_client, acme, owner, busy_week):
    response = api_client(acme, owner.user).get(URL, {"week": "2030-06-05", "weeks": 2})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["time_zone"] == "Europe/London"
    assert body["weeks"] == ["2030-06-03", "2030-06-10"]
    assert body["count"] == 2
    theo = next(row for row in body["results"] if row["tutor_id"] == busy_week.pk)
    assert theo["name"] == "Theo Turner"
    assert theo["weeks"][0] == {
        "week_start": "2030-06-03",
        "booked_hours": 4.0,
        "available_hours": 10.0,
        "percent": 40.0,
    }


def test_staff_may_read_it_and_the_results_page(api_client, acme, member, busy_week):
    staff = member(acme, Membership.Role.STAFF)
    response = api_client(acme, staff.user).get(URL, {"week": "2030-06-03", "page_size": 1})
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Olga Other"]
    assert response.json()["next"]


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_others_are_refused(api_client, acme, member, role):
    response = api_client(acme, member(acme, role).user).get(URL)
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"weeks": 0}, "weeks"),
        ({"weeks": 13}, "weeks"),
        ({"weeks": "four"}, "weeks"),
        ({"week": "next week"}, "week"),
        ({"week": "0001-01-01"}, "week"),
    ],
)
def test_bad_weeks_are_field_errors(api_client, acme, owner, params, field):
    assert set(field_errors(api_client(acme, owner.user).get(URL, params))) == {field}


def test_globex_sees_only_its_own_tutors(api_client, globex, busy_week):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    body = api_client(globex, globex_owner.user).get(URL, {"week": "2030-06-03"}).json()
    assert body["count"] == 0
    assert body["time_zone"] == "America/New_York"


def test_the_number_of_queries_does_not_grow_with_tutors_or_sessions(api_client, given, busy_week):
    acme, student_profile = given.acme, given.student_profile
    client = api_client(acme, given.owner.user)
    params = {"week": "2030-06-03", "weeks": 4}
    with CaptureQueriesContext(connection) as few:
        assert client.get(URL, params).status_code == 200
    for n in range(3):
        _, profile = given.teacher(acme, first_name=f"Extra{n}")
        given.weekly(profile, 1, "09:00", "12:00")
        given.booked(profile, student_profile, at(f"2030-06-1{n}T12:00"))
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL, params).json()["count"] == 5
    assert len(few) == len(many)
