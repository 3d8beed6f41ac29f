"""The calendar and utilization pages, and the links that lead to the scheduling pages."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from accounts.models import Membership

pytestmark = pytest.mark.django_db

Role = Membership.Role


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "student", "parent"])
def test_everyone_has_a_calendar_in_their_own_time_zone(web_client, acme, member, role):
    person = member(acme, role)
    person.user.time_zone = "America/New_York"
    person.user.save(update_fields=["time_zone"])
    response = web_client(acme, person.user).get("/scheduling/calendar/")
    assert response.status_code == 200
    page = _text(response)
    assert 'data-events-url="/api/v1/scheduling/calendar/events/"' in page
    assert 'data-time-zone="America/New_York"' in page
    assert "data-tutor=" not in page  # only a tutor's own calendar shows availability
    assert "/static/vendor/fullcalendar/index.global.min.js" in page
    assert "/static/scheduling/calendar.js" in page
    assert "<script>" not in page  # no inline scripts


def test_a_tutors_calendar_asks_for_their_availability(web_client, acme, tutor, tutor_profile):
    page = _text(web_client(acme, tutor.user).get("/scheduling/calendar/"))
    assert f'data-tutor="{tutor_profile.pk}"' in page
    assert 'href="/scheduling/requests/"' in page


def test_the_calendar_needs_a_signed_in_member(web_client, acme):
    response = web_client(acme).get("/scheduling/calendar/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_agency_staff_see_the_agency_calendar_with_a_tutor_filter(
    web_client, acme, member, tutor_profile, role
):
    person = member(acme, role)
    response = web_client(acme, person.user).get("/scheduling/agency/calendar/")
    assert response.status_code == 200
    page = _text(response)
    assert 'data-calendar-filter="calendar"' in page
    assert f'<option value="{tutor_profile.pk}">Theo Turner</option>' in page


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_others_cannot_open_the_agency_pages(web_client, acme, member, role):
    client = web_client(acme, member(acme, role).user)
    assert client.get("/scheduling/agency/calendar/").status_code == 403
    assert client.get("/scheduling/agency/utilization/").status_code == 403


def test_the_utilization_page_shows_hours_and_percentages(web_client, given):
    theo = given.tutor_profile
    given.weekly(theo, 0, "09:00", "17:00")
    given.booked(
        theo, given.student_profile, dt.datetime(2030, 6, 3, 9, tzinfo=dt.UTC), minutes=120
    )
    response = web_client(given.acme, given.owner.user).get(
        "/scheduling/agency/utilization/", {"week": "2030-06-04", "weeks": "2"}
    )
    assert response.status_code == 200
    page = _text(response)
    assert "Week of 3 Jun" in page
    assert "Week of 10 Jun" in page
    cell = re.search(r'data-week="2030-06-03">(.*?)</td>', page, re.S).group(1)
    assert "2.00 h / 8.00 h" in cell
    assert "25.0 %" in cell
    assert 'href="?week=2030-06-17&amp;weeks=2"' in page  # later weeks


@pytest.mark.parametrize("params", [{"week": "someday"}, {"weeks": "5"}, {"week": "0001-01-01"}])
def test_a_bad_week_choice_is_shown_as_an_error(web_client, acme, owner, params):
    response = web_client(acme, owner.user).get("/scheduling/agency/utilization/", params)
    assert response.status_code == 400
    assert 'class="field-error"' in _text(response)


def test_utilization_shows_no_tutor_of_another_agency(web_client, globex, tutor_profile):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    page = _text(web_client(globex, globex_owner.user).get("/scheduling/agency/utilization/"))
    assert "Theo Turner" not in page
    assert "No tutors have joined yet." in page


# Links -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        (
            "tutor",
            [
                "/scheduling/calendar/",
                "/scheduling/requests/",
                "/scheduling/availability/",
                "/scheduling/sessions/",
            ],
            ["/scheduling/book/", "/scheduling/agency/utilization/"],
        ),
        (
            "student",
            ["/scheduling/calendar/", "/scheduling/book/", "/scheduling/sessions/"],
            [
                "/scheduling/requests/",
                "/scheduling/agency/utilization/",
                "/scheduling/availability/",
            ],
        ),
        (
            "parent",
            ["/scheduling/calendar/", "/scheduling/book/", "/scheduling/sessions/"],
            ["/scheduling/requests/", "/scheduling/agency/utilization/"],
        ),
        (
            "staff",
            [
                "/scheduling/calendar/",
                "/scheduling/book/",
                "/scheduling/agency/calendar/",
                "/scheduling/agency/utilization/",
            ],
            ["/scheduling/requests/"],
        ),
        (
            "owner",
            [
                "/scheduling/calendar/",
                "/scheduling/book/",
                "/scheduling/requests/",
                "/scheduling/agency/calendar/",
                "/scheduling/agency/utilization/",
            ],
            [],
        ),
    ],
)
def test_dashboards_and_navigation_link_to_what_each_role_may_open(
    web_client, given, role, present, absent
):
    person = given.member(given.acme, role)
    client = web_client(given.acme, person.user)
    page = _text(client.get("/dashboard/"))
    for link in present:
        assert f'href="{link}"' in page, link
        assert client.get(link).status_code == 200, link
    for link in absent:
        assert f'href="{link}"' not in page, link
