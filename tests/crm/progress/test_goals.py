"""Learning goals: staff and assigned tutors set them; the student and parents read them."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from crm.minors import tenant_today
from crm.models import LearningGoal, Subject
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db


def goals_url(profile) -> str:
    return f"/api/v1/crm/students/{profile.pk}/goals/"


def goal_url(goal) -> str:
    return f"/api/v1/crm/goals/{goal.pk}/"


def today(tenant) -> dt.date:
    with tenant_context(tenant):
        return tenant_today()


def test_an_assigned_tutor_sets_a_goal_that_the_student_and_parent_read(
    api_client, acme, family, subject_in
):
    maths = subject_in(acme)
    target = today(acme) + dt.timedelta(days=30)
    response = api_client(acme, family.tutor.user).post(
        goals_url(family.profile),
        {
            "title": "  Master fractions ",
            "description": "Add and simplify.",
            "subject_id": maths.pk,
            "target_date": target.isoformat(),
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "Master fractions"
    assert body["status"] == "not_started"
    assert body["subject"] == {"id": maths.pk, "name": maths.name}
    assert body["latest_progress"] is None
    assert body["suggest_achieved"] is False
    entry = AuditEntry.objects.get(action="crm.goal.created")
    assert (entry.actor, entry.tenant, entry.target_id) == (
        family.tutor.user,
        acme,
        str(body["id"]),
    )

    for reader in (family.student, family.parent, family.staff):
        client = api_client(acme, reader.user)
        listed = client.get(goals_url(family.profile)).json()
        assert [g["id"] for g in listed["results"]] == [body["id"]]
        assert client.get(f"/api/v1/crm/goals/{body['id']}/").json()["target_date"] == (
            target.isoformat()
        )


def test_staff_set_goals_too_and_today_is_a_fine_target(api_client, acme, family):
    response = api_client(acme, family.staff.user).post(
        goals_url(family.profile),
        {"title": "Read daily", "target_date": today(acme).isoformat(), "status": "in_progress"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "in_progress"


@pytest.mark.parametrize("reader", ["student", "parent"])
def test_the_student_and_parents_cannot_set_or_change_goals(
    api_client, acme, family, goal_of, reader
):
    goal = goal_of(family)
    client = api_client(acme, getattr(family, reader).user)
    response = client.post(goals_url(family.profile), {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert client.patch(goal_url(goal), {"status": "achieved"}, format="json").status_code == 403
    assert client.delete(goal_url(goal)).status_code == 403
    with tenant_context(acme):
        assert LearningGoal.objects.get().status == "not_started"


@pytest.mark.parametrize("outsider", ["other_tutor", "other_student", "other_parent"])
def test_people_who_cannot_see_the_student_find_nothing(
    api_client, acme, family, goal_of, outsider
):
    goal = goal_of(family)
    client = api_client(acme, getattr(family, outsider).user)
    assert client.get(goals_url(family.profile)).status_code == 404
    assert client.post(goals_url(family.profile), {"title": "x"}, format="json").status_code == 404
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(goal_url(goal), {"status": "achieved"}, format="json")
        assert response.status_code == 404, method
        assert error_code(response) == "not_found"
    with tenant_context(acme):
        assert LearningGoal.objects.filter(pk=goal.pk, status="not_started").exists()


def test_a_globex_token_finds_no_acme_student_or_goal(api_client, globex, family, goal_of, member):
    acme = family.owner.tenant
    goal = goal_of(family)
    globex_owner = member(globex, "owner")
    client = api_client(globex, globex_owner.user)
    assert client.get(goals_url(family.profile)).status_code == 404
    assert client.post(goals_url(family.profile), {"title": "x"}, format="json").status_code == 404
    assert client.patch(goal_url(goal), {"title": "Hacked"}, format="json").status_code == 404
    assert client.delete(goal_url(goal)).status_code == 404
    with tenant_context(acme):
        assert LearningGoal.objects.get(pk=goal.pk).title == "Fractions"


def test_bad_input_gets_every_field_error_at_once(api_client, acme, family):
    with tenant_context(acme):
        retired = Subject.objects.create(name="Latin", slug="latin", is_active=False)
    yesterday = today(acme) - dt.timedelta(days=1)
    response = api_client(acme, family.tutor.user).post(
        goals_url(family.profile),
        {
            "title": "   ",
            "subject_id": retired.pk,
            "target_date": yesterday.isoformat(),
            "description": "ok",
        },
        format="json",
    )
    errors = field_errors(response)
    assert set(errors) == {"title", "subject_id", "target_date"}
    assert "past" in errors["target_date"][0]
    with tenant_context(acme):
        assert not LearningGoal.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "target_date": "31/12/2099"}, "target_date"),
        ({"title": "x", "target_date": "2099-02-30"}, "target_date"),
        ({"title": "x", "status": "done"}, "status"),
        ({"title": "x", "subject_id": "maths"}, "subject_id"),
        ({"title": "x" * 201}, "title"),
        ({}, "title"),
    ],
)
def test_malformed_goals_are_refused(api_client, acme, family, body, field):
    response = api_client(acme, family.tutor.user).post(
        goals_url(family.profile), body, format="json"
    )
    assert field in field_errors(response)


def test_the_tutor_marks_a_goal_achieved_and_may_keep_an_old_target(
    api_client, acme, family, goal_of
):
    goal = goal_of(family, target_date=today(acme))
    with tenant_context(acme):  # the target has since passed
        LearningGoal.objects.filter(pk=goal.pk).update(target_date=dt.date(2020, 1, 1))
    client = api_client(acme, family.tutor.user)
    response = client.patch(
        goal_url(goal), {"status": "achieved", "target_date": "2020-01-01"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "achieved"
    assert AuditEntry.objects.get(action="crm.goal.updated").data["fields"] == ["status"]

    moved = client.patch(goal_url(goal), {"target_date": "2021-01-01"}, format="json")
    assert "target_date" in field_errors(moved)


def test_an_assigned_tutor_deletes_a_goal(api_client, acme, family, goal_of):
    goal = goal_of(family)
    response = api_client(acme, family.tutor.user).delete(goal_url(goal))
    assert response.status_code == 204
    with tenant_context(acme):
        assert not LearningGoal.objects.exists()
    assert AuditEntry.objects.filter(action="crm.goal.deleted").count() == 1


def test_a_tutor_whose_assignment_ended_can_no_longer_edit(api_client, acme, family, goal_of):
    from crm.models import TutorAssignment

    goal = goal_of(family)
    with tenant_context(acme):
        TutorAssignment.objects.filter(tutor_id=family.tutor.user_id).delete()
    response = api_client(acme, family.tutor.user).patch(
        goal_url(goal), {"title": "Still mine?"}, format="json"
    )
    assert response.status_code == 404
