"""GET /api/v1/scheduling/sessions/: the paginated search, in the viewer's zone."""

from __future__ import annotations

import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.access.conftest import field_errors
from tests.scheduling.history.conftest import in_days

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/scheduling/sessions/"


def test_the_list_shows_times_in_the_viewers_zone(api_client, acme, cast):
    client = api_client(acme, cast.tutor.user)
    body = client.get(SEARCH, {"tz": "America/New_York"}).json()
    assert body["count"] == 1
    (item,) = body["results"]
    start = cast.session.starts_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert item["starts_at"] == start.isoformat()
    assert item["id"] == cast.session.pk
    assert item["status"] == "completed"
    assert item["tutor"] == {"id": cast.tutor_profile.pk, "name": "Theo Turner"}
    assert item["student"] == {"id": cast.student_profile.pk, "name": "Sam Student"}
    assert (item["price_minor"], item["currency"], item["attachment_count"]) == (4000, "GBP", 0)
    assert "tutor_notes" not in item
    assert "student_notes" not in item
    default = client.get(SEARCH).json()["results"][0]["starts_at"]
    assert (
        default == cast.session.starts_at.astimezone(zoneinfo.ZoneInfo("Europe/London")).isoformat()
    )


def test_the_list_filters_and_paginates_in_a_fixed_number_of_queries(
    api_client, acme, cast, booked
):
    client = api_client(acme, cast.parent.user)

    def queries(params: dict) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(SEARCH, params).status_code == 200
        return len(captured)

    few = queries({"page_size": 50})
    for day in range(2, 12):
        booked(cast.tutor_profile, cast.student_profile, in_days(day))
    assert queries({"page_size": 50}) == few
    page = client.get(SEARCH, {"page_size": 5, "status": "confirmed"}).json()
    assert page["count"] == 10
    assert len(page["results"]) == 5
    assert page["next"]


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"date_from": "soon"}, {"date_from"}),
        ({"status": "lost", "tz": "Nowhere"}, {"status", "tz"}),
        ({"tutor": "x"}, {"tutor"}),
    ],
)
def test_bad_filters_are_a_400_with_field_names(api_client, acme, cast, params, fields):
    response = api_client(acme, cast.owner.user).get(SEARCH, params)
    assert set(field_errors(response)) == fields


def test_people_off_a_session_do_not_list_it(api_client, acme, cast):
    for who in (cast.other_tutor, cast.outsider):
        assert api_client(acme, who.user).get(SEARCH).json()["count"] == 0
