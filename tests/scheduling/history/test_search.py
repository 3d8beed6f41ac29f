"""Searching the history: filters, time zones, what each viewer finds, and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from crm.models import Subject
from scheduling.models import Session
from scheduling.selectors.history import session_search
from tests.access.conftest import field_errors
from tests.scheduling.history.conftest import in_days

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/scheduling/sessions/export.csv"


def ids(sessions) -> list[int]:
    return [session.pk for session in sessions]


def rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def history(acme, cast, booked):
    """Sam's completed session (cast), a cancelled one, an upcoming physics one, and one of
    another tutor with another student.
    """
    with tenant_context(acme):
        physics = Subject.objects.get(slug="physics")
        Session.objects.filter(pk=cast.session.pk).update(
            summary="Quadratic equations", tutor_notes="needs-more-practice"
        )
    cancelled = booked(cast.tutor_profile, cast.student_profile, in_days(-8), status="cancelled")
    upcoming = booked(cast.tutor_profile, cast.student_profile, in_days(5), subject=physics)
    other = booked(cast.other_profile, cast.outsider_profile, in_days(2))
    return cast, cancelled, upcoming, other


@pytest.fixture
def outsider_profile(acme, owner, cast):
    from crm import services as crm
    from tests.scheduling.conftest import dob_for

    with tenant_context(acme):
        return crm.student_create(
            actor=owner,
            first_name="Otto",
            last_name="Outsider",
            email=cast.outsider.user.email,
            date_of_birth=dob_for(30),
        )


@pytest.fixture(autouse=True)
def _outsider_profile(cast, outsider_profile):
    cast.outsider_profile = outsider_profile


def test_each_viewer_finds_their_own_sessions_newest_first(acme, history):
    cast, cancelled, upcoming, other = history
    with tenant_context(acme):
        assert ids(session_search(viewer=cast.owner)) == [
            upcoming.pk,
            other.pk,
            cast.session.pk,
            cancelled.pk,
        ]
        assert ids(session_search(viewer=cast.tutor)) == [
            upcoming.pk,
            cast.session.pk,
            cancelled.pk,
        ]
        assert ids(session_search(viewer=cast.parent)) == ids(session_search(viewer=cast.student))
        assert ids(session_search(viewer=cast.other_tutor)) == [other.pk]


def test_filters_narrow_the_search(acme, history):
    cast, cancelled, upcoming, other = history
    with tenant_context(acme):
        physics = upcoming.subject
        search = lambda **f: ids(session_search(viewer=cast.owner, **f))  # noqa: E731
        assert search(status="cancelled") == [cancelled.pk]
        assert search(subject=physics) == [upcoming.pk]
        assert search(subject=physics.pk, status="completed") == []
        assert search(tutor=cast.other_profile.pk) == [other.pk]
        assert search(student=cast.student_profile) == [upcoming.pk, cast.session.pk, cancelled.pk]
        today = in_days(0).date()
        assert search(date_from=today) == [upcoming.pk, other.pk]
        assert search(date_to=today - dt.timedelta(days=1)) == [cast.session.pk, cancelled.pk]
        assert search(date_from=today - dt.timedelta(days=1), date_to=today) == [cast.session.pk]
        assert search(q="quadratic") == [cast.session.pk]
        assert search(q="physics sam") == [upcoming.pk]
        assert search(q="Otto") == [other.pk]


def test_a_search_finds_only_your_own_sides_private_notes(acme, history):
    cast, *_ = history
    with tenant_context(acme):
        assert ids(session_search(viewer=cast.tutor, q="needs-more-practice")) == [cast.session.pk]
        assert ids(session_search(viewer=cast.owner, q="needs-more-practice")) == []
        assert ids(session_search(viewer=cast.student, q="needs-more-practice")) == []


def test_days_are_the_viewers_days(acme, cast, booked):
    # 23:30 in New York on 1 March is 04:30 UTC on 2 March.
    start = dt.datetime(2031, 3, 2, 4, 30, tzinfo=dt.UTC)
    late = booked(cast.tutor_profile, cast.student_profile, start)
    new_york = zoneinfo.ZoneInfo("America/New_York")
    with tenant_context(acme):
        first = dt.date(2031, 3, 1)
        second = dt.date(2031, 3, 2)
        assert ids(
            session_search(viewer=cast.owner, date_from=first, date_to=first, zone=new_york)
        ) == [late.pk]
        assert (
            ids(session_search(viewer=cast.owner, date_from=second, date_to=second, zone=new_york))
            == []
        )
        london = zoneinfo.ZoneInfo("Europe/London")
        assert ids(
            session_search(viewer=cast.owner, date_from=second, date_to=second, zone=london)
        ) == [late.pk]


def test_the_search_takes_a_fixed_number_of_queries(acme, cast, booked):
    def count() -> int:
        with tenant_context(acme):
            with CaptureQueriesContext(connection) as captured:
                found = list(session_search(viewer=cast.parent))
                shown = [
                    (s.tutor.full_name, s.student.full_name, s.subject.name, s.attachment_count)
                    for s in found
                ]
                assert len(shown) == len(found)
            return len(captured)

    few = count()
    for day in range(2, 12):
        booked(cast.tutor_profile, cast.student_profile, in_days(day))
    assert count() == few


# CSV export ---------------------------------------------------------------------------------


def test_the_export_is_in_the_viewers_zone_with_only_their_own_notes(api_client, acme, history):
    cast, cancelled, upcoming, _ = history
    tutor_rows = rows(api_client(acme, cast.tutor.user).get(EXPORT, {"tz": "Asia/Tokyo"}))
    assert [int(r["session_id"]) for r in tutor_rows] == [
        upcoming.pk,
        cast.session.pk,
        cancelled.pk,
    ]
    done = tutor_rows[1]
    start = cast.session.starts_at.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert (done["date"], done["start"], done["time_zone"]) == (
        start.date().isoformat(),
        start.strftime("%H:%M"),
        "Asia/Tokyo",
    )
    assert (done["status"], done["subject"], done["price"], done["currency"]) == (
        "Completed",
        "Mathematics",
        "40.00",
        "GBP",
    )
    assert done["summary"] == "Quadratic equations"
    assert done["my_notes"] == "needs-more-practice"

    owner_response = api_client(acme, cast.owner.user).get(EXPORT)
    owner_rows = rows(owner_response)
    assert "my_notes" not in owner_rows[0]
    assert len(owner_rows) == 4
    student_rows = rows(api_client(acme, cast.student.user).get(EXPORT, {"status": "completed"}))
    assert [r["my_notes"] for r in student_rows] == [""]


def test_the_export_defuses_formulas(api_client, acme, cast):
    with tenant_context(acme):
        Session.objects.filter(pk=cast.session.pk).update(summary='=HYPERLINK("http://x")')
    (row,) = rows(api_client(acme, cast.tutor.user).get(EXPORT))
    assert row["summary"] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"date_from": "yesterday"}, {"date_from"}),
        ({"date_from": "2031-03-02", "date_to": "2031-03-01"}, {"date_to"}),
        ({"date_to": "9999-12-31"}, {"date_to"}),
        ({"status": "lost"}, {"status"}),
        ({"tutor": "abc", "student": "0", "subject": "-1"}, {"tutor", "student", "subject"}),
        ({"tz": "Mars/Olympus"}, {"tz"}),
        ({"q": "x" * 101, "tz": "../etc/passwd"}, {"q", "tz"}),
    ],
)
def test_bad_filters_are_field_errors(api_client, acme, cast, params, fields):
    response = api_client(acme, cast.owner.user).get(EXPORT, params)
    assert set(field_errors(response)) == fields
