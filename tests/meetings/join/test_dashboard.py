"""The dashboards list the next week's classes with a one-click join button in the window."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import dateformat
from django_tenants.utils import tenant_context

from crm.models import ParentLink
from scheduling.models import Session
from tests.meetings.join.conftest import MINUTE, soon

pytestmark = pytest.mark.django_db

JOIN_BUTTON = re.compile(r'href="/meetings/sessions/(\d+)/join/" data-testid="join-button"')


def dashboard(web_client, tenant, user) -> str:
    response = web_client(tenant, user).get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def buttons(page: str) -> list[int]:
    return [int(pk) for pk in JOIN_BUTTON.findall(page)]


def local(moment: dt.datetime, zone: str, pattern: str) -> str:
    return dateformat.format(moment.astimezone(zoneinfo.ZoneInfo(zone)), pattern)


def test_the_student_can_join_only_the_class_whose_window_is_open(
    web_client, acme, lesson, student
):
    now_on = lesson(soon(10))
    later = lesson(soon(240))
    page = dashboard(web_client, acme, student.user)
    assert buttons(page) == [now_on.pk]
    opens = later.starts_at - 15 * MINUTE
    assert f"Join opens at {local(opens, 'Europe/London', 'D j M, H:i')}" in page
    assert "Mathematics with Theo Turner" in page


def test_the_tutor_sees_whom_they_teach_and_a_class_just_ended_stays_joinable_in_its_grace(
    web_client, acme, lesson, tutor
):
    just_ended = lesson(soon(-65), ready=False)
    page = dashboard(web_client, acme, tutor.user)
    assert "Mathematics with Sam Student" in page
    assert buttons(page) == [just_ended.pk]


def test_times_are_shown_in_the_viewers_zone(web_client, acme, lesson, learner):
    new_yorker, profile = learner(first_name="Nia", time_zone="America/New_York")
    session = lesson(soon(300), student=profile)
    page = dashboard(web_client, acme, new_yorker.user)
    assert local(session.starts_at, "America/New_York", "D j M, H:i") in page
    opens = session.starts_at - 15 * MINUTE
    assert f"Join opens at {local(opens, 'America/New_York', 'D j M, H:i')}" in page


def test_a_parent_sees_their_childrens_classes_and_joins_where_allowed(
    web_client, acme, lesson, parent, child, student_profile
):
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    childs = lesson(soon(10), student=child)
    adults = lesson(soon(100))
    page = dashboard(web_client, acme, parent.user)
    assert "Kit&#x27;s Mathematics with Theo Turner" in page
    assert f'data-session="{adults.pk}"' in page
    assert buttons(page) == [childs.pk]
    assert "Sam joins with their own account." in page


def test_only_the_confirmed_classes_of_the_next_seven_days_are_listed(
    web_client, acme, lesson, student
):
    listed = lesson(soon(60 * 24 * 6))
    beyond = lesson(soon(60 * 24 * 8), ready=False)
    cancelled = lesson(soon(120), ready=False)
    with tenant_context(acme):
        Session.objects.filter(pk=cancelled.pk).update(status=Session.Status.CANCELLED)
    page = dashboard(web_client, acme, student.user)
    assert f'data-session="{listed.pk}"' in page
    assert f'data-session="{beyond.pk}"' not in page
    assert f'data-session="{cancelled.pk}"' not in page


def test_no_classes_says_so(web_client, acme, student, fake_meetings):
    assert "No classes in the next 7 days." in dashboard(web_client, acme, student.user)


@pytest.mark.parametrize("who", ["student", "tutor", "parent"])
def test_the_dashboard_takes_as_many_queries_for_many_classes_as_for_one(
    web_client, acme, lesson, child, request, who
):
    person = request.getfixturevalue(who)
    student = child if who == "parent" else None
    browser = web_client(acme, person.user)
    lesson(soon(10), student=student)
    browser.get("/dashboard/")  # the first visit sets up what later ones reuse

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert browser.get("/dashboard/").status_code == 200
        return len(captured)

    one = queries()
    for hours in (2, 5, 30, 50):
        lesson(soon(60 * hours), student=student)
    page = browser.get("/dashboard/").content.decode()
    assert page.count('data-testid="upcoming-class"') == 5
    assert queries() == one
