"""The calendar events API: who sees which sessions, the availability behind them, ranges
and time zones, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db

URL = "/api/v1/scheduling/calendar/events/"
UTC = dt.UTC
# A Monday in summer time in London and New York.
MONDAY = dt.datetime(2030, 6, 3, tzinfo=UTC)
WEEK = {"start": "2030-06-03", "end": "2030-06-10", "tz": "UTC"}


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [event["id"] for event in response.json()["events"]]


def _sessions(response) -> list[int]:
    return [e["session_id"] for e in response.json()["events"] if e["display"] == "auto"]


@pytest.fixture
def other_tutor(teacher, acme):
    return teacher(acme, first_name="Olga", last_name="Other")


@pytest.fixture
def lessons(tutor_profile, student_profile, other_tutor, learner, booked):
    """Sam's Monday class with Theo, Olga's class with Bea, and a declined request."""
    bea = learner(first_name="Bea")[1]
    return {
        "sam": booked(tutor_profile, student_profile, MONDAY.replace(hour=14)),
        "bea": booked(other_tutor[1], bea, MONDAY.replace(hour=15)),
        "declined": booked(
            tutor_profile, student_profile, MONDAY.replace(hour=17), status="declined"
        ),
    }


def test_a_tutor_sees_their_sessions_and_their_availability_behind_them(api_client, given):
    lessons = given.lessons
    given.weekly(given.tutor_profile, 0, "09:00", "17:00")  # Mondays, London time
    response = api_client(given.acme, given.tutor.user).get(URL, WEEK)
    events = response.json()["events"]
    sessions = [e for e in events if e["display"] == "auto"]
    background = [e for e in events if e["display"] == "background"]
    assert [e["session_id"] for e in sessions] == [lessons["sam"].pk]
    assert sessions[0]["title"] == "Mathematics · Sam Student"
    assert sessions[0]["status"] == "confirmed"
    assert [(e["start"], e["end"]) for e in background] == [
        ("2030-06-03T08:00:00+00:00", "2030-06-03T16:00:00+00:00")
    ]


def test_a_student_sees_only_their_own_sessions_without_availability(api_client, given):
    lessons, tutor_profile = given.lessons, given.tutor_profile
    given.weekly(tutor_profile, 0, "09:00", "17:00")
    client = api_client(given.acme, given.student.user)
    response = client.get(URL, {**WEEK, "tutor": tutor_profile.pk})
    assert _ids(response) == [f"session-{lessons['sam'].pk}"]
    assert response.json()["events"][0]["title"] == "Mathematics with Theo Turner"


def test_a_parent_sees_their_childs_sessions(api_client, given):
    assert given.lessons
    kid = given.booked(given.tutor_profile, given.child, MONDAY.replace(hour=10))
    response = api_client(given.acme, given.parent.user).get(URL, WEEK)
    assert _sessions(response) == [kid.pk]
    assert response.json()["events"][0]["title"] == "Kit: Mathematics with Theo Turner"


def test_agency_staff_see_every_tutor_coloured_per_tutor(api_client, member, given):
    lessons = given.lessons
    staff = member(given.acme, Membership.Role.STAFF)
    response = api_client(given.acme, staff.user).get(URL, WEEK)
    events = response.json()["events"]
    assert [e["session_id"] for e in events] == [lessons["sam"].pk, lessons["bea"].pk]
    assert events[0]["color"] != events[1]["color"]  # one colour per tutor
    assert events[0]["title"] == "Theo Turner · Sam Student · Mathematics"


def test_agency_staff_filtering_by_a_tutor_see_that_tutors_availability(api_client, given):
    lessons, olga = given.lessons, given.other_tutor[1]
    given.weekly(olga, 0, "10:00", "11:00")
    response = api_client(given.acme, given.owner.user).get(URL, {**WEEK, "tutor": olga.pk})
    events = response.json()["events"]
    assert [e["id"] for e in events] == [f"session-{lessons['bea'].pk}", "availability-0"]
    assert events[0]["color"] == "#1d4ed8"  # by status once one tutor is shown


def test_declined_and_expired_requests_are_left_out_but_requests_say_so(api_client, given):
    lessons, theo, sam = given.lessons, given.tutor_profile, given.student_profile
    asked = given.booked(theo, sam, MONDAY.replace(hour=19), status="requested")
    given.booked(theo, sam, MONDAY.replace(hour=20), status="expired")
    response = api_client(given.acme, given.tutor.user).get(URL, WEEK)
    events = {e["session_id"]: e for e in response.json()["events"]}
    assert set(events) == {lessons["sam"].pk, asked.pk}
    assert events[asked.pk]["title"].startswith("Requested: ")


def test_a_tutor_cannot_look_at_another_tutors_calendar(
    api_client, acme, tutor, other_tutor, lessons
):
    response = api_client(acme, tutor.user).get(URL, {**WEEK, "tutor": other_tutor[1].pk})
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_a_student_naming_another_tutor_sees_nothing(
    api_client, acme, student, other_tutor, lessons
):
    response = api_client(acme, student.user).get(URL, {**WEEK, "tutor": other_tutor[1].pk})
    assert _ids(response) == []


def test_globex_staff_see_nothing_of_acme_and_acmes_tutor_ids_are_not_found(
    api_client, globex, tutor_profile, lessons
):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = api_client(globex, globex_owner.user)
    assert _ids(client.get(URL, WEEK)) == []
    response = client.get(URL, {**WEEK, "tutor": tutor_profile.pk})
    assert response.status_code == 404


def test_an_acme_token_is_refused_on_globexs_host(api_client, acme, globex, owner, lessons):
    client = api_client(acme, owner.user)
    client.defaults["HTTP_HOST"] = f"{globex.slug}.localhost"
    response = client.get(URL, WEEK)
    assert response.status_code == 401
    assert error_code(response) == "wrong_tenant"


def test_times_come_back_in_the_zone_asked_for(api_client, acme, tutor, lessons):
    response = api_client(acme, tutor.user).get(URL, {**WEEK, "tz": "America/New_York"})
    body = response.json()
    assert body["time_zone"] == "America/New_York"
    assert body["start"] == "2030-06-03T00:00:00-04:00"
    event = body["events"][0]
    assert event["start"] == "2030-06-03T10:00:00-04:00"
    assert event["end"] == "2030-06-03T11:00:00-04:00"


def test_without_tz_times_are_in_the_users_own_zone(api_client, acme, tutor, lessons):
    tutor.user.time_zone = "Asia/Tokyo"
    tutor.user.save(update_fields=["time_zone"])
    params = {"start": "2030-06-03", "end": "2030-06-10"}
    event = api_client(acme, tutor.user).get(URL, params).json()["events"][0]
    assert event["start"] == "2030-06-03T23:00:00+09:00"


def test_dates_are_midnight_in_the_zone_asked_for(api_client, acme, tutor, lessons):
    # Sam's class is 14:00 UTC on 3 June: 23:00 in Tokyo, but 00:00 on 4 June in Kiritimati.
    client = api_client(acme, tutor.user)
    day = {"start": "2030-06-03", "end": "2030-06-04"}
    assert _sessions(client.get(URL, {**day, "tz": "Asia/Tokyo"})) == [lessons["sam"].pk]
    assert _sessions(client.get(URL, {**day, "tz": "Pacific/Kiritimati"})) == []


def test_datetimes_with_offsets_are_accepted(api_client, acme, tutor, lessons):
    params = {"start": "2030-06-03T15:30:00+01:00", "end": "2030-06-03T16:00:00+01:00"}
    assert _sessions(api_client(acme, tutor.user).get(URL, params)) == [lessons["sam"].pk]
    # A "+" left unencoded in a query string arrives as a space: still understood.
    query = "start=2030-06-03T15:30:00+01:00&end=2030-06-03T16:00:00+01:00"
    response = api_client(acme, tutor.user).get(f"{URL}?{query}")
    assert _sessions(response) == [lessons["sam"].pk]


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"start", "end"}),
        ({"start": "2030-06-03T00:00:00", "end": "2030-06-04"}, {"start"}),
        ({"start": "tomorrow", "end": "2030-06-04"}, {"start"}),
        ({"start": "2030-02-30", "end": "2030-03-04"}, {"start"}),
        ({"start": "0001-01-01", "end": "0001-01-02"}, {"start", "end"}),
        ({"start": "2030-06-04", "end": "2030-06-03"}, {"end"}),
        ({"start": "2030-06-03", "end": "2030-06-03"}, {"end"}),
        ({"start": "2030-06-01", "end": "2030-08-03"}, {"end"}),  # 63 days
        ({"start": "2030-06-03", "end": "2030-06-04", "tz": "Mars/Olympus"}, {"tz"}),
        ({"start": "2030-06-03", "end": "2030-06-04", "tutor": "x"}, {"tutor"}),
    ],
)
def test_bad_ranges_are_field_errors(api_client, acme, tutor, params, fields):
    response = api_client(acme, tutor.user).get(URL, params)
    assert set(field_errors(response)) == fields


def test_sixty_two_days_is_the_longest_range(api_client, acme, tutor):
    response = api_client(acme, tutor.user).get(URL, {"start": "2030-06-01", "end": "2030-08-02"})
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["owner", "tutor", "parent"])
def test_the_number_of_queries_does_not_grow_with_the_sessions(who, api_client, given):
    tutor_profile, child, booked = given.tutor_profile, given.child, given.booked
    given.weekly(tutor_profile, 0, "09:00", "17:00")
    params = {**WEEK, "tutor": tutor_profile.pk} if who == "owner" else WEEK
    client = api_client(given.acme, getattr(given, who).user)
    booked(tutor_profile, child, MONDAY.replace(hour=8))
    client.get(URL, params)  # first use: the tutor's schedule row is made
    with CaptureQueriesContext(connection) as one:
        assert len(_sessions(client.get(URL, params))) == 1
    for day in range(1, 6):
        booked(tutor_profile, child, MONDAY.replace(hour=8) + dt.timedelta(days=day))
    with CaptureQueriesContext(connection) as six:
        assert len(_sessions(client.get(URL, params))) == 6
    assert len(one) == len(six)
