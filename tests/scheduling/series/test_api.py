"""The series API: preview, booking, answers, edits and cancellations over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from scheduling.models import Session, SessionSeries
from tests.access.conftest import error_code, field_errors
from tests.scheduling.series.conftest import upcoming

pytestmark = pytest.mark.django_db

BASE = "/api/v1/scheduling/series/"


@pytest.fixture
def body(tutor_profile, student_profile, maths, open_tutor):
    def make(**changes) -> dict:
        values = {
            "tutor": tutor_profile.pk,
            "student": student_profile.pk,
            "subject": maths.pk,
            "first_starts_at": upcoming(1, 17).isoformat(),
            "duration_minutes": 60,
            "frequency": "weekly",
            "count": 4,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}

    return make


@pytest.fixture
def as_(api_client, acme):
    """``as_(membership)`` → an API client signed in as them on acme's host."""
    return lambda membership: api_client(acme, membership.user)


def _session_ids(acme, series_id: int) -> list[int]:
    with tenant_context(acme):
        return list(
            Session.objects.filter(series_id=series_id)
            .order_by("starts_at")
            .values_list("pk", flat=True)
        )


def test_preview_lists_the_dates_in_the_viewers_zone_with_conflicts(
    acme, as_, student, body, booked, tutor_profile, learner
):
    _, someone = learner(first_name="Olive")
    booked(tutor_profile, someone, upcoming(1, 17) + dt.timedelta(weeks=2))
    response = as_(student).post(f"{BASE}preview/?tz=America/New_York", body(), format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["time_zone"] == "America/New_York"
    assert data["conflicts"] == 1
    occurrences = data["occurrences"]
    assert len(occurrences) == 4
    assert occurrences[0]["starts_at"].endswith("-05:00")
    assert occurrences[0]["starts_at"][11:16] == "12:00"  # 17:00 in London
    assert [o["conflict"] for o in occurrences] == [
        None,
        None,
        "The tutor already has a session at this time.",
        None,
    ]
    with tenant_context(acme):
        assert not SessionSeries.objects.exists()


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"first_starts_at": "2031-03-04T17:00:00"}, {"first_starts_at"}),
        ({"count": 60}, {"count"}),
        ({"count": 1}, {"count"}),
        ({"frequency": "yearly"}, {"frequency"}),
        ({"duration_minutes": 50, "subject": "x"}, {"duration_minutes", "subject"}),
        ({"count": None}, {"count", "until"}),
        ({"until": "2031-02-30"}, {"until"}),
        ({"tutor": 999999}, {"tutor"}),
    ],
)
def test_bad_input_is_a_400_naming_the_fields(as_, student, body, changes, fields):
    for url in (f"{BASE}preview/", BASE):
        response = as_(student).post(url, body(**changes), format="json")
        assert set(field_errors(response)) == fields, (url, response.json())


def test_an_end_date_more_than_a_year_away_is_a_400(as_, student, body):
    until = (upcoming(1, 17) + dt.timedelta(days=370)).date().isoformat()
    response = as_(student).post(BASE, body(count=None, until=until), format="json")
    assert field_errors(response) == {
        "until": ["End the series within a year of its first session."]
    }


def test_a_student_books_a_series_and_reads_it_back(acme, as_, student, body):
    response = as_(student).post(f"{BASE}?tz=Europe/London", body(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["rrule"] == "FREQ=WEEKLY;INTERVAL=1;COUNT=4"
    assert data["rule_time_zone"] == "Europe/London"
    assert data["time_zone"] == "Europe/London"
    assert (data["count"], data["until"], data["frequency"]) == (4, None, "weekly")
    assert [s["status"] for s in data["sessions"]] == ["requested"] * 4
    assert {s["starts_at"][11:16] for s in data["sessions"]} == {"17:00"}
    detail = as_(student).get(f"{BASE}{data['id']}/?tz=Asia/Tokyo")
    assert detail.status_code == 200
    assert detail.json()["time_zone"] == "Asia/Tokyo"
    assert {s["starts_at"][11:16] for s in detail.json()["sessions"]} == {"02:00"}


def test_conflicts_refuse_a_series_unless_skipped(
    as_, student, body, booked, tutor_profile, learner
):
    _, someone = learner(first_name="Olive")
    booked(tutor_profile, someone, upcoming(1, 17) + dt.timedelta(weeks=1))
    refused = as_(student).post(BASE, body(), format="json")
    messages = field_errors(refused)["first_starts_at"]
    assert len(messages) == 2
    assert "The tutor already has a session" in messages[1]
    skipped = as_(student).post(BASE, body(skip_conflicts=True), format="json")
    assert skipped.status_code == 201
    assert len(skipped.json()["sessions"]) == 3


def test_the_tutor_accepts_or_declines_over_the_api(acme, as_, student, tutor, body):
    first = as_(student).post(BASE, body(), format="json").json()
    second = (
        as_(student)
        .post(BASE, body(first_starts_at=upcoming(3, 10).isoformat()), format="json")
        .json()
    )
    accepted = as_(tutor).post(f"{BASE}{first['id']}/accept/")
    assert accepted.status_code == 200
    assert {s["status"] for s in accepted.json()["sessions"]} == {"confirmed"}
    missing_reason = as_(tutor).post(f"{BASE}{second['id']}/decline/", {}, format="json")
    assert set(field_errors(missing_reason)) == {"reason"}
    declined = as_(tutor).post(f"{BASE}{second['id']}/decline/", {"reason": "Full"}, format="json")
    assert {s["status"] for s in declined.json()["sessions"]} == {"declined"}


def test_the_student_cannot_accept_their_own_series(as_, student, body):
    series = as_(student).post(BASE, body(), format="json").json()
    response = as_(student).post(f"{BASE}{series['id']}/accept/")
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


def test_a_tutor_cannot_book_a_series(as_, tutor, body):
    response = as_(tutor).post(BASE, body(), format="json")
    assert response.status_code == 403


def test_edits_with_each_scope(acme, as_, student, tutor, body):
    series = as_(student).post(BASE, body(count=5), format="json").json()
    as_(tutor).post(f"{BASE}{series['id']}/accept/")
    ids = _session_ids(acme, series["id"])
    this = as_(tutor).post(
        f"{BASE}{series['id']}/update/?tz=Europe/London",
        {
            "session": ids[0],
            "scope": "this",
            "starts_at": (upcoming(1, 17) + dt.timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    assert this.status_code == 200, this.content
    assert [s["starts_at"][11:16] for s in this.json()["sessions"]][:2] == ["18:00", "17:00"]
    following = as_(tutor).post(
        f"{BASE}{series['id']}/update/?tz=Europe/London",
        {
            "session": ids[3],
            "scope": "following",
            "starts_at": (upcoming(1, 17) + dt.timedelta(weeks=3, hours=-2)).isoformat(),
        },
        format="json",
    )
    assert following.status_code == 200, following.content
    split = following.json()
    assert split["id"] != series["id"]
    assert [s["id"] for s in split["sessions"]] == ids[3:]
    assert {s["starts_at"][11:16] for s in split["sessions"]} == {"15:00"}
    old = as_(tutor).get(f"{BASE}{series['id']}/").json()
    assert old["count"] == 3
    every = as_(tutor).post(
        f"{BASE}{split['id']}/update/?tz=Europe/London",
        {"session": ids[4], "scope": "all", "duration_minutes": 30},
        format="json",
    )
    assert every.status_code == 200, every.content
    assert every.json()["id"] == split["id"]
    assert {s["price_minor"] for s in every.json()["sessions"]} == {2000}


def test_an_edit_needs_a_session_of_that_series(
    as_, student, tutor, body, booked, tutor_profile, student_profile
):
    series = as_(student).post(BASE, body(), format="json").json()
    lone = booked(tutor_profile, student_profile, upcoming(3, 10))
    for action in ("update", "cancel"):
        response = as_(tutor).post(
            f"{BASE}{series['id']}/{action}/",
            {"session": lone.pk, "scope": "all", "duration_minutes": 30},
            format="json",
        )
        assert set(field_errors(response)) == {"session"}
        response = as_(tutor).post(
            f"{BASE}{series['id']}/{action}/", {"session": "x", "scope": "some"}, format="json"
        )
        assert set(field_errors(response)) == {"session", "scope"}


def test_a_conflicting_move_is_a_400_listing_the_dates(
    acme, as_, student, tutor, body, booked, tutor_profile, learner
):
    series = as_(student).post(BASE, body(), format="json").json()
    _, someone = learner(first_name="Olive")
    booked(tutor_profile, someone, upcoming(1, 18) + dt.timedelta(weeks=3))
    ids = _session_ids(acme, series["id"])
    response = as_(tutor).post(
        f"{BASE}{series['id']}/update/",
        {"session": ids[0], "scope": "all", "starts_at": upcoming(1, 18).isoformat()},
        format="json",
    )
    assert len(field_errors(response)["starts_at"]) == 2


def test_cancellations_with_each_scope_return_their_outcomes(acme, as_, student, tutor, body):
    series = as_(student).post(BASE, body(count=5), format="json").json()
    as_(tutor).post(f"{BASE}{series['id']}/accept/")
    ids = _session_ids(acme, series["id"])
    url = f"{BASE}{series['id']}/cancel/"
    this = as_(student).post(url, {"session": ids[0], "scope": "this"}, format="json")
    assert this.status_code == 200, this.content
    assert [c["kind"] for c in this.json()["changes"]] == ["cancellation"]
    following = as_(student).post(
        url, {"session": ids[3], "scope": "following", "reason": "Exams"}, format="json"
    )
    data = following.json()
    assert [c["reason"] for c in data["changes"]] == ["Exams", "Exams"]
    assert data["series"]["count"] == 3
    every = as_(tutor).post(url, {"session": ids[1], "scope": "all"}, format="json")
    assert every.status_code == 200
    assert [s["status"] for s in every.json()["series"]["sessions"]] == ["cancelled"] * 5
    assert {c["party"] for c in every.json()["changes"]} == {"tutor"}


def test_someone_else_in_the_agency_does_not_see_the_series(
    acme, as_, student, body, learner, teacher
):
    series = as_(student).post(BASE, body(), format="json").json()
    other_student, _ = learner(first_name="Olive")
    other_tutor, _ = teacher(acme, email="other@acme.test")
    for who in (other_student, other_tutor):
        for method, suffix in [("get", ""), ("post", "accept/"), ("post", "cancel/")]:
            response = getattr(as_(who), method)(
                f"{BASE}{series['id']}/{suffix}", {"session": 1, "scope": "all"}, format="json"
            )
            assert response.status_code == 404, (who, suffix)


def test_a_globex_token_finds_no_acme_series(acme, globex, api_client, as_, student, body, member):
    series = as_(student).post(BASE, body(), format="json").json()
    globex_owner = member(globex, Membership.Role.OWNER)
    client = api_client(globex, globex_owner.user)
    assert client.get(f"{BASE}{series['id']}/").status_code == 404
    for suffix in ("accept/", "decline/", "update/", "cancel/"):
        response = client.post(
            f"{BASE}{series['id']}/{suffix}",
            {"reason": "x", "session": 1, "scope": "all"},
            format="json",
        )
        assert response.status_code == 404, suffix
    # And acme's ids in a booking from globex name nobody there.
    response = client.post(f"{BASE}preview/", body(), format="json")
    assert response.status_code == 400
    assert {"tutor", "student"} <= set(response.json()["error"]["fields"])
    with tenant_context(acme):
        assert {s.status for s in Session.objects.filter(series_id=series["id"])} == {"requested"}


def test_reading_a_series_costs_the_same_queries_however_long_it_is(acme, as_, student, body):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    short = as_(student).post(BASE, body(count=2), format="json").json()
    long = (
        as_(student)
        .post(BASE, body(count=12, first_starts_at=upcoming(3, 10).isoformat()), format="json")
        .json()
    )
    counts = []
    for series in (short, long):
        client = as_(student)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{BASE}{series['id']}/")
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
