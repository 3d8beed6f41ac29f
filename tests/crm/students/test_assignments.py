"""Tutor assignments: staff assign active tutors; the tutor then sees that student only."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from crm.models import Subject, TutorAssignment
from notifications.models import Notification
from tests.access.conftest import field_errors
from tests.crm.students.conftest import STUDENTS, student_url

pytestmark = pytest.mark.django_db


def _assign(client, student, **body):
    return client.post(student_url(student, "tutors/"), body, format="json")


def test_staff_assign_a_tutor_who_is_told_and_then_sees_the_student(
    as_role, api_client, acme, tutor, make_student
):
    student = make_student(age=15, first_name="Tia")
    other = make_student(age=15, first_name="Uma")
    tutor_client = api_client(acme, tutor.user)
    assert tutor_client.get(student_url(student)).status_code == 404
    with tenant_context(acme):
        maths = Subject.objects.get(slug="mathematics")
    response = _assign(as_role("staff"), student, tutor_id=tutor.user_id, subject_id=maths.pk)
    assert response.status_code == 201, response.content
    assert response.json()["tutor"]["id"] == tutor.user_id
    assert response.json()["subject"]["slug"] == "mathematics"
    assert [s["id"] for s in tutor_client.get(STUDENTS).json()["results"]] == [student.pk]
    assert tutor_client.get(student_url(student)).json()["tutors"][0]["tutor"]["first_name"] == (
        "Theo"
    )
    assert tutor_client.get(student_url(other)).status_code == 404
    with tenant_context(acme):
        note = Notification.objects.get(user=tutor.user, event="crm.student_assigned")
    assert "Tia" in note.title
    assert note.url.endswith(f"/crm/students/{student.pk}/")
    assert AuditEntry.objects.filter(action="crm.tutor.assigned").exists()


def test_unassigning_takes_the_student_out_of_the_tutors_sight(
    as_role, api_client, acme, tutor, make_student
):
    student = make_student(age=15)
    assignment_id = _assign(as_role("owner"), student, tutor_id=tutor.user_id).json()["id"]
    response = as_role("admin").delete(f"/api/v1/crm/tutor-assignments/{assignment_id}/")
    assert response.status_code == 204, response.content
    tutor_client = api_client(acme, tutor.user)
    assert tutor_client.get(STUDENTS).json()["count"] == 0
    assert tutor_client.get(student_url(student)).status_code == 404
    assert AuditEntry.objects.filter(action="crm.tutor.unassigned").exists()


def test_the_same_tutor_cannot_be_assigned_twice(as_role, acme, tutor, make_student):
    student = make_student(age=15)
    client = as_role("owner")
    assert _assign(client, student, tutor_id=tutor.user_id).status_code == 201
    errors = field_errors(_assign(client, student, tutor_id=tutor.user_id))
    assert errors["tutor_id"] == ["This tutor is already assigned to the student."]
    with tenant_context(acme):
        assert TutorAssignment.objects.count() == 1


def test_only_active_tutors_of_this_agency_can_be_assigned(
    as_role, acme, globex, member, make_student
):
    student = make_student(age=15)
    client = as_role("owner")
    staff = member(acme, Membership.Role.STAFF)
    away = member(acme, Membership.Role.TUTOR)
    away.is_active = False
    away.save(update_fields=["is_active"])
    foreign = member(globex, Membership.Role.TUTOR)
    for user_id in (staff.user_id, away.user_id, foreign.user_id, 999999):
        assert "tutor_id" in field_errors(_assign(client, student, tutor_id=user_id))
    with tenant_context(acme):
        assert not TutorAssignment.objects.exists()


def test_a_bad_subject_is_a_field_error(as_role, tutor, make_student):
    student = make_student(age=15)
    errors = field_errors(
        _assign(as_role("owner"), student, tutor_id=tutor.user_id, subject_id=99999)
    )
    assert "subject_id" in errors


def test_an_archived_student_gets_no_new_tutor(as_role, tutor, make_student):
    student = make_student(age=15)
    client = as_role("owner")
    client.post(student_url(student, "archive/"))
    response = _assign(client, student, tutor_id=tutor.user_id)
    assert response.status_code == 409


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_staff_assign_and_unassign(as_role, acme, tutor, make_student, role):
    student = make_student(age=15)
    assignment_id = _assign(as_role("owner"), student, tutor_id=tutor.user_id).json()["id"]
    client = as_role(role)
    assert _assign(client, student, tutor_id=tutor.user_id).status_code == 403
    assert client.delete(f"/api/v1/crm/tutor-assignments/{assignment_id}/").status_code == 403
    with tenant_context(acme):
        assert TutorAssignment.objects.count() == 1
