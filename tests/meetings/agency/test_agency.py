"""The agency's meetings: upcoming sessions with provider, status, window, attendance and
completion, for owners, admins and staff."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Membership
from meetings.models import Attendance
from meetings.selectors import meeting_list, meeting_rows
from tests.access.conftest import error_code, field_errors
from tests.meetings.completion.conftest import at

pytestmark = pytest.mark.django_db

API = "/api/v1/meetings/"
PAGE = "/meetings/"
DAY = 24 * 60
FAILURE = "Zoom refused: 1001 user not found"
UTC = zoneinfo.ZoneInfo("UTC")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _listed(viewer, **filters) -> list[int]:
    with tenant_context(viewer.tenant):
        return [session.pk for session in meeting_list(viewer=viewer, **filters)]


def _rows(viewer, **filters):
    with tenant_context(viewer.tenant):
        return {
            row.session.pk: row
            for row in meeting_rows(sessions=meeting_list(viewer=viewer, **filters))
        }


@pytest.fixture
def week(desk, cast, teacher):
    """Theo's classes around now, and one of Olga's."""
    _, olga = teacher(desk.tenant, first_name="Olga", email="olga2@acme.test")
    sessions = {
        "past": desk.session(-3 * DAY),
        "in_progress": desk.session(-20),
        "ready": desk.session(2 * 60),
        "failed": desk.session(DAY),
        "unset": desk.session(2 * DAY),
        "requested": desk.session(3 * DAY, status="requested"),
        "cancelled": desk.session(4 * DAY, status="cancelled"),
        "cancelled_meeting": desk.session(5 * DAY, status="cancelled"),
        "far": desk.session(20 * DAY),
    }
    sessions["olga"] = desk._booked(olga, desk.student_profile, at(6 * DAY))
    desk.meeting(sessions["past"])
    desk.meeting(sessions["in_progress"])
    desk.meeting(sessions["ready"])
    desk.meeting(sessions["failed"], status="failed", last_error=FAILURE)
    desk.meeting(sessions["cancelled_meeting"], status="cancelled")
    desk.meeting(sessions["olga"], provider="zoom", external_id="991")
    desk.attend(sessions["in_progress"], cast.tutor.user, Attendance.Role.TUTOR)
    return sessions


def test_by_default_the_next_fourteen_days_not_yet_over(desk, cast, week):
    listed = _listed(cast.staff)
    expected = ["in_progress", "ready", "failed", "unset", "cancelled_meeting", "olga"]
    assert listed == [week[name].pk for name in expected]


def test_rows_carry_status_provider_window_attendance_and_completion(desk, cast, week):
    rows = _rows(cast.owner)

    unset = rows[week["unset"].pk]
    assert (unset.status, unset.status_label, unset.provider, unset.can_retry) == (
        "not_set_up",
        "Not set up",
        "",
        True,
    )
    failed = rows[week["failed"].pk]
    assert (failed.status, failed.can_retry) == ("failed", True)
    assert failed.meeting.last_error == FAILURE
    ready = rows[week["ready"].pk]
    assert (ready.status, ready.provider_label, ready.can_retry, ready.window_open) == (
        "ready",
        "Fake provider (tests)",
        False,
        False,
    )
    assert (ready.opens_at, ready.closes_at) == (
        week["ready"].starts_at - dt.timedelta(minutes=15),
        week["ready"].ends_at + dt.timedelta(minutes=15),
    )
    live = rows[week["in_progress"].pk]
    assert live.window_open is True
    assert [(a.user_id, a.role, a.via_platform) for a in live.attendance] == [
        (cast.tutor.user.pk, "tutor", True)
    ]
    assert (live.completion.key, ready.completion.key) == ("awaiting", "upcoming")
    assert rows[week["olga"].pk].provider_label == "Zoom"
    assert rows[week["cancelled_meeting"].pk].status == "cancelled"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "ready"}, ["in_progress", "ready", "olga"]),
        ({"status": "failed"}, ["failed"]),
        ({"status": "not_set_up"}, ["unset"]),
        ({"status": "cancelled"}, ["cancelled_meeting"]),
        ({"provider": "zoom"}, ["olga"]),
        ({"provider": "fake", "status": "ready"}, ["in_progress", "ready"]),
    ],
)
def test_filters_by_meeting_status_and_provider(desk, cast, week, filters, expected):
    assert _listed(cast.staff, **filters) == [week[name].pk for name in expected]


def test_filters_by_tutor(desk, cast, week):
    olga = week["olga"].tutor_id
    assert _listed(cast.staff, tutor=olga) == [week["olga"].pk]


def test_a_date_range_shows_past_and_far_meetings(desk, cast, week):
    past, far = week["past"].starts_at.date(), week["far"].starts_at.date()
    assert _listed(cast.staff, date_from=past, date_to=past, zone=UTC) == [week["past"].pk]
    assert _listed(cast.staff, date_from=far, zone=UTC) == [week["far"].pk]


def test_dates_are_days_in_the_viewers_zone(desk, cast):
    late = desk.session(3 * DAY)
    local_day = late.starts_at.astimezone(TOKYO).date()
    assert _listed(cast.staff, date_from=local_day, date_to=local_day, zone=TOKYO) == [late.pk]
    other_day = local_day + dt.timedelta(days=1)
    assert _listed(cast.staff, date_from=other_day, date_to=other_day, zone=TOKYO) == []


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_the_agency_sees_all_meetings(desk, member, role):
    with pytest.raises(PermissionDenied):
        _listed(member(desk.tenant, role))


# The page -------------------------------------------------------------------------------------


def test_the_page_lists_meetings_with_retry_for_failed_ones(web_client, desk, cast, week):
    response = web_client(desk.tenant, cast.staff.user).get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="meeting-row"') == 6
    assert "Not set up" in html
    assert FAILURE in html
    assert f'action="/meetings/sessions/{week["failed"].pk}/retry/"' in html
    assert f'action="/meetings/sessions/{week["ready"].pk}/retry/"' not in html
    assert "Theo Turner" in html
    assert "Waiting for confirmation" in html


def test_the_page_shows_times_in_the_viewers_zone(web_client, desk, cast):
    session = desk.session(2 * DAY)
    cast.staff.user.time_zone = "Asia/Tokyo"
    cast.staff.user.save(update_fields=["time_zone"])
    html = web_client(desk.tenant, cast.staff.user).get(PAGE).content.decode()
    local = session.starts_at.astimezone(TOKYO)
    assert f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M}" in html
    assert "Asia/Tokyo" in html


def test_the_page_filters_and_answers_htmx_with_the_results(web_client, desk, cast, week):
    client = web_client(desk.tenant, cast.owner.user)
    response = client.get(PAGE, {"status": "failed"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('data-testid="meeting-row"') == 1
    bad = client.get(PAGE, {"date_from": "2030-01-10", "date_to": "2030-01-01"})
    assert bad.status_code == 400
    assert "cannot be before" in bad.content.decode()


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_others_get_403_on_the_page(web_client, desk, member, role):
    assert web_client(desk.tenant, member(desk.tenant, role).user).get(PAGE).status_code == 403


def test_the_page_costs_the_same_queries_for_any_number_of_rows(web_client, desk, cast):
    desk.policy()  # the settings row exists, as it does after the first request
    client = web_client(desk.tenant, cast.staff.user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        return len(queries)

    def add(n: int) -> None:
        for i in range(n):
            session = desk.session(60 + 90 * (len(added) + i))
            desk.meeting(session)
            desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)
            desk.attend(session, cast.student.user, Attendance.Role.STUDENT)
        added.extend(range(n))

    added: list[int] = []
    add(1)
    one = count()
    add(9)
    ten = count()
    assert ten == one


# Retrying -------------------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch) -> list[int]:
    calls: list[int] = []
    monkeypatch.setattr(
        "meetings.services.lifecycle.meeting_sync_queue", lambda session: calls.append(session.pk)
    )
    return calls


def test_staff_retry_a_failed_or_missing_meeting(web_client, desk, cast, week, queued):
    client = web_client(desk.tenant, cast.staff.user)
    for name in ("failed", "unset"):
        response = client.post(f"/meetings/sessions/{week[name].pk}/retry/")
        assert (response.status_code, response["Location"]) == (302, PAGE)
    assert queued == [week["failed"].pk, week["unset"].pk]


def test_a_ready_meeting_or_a_past_class_is_not_retried(web_client, desk, cast, week, queued):
    client = web_client(desk.tenant, cast.owner.user)
    for name in ("ready", "past", "cancelled_meeting"):
        assert client.post(f"/meetings/sessions/{week[name].pk}/retry/").status_code == 302
    assert queued == []


def test_others_cannot_retry(web_client, desk, cast, week, queued):
    for person in (cast.tutor, cast.student):
        response = web_client(desk.tenant, person.user).post(
            f"/meetings/sessions/{week['failed'].pk}/retry/"
        )
        assert response.status_code == 403
    missing = web_client(desk.tenant, cast.staff.user).post("/meetings/sessions/999999/retry/")
    assert missing.status_code == 404
    assert queued == []


# The API --------------------------------------------------------------------------------------


def test_the_api_lists_the_meetings(api_client, desk, cast, week):
    response = api_client(desk.tenant, cast.admin.user).get(API, {"tz": "Asia/Tokyo"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 6
    rows = {row["session"]["id"]: row for row in body["results"]}
    failed = rows[week["failed"].pk]
    assert (failed["meeting_status"], failed["last_error"]) == (
        "failed",
        FAILURE,
    )
    unset = rows[week["unset"].pk]
    assert (unset["meeting_status"], unset["provider"]) == ("not_set_up", "")
    live = rows[week["in_progress"].pk]
    assert live["window_open"] is True
    assert [a["role"] for a in live["attendance"]] == ["tutor"]
    assert live["completion"]["state"] == "awaiting"
    assert live["session"]["starts_at"].endswith("+09:00")
    assert rows[week["ready"].pk]["last_error"] == ""


def test_the_api_filters_and_pages(api_client, desk, cast, week):
    client = api_client(desk.tenant, cast.staff.user)
    assert client.get(API, {"status": "not_set_up"}).json()["count"] == 1
    assert client.get(API, {"provider": "zoom"}).json()["count"] == 1
    assert client.get(API, {"tutor": week["olga"].tutor_id}).json()["count"] == 1
    page = client.get(API, {"page_size": 2, "page": 2}).json()
    assert [r["session"]["id"] for r in page["results"]] == [week["failed"].pk, week["unset"].pk]
    past = week["past"].starts_at.date().isoformat()
    assert client.get(API, {"date_from": past, "date_to": past, "tz": "UTC"}).json()["count"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "broken"}, "status"),
        ({"date_from": "2030-02-01", "date_to": "2030-01-01"}, "date_to"),
        ({"date_from": "2030-01-01", "date_to": "2030-06-01"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"tutor": "x"}, "tutor"),
        ({"tz": "Nowhere/Land"}, "tz"),
    ],
)
def test_the_api_refuses_bad_filters(api_client, desk, cast, query, field):
    response = api_client(desk.tenant, cast.staff.user).get(API, query)
    assert set(field_errors(response)) == {field}


def test_the_api_costs_the_same_queries_for_any_page_size(api_client, desk, cast, week):
    desk.policy()  # the settings row exists, as it does after the first request
    client = api_client(desk.tenant, cast.staff.user)
    counts = []
    for size in (1, 6):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(API, {"page_size": size}).json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_others_get_403_from_the_api(api_client, desk, member, role):
    response = api_client(desk.tenant, member(desk.tenant, role).user).get(API)
    assert (response.status_code, error_code(response)) == (403, "permission_denied")


def test_another_agency_sees_none_of_these_meetings(api_client, desk, globex, week):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    at_home = api_client(globex, globex_owner.user).get(API)
    assert (at_home.status_code, at_home.json()["count"]) == (200, 0)
    on_acme = api_client(globex, globex_owner.user)
    on_acme.defaults["HTTP_HOST"] = api_client(desk.tenant).defaults["HTTP_HOST"]
    response = on_acme.get(API)
    assert (response.status_code, error_code(response)) == (401, "wrong_tenant")
