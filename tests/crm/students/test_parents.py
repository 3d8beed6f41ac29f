"""Parents: linking more, unlinking (never a minor's last), and accounts linked on acceptance."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from accounts.services.invitations import invitation_accept
from audit.models import AuditEntry
from crm import services
from crm.models import ParentalConsent, ParentLink, StudentProfile
from tests.access.conftest import error_code, field_errors
from tests.crm.students.conftest import STUDENTS, invitation_token, student_url
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_staff_link_another_parent_who_already_has_an_account(as_role, acme, parent, make_student):
    student = make_student(age=12)
    response = as_role("staff").post(
        student_url(student, "parents/"),
        {"email": parent.user.email, "relationship": "father"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "linked"
    assert response.json()["user_id"] == parent.user_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "guardian@example.test"}, "email"),  # already linked
        ({"email": "nope"}, "email"),
        ({"email": "x@example.test", "relationship": "uncle"}, "relationship"),
        ({}, "email"),
    ],
)
def test_bad_parent_input_is_a_field_error(as_role, acme, make_student, body, field):
    student = make_student(age=12)
    assert field in field_errors(
        as_role("owner").post(student_url(student, "parents/"), body, "json")
    )
    with tenant_context(acme):
        assert ParentLink.objects.filter(student=student).count() == 1


def test_a_staff_member_of_the_agency_cannot_be_linked_as_a_parent(
    as_role, acme, member, make_student
):
    staff = member(acme, Membership.Role.STAFF)
    student = make_student(age=12)
    response = as_role("owner").post(
        student_url(student, "parents/"), {"email": staff.user.email}, format="json"
    )
    assert "already a member here as staff" in field_errors(response)["email"][0]


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_staff_link_parents(as_role, make_student, role):
    student = make_student(age=12)
    response = as_role(role).post(
        student_url(student, "parents/"), {"email": "x@example.test"}, format="json"
    )
    assert response.status_code == 403


def _links(acme, student) -> list[ParentLink]:
    with tenant_context(acme):
        return list(ParentLink.objects.filter(student=student))


def test_the_last_parent_of_a_minor_cannot_be_removed(as_role, acme, make_student):
    student = make_student(age=17)
    (link,) = _links(acme, student)
    response = as_role("owner").delete(f"/api/v1/crm/parent-links/{link.pk}/")
    assert response.status_code == 409
    assert error_code(response) == "last_parent"
    assert "link another one" in response.json()["error"]["message"]
    assert len(_links(acme, student)) == 1


def test_one_of_two_parents_can_be_removed_and_it_is_audited(as_role, acme, make_student):
    student = make_student(
        age=12, parents=[{"email": "one@example.test"}, {"email": "two@example.test"}]
    )
    first = _links(acme, student)[0]
    response = as_role("staff").delete(f"/api/v1/crm/parent-links/{first.pk}/")
    assert response.status_code == 204, response.content
    assert [link.email for link in _links(acme, student)] == ["two@example.test"]
    assert AuditEntry.objects.filter(action="crm.parent_link.removed").exists()


def test_an_adults_only_parent_can_be_removed(as_role, acme, make_student):
    student = make_student(age=19, parents=[{"email": "one@example.test"}])
    (link,) = _links(acme, student)
    assert as_role("owner").delete(f"/api/v1/crm/parent-links/{link.pk}/").status_code == 204


def test_removing_the_parent_who_consented_ends_their_consent(
    as_role, acme, owner, parent, make_student
):
    student = make_student(
        age=10, parents=[{"email": parent.user.email}, {"email": "other@example.test"}]
    )
    with tenant_context(acme):
        services.consent_give(student=student, actor=parent, statement="I agree.")
        link = ParentLink.objects.get(student=student, parent=parent.user)
    assert as_role("owner").delete(f"/api/v1/crm/parent-links/{link.pk}/").status_code == 204
    with tenant_context(acme):
        consent = ParentalConsent.objects.get(student=student)
        assert consent.withdrawn_at is not None
        assert consent.withdrawn_by == owner.user


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_staff_remove_parents(as_role, acme, make_student, role):
    student = make_student(age=19, parents=[{"email": "one@example.test"}])
    (link,) = _links(acme, student)
    assert as_role(role).delete(f"/api/v1/crm/parent-links/{link.pk}/").status_code == 403
    assert len(_links(acme, student)) == 1


# Accepting an invitation links the account ------------------------------------------------


def test_a_parent_who_accepts_their_invitation_sees_exactly_their_children(
    api_client, acme, make_student
):
    ours = [
        make_student(age=9, first_name="Ann", parents=[{"email": "new.parent@example.test"}]),
        make_student(age=14, first_name="Ben", parents=[{"email": "new.parent@example.test"}]),
    ]
    make_student(age=9, first_name="Someone", parents=[{"email": "else@example.test"}])
    membership = invitation_accept(
        token=invitation_token(acme, "new.parent@example.test"),
        tenant=acme,
        first_name="Nina",
        last_name="New",
        password=PASSWORD,
    )
    assert membership.role == Membership.Role.PARENT
    client = api_client(acme, membership.user)
    body = client.get(STUDENTS).json()
    assert sorted(s["first_name"] for s in body["results"]) == ["Ann", "Ben"]
    for child in body["results"]:
        (link,) = child["parents"]
        assert (link["status"], link["user_id"]) == ("linked", membership.user_id)
    assert client.get(student_url(ours[0])).status_code == 200


def test_a_student_who_accepts_their_invitation_sees_themself(api_client, acme, make_student):
    student = make_student(age=19, email="learner@example.test")
    make_student(age=19, first_name="Other", email="other@example.test")
    membership = invitation_accept(
        token=invitation_token(acme, "learner@example.test"),
        tenant=acme,
        first_name="Lee",
        last_name="Learner",
        password=PASSWORD,
    )
    with tenant_context(acme):
        assert StudentProfile.objects.get(pk=student.pk).user == membership.user
    results = api_client(acme, membership.user).get(STUDENTS).json()["results"]
    assert [(s["id"], s["has_account"]) for s in results] == [(student.pk, True)]


def test_a_parent_invitation_never_makes_its_acceptor_the_student(api_client, acme, make_student):
    student = make_student(
        age=19, email="shared@example.test", parents=[{"email": "mum@example.test"}]
    )
    membership = invitation_accept(
        token=invitation_token(acme, "mum@example.test"),
        tenant=acme,
        first_name="Mum",
        password=PASSWORD,
    )
    with tenant_context(acme):
        assert StudentProfile.objects.get(pk=student.pk).user_id is None
    assert membership.role == Membership.Role.PARENT
