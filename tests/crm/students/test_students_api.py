"""Students through the API: record, list with search/filters/sort, read, change, archive."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Invitation, Membership
from audit.models import AuditEntry
from crm import services
from crm.models import ParentLink, StudentProfile, Subject
from tests.access.conftest import error_code, field_errors
from tests.crm.students.conftest import STUDENTS, dob_for, student_url

pytestmark = pytest.mark.django_db


def _minor(**extra) -> dict:
    return {
        "first_name": "Mia",
        "last_name": "Moss",
        "date_of_birth": dob_for(11).isoformat(),
        "parents": [{"email": "Mum@Example.test", "first_name": "Mary", "relationship": "mother"}],
        **extra,
    }


def test_staff_add_a_minor_whose_parent_is_invited(as_role, acme):
    response = as_role("staff").post(STUDENTS, _minor(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["age"] == 11
    assert body["parents"] == [
        {
            "id": body["parents"][0]["id"],
            "email": "mum@example.test",
            "first_name": "Mary",
            "last_name": "",
            "relationship": "mother",
            "status": "invited",
            "user_id": None,
        }
    ]
    assert body["consent"]["status"] == "needed"
    assert [r["code"] for r in body["restrictions"]] == ["consent_required"]
    assert body["tutors"] == []
    assert Invitation.objects.filter(tenant=acme, email__iexact="mum@example.test").count() == 1
    assert AuditEntry.objects.filter(action="crm.student.created", tenant=acme).exists()


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_agency_staff_add_students(as_role, acme, role):
    response = as_role(role).post(STUDENTS, _minor(), format="json")
    assert response.status_code == 403
    with tenant_context(acme):
        assert not StudentProfile.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"parents": []}, "parents"),
        ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"first_name": ""}, "first_name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "mum@example.test"}, "email"),
        ({"subject_ids": [999999]}, "subject_ids"),
        ({"preferred_session_minutes": 5}, "preferred_session_minutes"),
        ({"learning_style": "osmosis"}, "learning_style"),
        ({"parents": [{"email": "nope"}]}, "parents"),
    ],
)
def test_bad_student_input_is_a_field_error_and_records_nothing(as_role, acme, body, field):
    response = as_role("owner").post(STUDENTS, _minor(**body), format="json")
    assert field in field_errors(response)
    with tenant_context(acme):
        assert not StudentProfile.objects.exists()
        assert not ParentLink.objects.exists()


def test_a_students_email_is_unique_in_any_case(as_role, make_student):
    make_student(age=20, email="sam@example.test")
    response = as_role("owner").post(
        STUDENTS, _minor(email="SAM@example.test", first_name="Other"), format="json"
    )
    assert field_errors(response)["email"] == ["Another student already has this email address."]


# Listing -----------------------------------------------------------------------------------


@pytest.fixture
def roster(acme, make_student, tutor, owner):
    with tenant_context(acme):
        maths = Subject.objects.get(slug="mathematics")
    alice = make_student(
        age=9, first_name="Alice", last_name="Zed", grade_level="Year 4", subject_ids=[maths.pk]
    )
    bob = make_student(age=15, first_name="Bob", last_name="Young", email="bob@example.test")
    carol = make_student(age=30, first_name="Carol", last_name="Xavier")
    with tenant_context(acme):
        services.tutor_assign(student=bob, actor=owner, tutor_id=tutor.user_id)
        services.student_archive(student=carol, actor=owner)
    return {"alice": alice, "bob": bob, "carol": carol, "maths": maths}


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [s["first_name"] for s in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["Carol", "Bob", "Alice"]),
        ("?sort=-name", ["Alice", "Bob", "Carol"]),
        ("?sort=date_of_birth", ["Carol", "Bob", "Alice"]),
        ("?sort=-created", ["Carol", "Bob", "Alice"]),
        ("?q=ALI", ["Alice"]),
        ("?q=BOB@example", ["Bob"]),
        ("?q=young%20bob", ["Bob"]),
        ("?q=nobody", []),
        ("?grade_level=year%204", ["Alice"]),
        ("?status=archived", ["Carol"]),
        ("?status=active", ["Bob", "Alice"]),
        ("?consent=needed", ["Alice"]),
        ("?consent=given", []),
        ("?age=minor", ["Bob", "Alice"]),
        ("?age=adult", ["Carol"]),
    ],
)
def test_staff_search_filter_and_sort_students(as_role, roster, query, expected):
    assert _names(as_role("staff").get(STUDENTS + query)) == expected


def test_staff_filter_by_subject_and_by_tutor(as_role, roster, tutor):
    client = as_role("admin")
    assert _names(client.get(f"{STUDENTS}?subject={roster['maths'].pk}")) == ["Alice"]
    assert _names(client.get(f"{STUDENTS}?tutor={tutor.user_id}")) == ["Bob"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("?sort=age", "sort"), ("?status=gone", "status"), ("?tutor=x", "tutor"), ("?age=0", "age")],
)
def test_bad_filters_are_field_errors(as_role, roster, query, field):
    assert field in field_errors(as_role("owner").get(STUDENTS + query))


def test_the_list_is_paginated(as_role, roster):
    body = as_role("owner").get(f"{STUDENTS}?page_size=2").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_the_list_costs_the_same_queries_for_few_or_many_students(
    as_role, make_student, tutor, django_assert_max_num_queries
):
    client = as_role("owner")

    def add(n: int) -> None:
        for i in range(n):
            student = make_student(age=10, first_name=f"Kid{i}")
            assigned = client.post(
                student_url(student, "tutors/"), {"tutor_id": tutor.user_id}, format="json"
            )
            assert assigned.status_code == 201

    add(2)
    with django_assert_max_num_queries(20) as few:
        assert client.get(STUDENTS).status_code == 200
    baseline = len(few.captured_queries)  # read now: the next request resets the log
    add(8)
    with django_assert_max_num_queries(baseline):
        assert client.get(STUDENTS).json()["count"] == 10


# Changing a student ------------------------------------------------------------------------


def test_staff_change_any_field_and_it_is_audited(as_role, acme, make_student):
    student = make_student(age=15)
    response = as_role("staff").patch(
        student_url(student),
        {"first_name": "Samuel", "grade_level": "Year 11", "preferred_session_minutes": 45},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["first_name"] == "Samuel"
    assert response.json()["preferred_session_minutes"] == 45
    entry = AuditEntry.objects.get(action="crm.student.updated")
    assert entry.data["fields"] == ["first_name", "grade_level", "preferred_session_minutes"]


def test_a_student_changes_their_own_preferences_only(api_client, acme, member, make_student):
    me = member(acme, Membership.Role.STUDENT)
    student = make_student(age=20, email=me.user.email)
    client = api_client(acme, me.user)
    response = client.patch(
        student_url(student), {"preferences": "Mornings", "learning_style": "visual"}, "json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["preferences"] == "Mornings"
    refused = client.patch(student_url(student), {"first_name": "Hacker"}, format="json")
    assert refused.status_code == 403
    assert "first_name" in refused.json()["error"]["message"]
    with tenant_context(acme):
        assert StudentProfile.objects.get(pk=student.pk).first_name == "Sam"


def test_a_linked_parent_changes_their_childs_preferences_only(api_client, acme, parent, child_of):
    child = child_of(parent)
    client = api_client(acme, parent.user)
    ok = client.patch(student_url(child), {"preferred_session_minutes": 30}, format="json")
    assert ok.status_code == 200, ok.content
    assert client.patch(
        student_url(child), {"date_of_birth": "2000-01-01"}, "json"
    ).status_code == (403)


def test_a_tutor_cannot_change_their_students_profile(
    as_role, api_client, acme, tutor, make_student
):
    student = make_student(age=15)
    as_role("owner").post(student_url(student, "tutors/"), {"tutor_id": tutor.user_id}, "json")
    client = api_client(acme, tutor.user)
    assert client.get(student_url(student)).status_code == 200
    assert client.patch(student_url(student), {"preferences": "x"}, "json").status_code == 403


def test_the_email_stays_unique_on_change(as_role, make_student):
    make_student(age=20, email="taken@example.test", first_name="First")
    other = make_student(age=20, first_name="Second")
    response = as_role("owner").patch(
        student_url(other), {"email": "TAKEN@example.test"}, format="json"
    )
    assert field_errors(response)["email"] == ["Another student already has this email address."]


def test_a_new_email_is_invited(as_role, acme, make_student):
    student = make_student(age=20)
    response = as_role("owner").patch(
        student_url(student), {"email": "new@example.test"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Invitation.objects.filter(tenant=acme, email="new@example.test", role="student").exists()


def test_making_a_student_under_18_needs_a_parent(as_role, acme, make_student):
    student = make_student(age=20)
    response = as_role("owner").patch(
        student_url(student), {"date_of_birth": dob_for(16).isoformat()}, format="json"
    )
    assert "date_of_birth" in field_errors(response)
    with tenant_context(acme):
        assert StudentProfile.objects.get(pk=student.pk).date_of_birth == student.date_of_birth


def test_a_minor_with_a_parent_may_be_made_younger(as_role, make_student):
    student = make_student(age=15)
    response = as_role("owner").patch(
        student_url(student), {"date_of_birth": dob_for(12).isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["consent"]["status"] == "needed"


# Archiving ---------------------------------------------------------------------------------


def test_staff_archive_and_unarchive_and_others_lose_sight(
    as_role, api_client, acme, parent, child_of
):
    child = child_of(parent)
    staff = as_role("staff")
    archived = staff.post(student_url(child, "archive/"))
    assert archived.status_code == 200, archived.content
    assert archived.json()["is_active"] is False
    assert api_client(acme, parent.user).get(student_url(child)).status_code == 404
    assert staff.get(student_url(child)).status_code == 200
    assert staff.post(student_url(child, "unarchive/")).json()["is_active"] is True
    assert api_client(acme, parent.user).get(student_url(child)).status_code == 200
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"crm.student.archived", "crm.student.unarchived"} <= actions


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_staff_archive(as_role, make_student, role):
    student = make_student(age=15)
    response = as_role(role).post(student_url(student, "archive/"))
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
