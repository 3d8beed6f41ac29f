"""Progress entries: an assigned tutor (or staff) records them; the family is told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from crm import services
from crm.minors import tenant_today
from crm.models import LearningGoal, ProgressEntry
from notifications.models import Notification
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db


def entries_url(goal) -> str:
    return f"/api/v1/crm/goals/{goal.pk}/entries/"


def today(tenant) -> dt.date:
    with tenant_context(tenant):
        return tenant_today()


def record(actor, goal, progress: int, *, days_ago: int = 0, note: str = ""):
    with tenant_context(actor.tenant):
        day = tenant_today() - dt.timedelta(days=days_ago)
        return services.progress_entry_record(
            actor=actor, goal=goal, progress=progress, recorded_on=day, note=note
        )


def test_recording_progress_starts_the_goal_and_tells_the_student_and_parent(
    api_client, acme, family, goal_of
):
    goal = goal_of(family)
    response = api_client(acme, family.tutor.user).post(
        entries_url(goal),
        {"progress": 40, "recorded_on": today(acme).isoformat(), "note": "Good week."},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["progress"], body["note"]) == (40, "Good week.")
    assert body["recorded_by"]["id"] == family.tutor.user_id
    with tenant_context(acme):
        assert LearningGoal.objects.get(pk=goal.pk).status == "in_progress"
        told = Notification.objects.filter(event="crm.progress.recorded")
        assert {n.user_id for n in told} == {family.student.user_id, family.parent.user_id}
        assert all(f"/crm/students/{family.profile.pk}/progress/" in n.url for n in told)
        assert "40 %" in told[0].title


def test_the_date_defaults_to_today_and_nobody_else_is_told(api_client, acme, family, goal_of):
    goal = goal_of(family)
    response = api_client(acme, family.staff.user).post(
        entries_url(goal), {"progress": 0}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["recorded_on"] == today(acme).isoformat()
    with tenant_context(acme):
        told = set(Notification.objects.values_list("user_id", flat=True))
    assert family.other_student.user_id not in told
    assert family.other_parent.user_id not in told
    assert family.tutor.user_id not in told


def test_reaching_100_suggests_achieved_but_leaves_the_status_to_the_tutor(
    api_client, acme, family, goal_of
):
    goal = goal_of(family)
    record(family.tutor, goal, 60, days_ago=3)
    client = api_client(acme, family.tutor.user)
    assert client.post(entries_url(goal), {"progress": 100}, format="json").status_code == 201
    body = client.get(f"/api/v1/crm/goals/{goal.pk}/").json()
    assert (body["status"], body["latest_progress"], body["suggest_achieved"]) == (
        "in_progress",
        100,
        True,
    )
    client.patch(f"/api/v1/crm/goals/{goal.pk}/", {"status": "achieved"}, format="json")
    body = client.get(f"/api/v1/crm/goals/{goal.pk}/").json()
    assert (body["status"], body["suggest_achieved"]) == ("achieved", False)


def test_an_achieved_goal_is_not_moved_back_by_new_progress(acme, family, goal_of):
    goal = goal_of(family, status="achieved")
    record(family.tutor, goal, 90)
    with tenant_context(acme):
        assert LearningGoal.objects.get(pk=goal.pk).status == "achieved"


@pytest.mark.parametrize(
    "case",
    [
        ({"progress": 101}, "progress"),
        ({"progress": -1}, "progress"),
        ({"progress": "lots"}, "progress"),
        ({}, "progress"),
        ({"progress": 10, "recorded_on": "tomorrow"}, "recorded_on"),
        ({"progress": 10, "recorded_on": "2024-13-01"}, "recorded_on"),
        ({"progress": 10, "note": "x" * 2001}, "note"),
    ],
)
def test_bad_progress_is_refused(api_client, acme, family, goal_of, case):
    body, field = case
    goal = goal_of(family)
    response = api_client(acme, family.tutor.user).post(entries_url(goal), body, format="json")
    assert field in field_errors(response)
    with tenant_context(acme):
        assert not ProgressEntry.objects.exists()
        assert not Notification.objects.filter(event="crm.progress.recorded").exists()


def test_progress_cannot_be_recorded_for_tomorrow(api_client, acme, family, goal_of):
    goal = goal_of(family)
    tomorrow = today(acme) + dt.timedelta(days=1)
    response = api_client(acme, family.tutor.user).post(
        entries_url(goal), {"progress": 101, "recorded_on": tomorrow.isoformat()}, format="json"
    )
    errors = field_errors(response)
    assert set(errors) == {"progress", "recorded_on"}
    assert "future" in errors["recorded_on"][0]


@pytest.mark.parametrize("reader", ["student", "parent"])
def test_the_family_reads_entries_but_cannot_record_them(api_client, acme, family, goal_of, reader):
    goal = goal_of(family)
    entry = record(family.tutor, goal, 30)
    client = api_client(acme, getattr(family, reader).user)
    listed = client.get(entries_url(goal)).json()
    assert [e["id"] for e in listed["results"]] == [entry.pk]
    response = client.post(entries_url(goal), {"progress": 90}, format="json")
    assert response.status_code == 403
    assert client.delete(f"/api/v1/crm/progress-entries/{entry.pk}/").status_code == 403


@pytest.mark.parametrize("outsider", ["other_tutor", "other_student", "other_parent"])
def test_outsiders_find_no_goal_or_entry(api_client, acme, family, goal_of, outsider):
    goal = goal_of(family)
    entry = record(family.tutor, goal, 30)
    client = api_client(acme, getattr(family, outsider).user)
    assert client.get(entries_url(goal)).status_code == 404
    assert client.post(entries_url(goal), {"progress": 5}, format="json").status_code == 404
    response = client.delete(f"/api/v1/crm/progress-entries/{entry.pk}/")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert client.get(f"/api/v1/crm/students/{family.profile.pk}/progress/").status_code == 404


def test_a_globex_token_cannot_read_or_remove_acme_progress(
    api_client, globex, family, goal_of, member
):
    acme = family.owner.tenant
    goal = goal_of(family)
    entry = record(family.tutor, goal, 30)
    client = api_client(globex, member(globex, "owner").user)
    assert client.get(entries_url(goal)).status_code == 404
    assert client.post(entries_url(goal), {"progress": 5}, format="json").status_code == 404
    assert client.delete(f"/api/v1/crm/progress-entries/{entry.pk}/").status_code == 404
    assert client.get(f"/api/v1/crm/students/{family.profile.pk}/progress/").status_code == 404
    with tenant_context(acme):
        assert ProgressEntry.objects.filter(pk=entry.pk).exists()


def test_only_the_author_or_staff_remove_an_entry(api_client, acme, owner, family, goal_of):
    from crm.models import TutorAssignment

    second = family.other_tutor
    with tenant_context(acme):
        TutorAssignment.objects.create(
            student=family.profile, tutor=second.user, assigned_by=owner.user
        )
    goal = goal_of(family)
    mine = record(family.tutor, goal, 30)
    theirs = record(second, goal, 50)
    client = api_client(acme, family.tutor.user)
    assert client.delete(f"/api/v1/crm/progress-entries/{theirs.pk}/").status_code == 403
    assert client.delete(f"/api/v1/crm/progress-entries/{mine.pk}/").status_code == 204
    staff = api_client(acme, family.staff.user)
    assert staff.delete(f"/api/v1/crm/progress-entries/{theirs.pk}/").status_code == 204
    with tenant_context(acme):
        assert not ProgressEntry.objects.exists()


def test_the_progress_series_lists_each_goal_with_its_points_oldest_first(
    api_client, acme, family, goal_of
):
    fractions = goal_of(family)
    reading = goal_of(family, title="Reading")
    record(family.tutor, fractions, 50, days_ago=1)
    record(family.tutor, fractions, 20, days_ago=10)
    body = api_client(acme, family.parent.user).get(
        f"/api/v1/crm/students/{family.profile.pk}/progress/"
    )
    assert body.status_code == 200, body.content
    goals = {g["title"]: g for g in body.json()["goals"]}
    assert body.json()["student_id"] == family.profile.pk
    day = today(acme)
    assert goals["Fractions"]["points"] == [
        {"date": (day - dt.timedelta(days=10)).isoformat(), "progress": 20},
        {"date": (day - dt.timedelta(days=1)).isoformat(), "progress": 50},
    ]
    assert goals["Fractions"]["status"] == "in_progress"
    assert goals["Reading"]["points"] == []
    assert reading.pk == goals["Reading"]["id"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_progress_api_and_page_do_not_query_per_goal_or_entry(
    api_client, web_client, acme, family, goal_of
):
    api = api_client(acme, family.tutor.user)
    page = web_client(acme, family.tutor.user)
    api_url = f"/api/v1/crm/students/{family.profile.pk}/progress/"
    page_url = f"/crm/students/{family.profile.pk}/progress/"
    record(family.tutor, goal_of(family), 10)
    api_few, page_few = _queries(api, api_url), _queries(page, page_url)
    for index in range(4):
        goal = goal_of(family, title=f"Goal {index}")
        for days_ago in range(3):
            record(family.tutor, goal, 10 * days_ago, days_ago=days_ago)
    assert _queries(api, api_url) == api_few
    assert _queries(page, page_url) == page_few
