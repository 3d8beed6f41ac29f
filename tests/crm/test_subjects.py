"""The subjects catalogue: seeded in every tenant, read by members, edited by managers."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from crm.models import Subject
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db

URL = "/api/v1/crm/subjects/"
DEFAULTS = {
    "Mathematics",
    "English",
    "Physics",
    "Chemistry",
    "Biology",
    "History",
    "Geography",
    "Computer Science",
    "French",
    "Spanish",
    "Music",
    "Economics",
}


def test_a_new_agency_starts_with_the_default_subjects(acme, globex):
    for tenant in (acme, globex):
        with tenant_context(tenant):
            assert set(Subject.objects.values_list("name", flat=True)) == DEFAULTS
            assert Subject.objects.get(name="Computer Science").slug == "computer-science"


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "tutor", "student", "parent"])
def test_every_member_reads_the_active_catalogue(as_role, role):
    response = as_role(role).get(URL, {"page_size": 100})
    assert response.status_code == 200
    assert {s["name"] for s in response.json()["results"]} == DEFAULTS


def test_anonymous_callers_cannot_read_the_catalogue(api_client, acme):
    assert api_client(acme).get(URL).status_code == 401


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_add_a_subject_with_a_slug_from_its_name(as_role, role):
    response = as_role(role).post(URL, {"name": "  Further Maths ", "ordering": 5})
    assert response.status_code == 201, response.content
    assert response.json() == {
        "id": response.json()["id"],
        "name": "Further Maths",
        "slug": "further-maths",
        "is_active": True,
        "ordering": 5,
    }


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_other_roles_cannot_add_or_change_subjects(as_role, role, acme, subject_in):
    client = as_role(role)
    assert client.post(URL, {"name": "Latin"}).status_code == 403
    maths = subject_in(acme)
    assert client.patch(f"{URL}{maths.pk}/", {"name": "Maths"}).status_code == 403
    with tenant_context(acme):
        assert not Subject.objects.filter(name="Latin").exists()
        assert Subject.objects.get(pk=maths.pk).name == "Mathematics"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "mathematics"}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"name": "!!!"}, "slug"),
        ({"name": "Maths", "slug": "mathematics"}, "slug"),
        ({"name": "Latin", "ordering": -1}, "ordering"),
        ({"name": "Latin", "ordering": "first"}, "ordering"),
        ({}, "name"),
    ],
)
def test_a_bad_subject_is_refused_with_a_field_error(as_role, body, field):
    response = as_role("owner").post(URL, body, format="json")
    assert field in field_errors(response)


def test_managers_rename_reorder_and_deactivate_a_subject(as_role, acme, subject_in):
    owner = as_role("owner")
    maths = subject_in(acme)
    response = owner.patch(
        f"{URL}{maths.pk}/", {"name": "Maths", "ordering": 1, "is_active": False}
    )
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "mathematics"  # the slug stays stable
    assert (response.json()["name"], response.json()["is_active"]) == ("Maths", False)

    names_for_owner = {s["name"] for s in owner.get(URL, {"page_size": 100}).json()["results"]}
    names_for_student = {
        s["name"] for s in as_role("student").get(URL, {"page_size": 100}).json()["results"]
    }
    assert "Maths" in names_for_owner
    assert "Maths" not in names_for_student


def test_renaming_to_another_subjects_name_is_refused(as_role, acme, subject_in):
    maths = subject_in(acme)
    response = as_role("admin").patch(f"{URL}{maths.pk}/", {"name": "PHYSICS"})
    assert field_errors(response) == {"name": ["There is already a subject with this name."]}


def test_a_globex_subject_cannot_be_changed_from_acme(as_role, acme, globex, subject_in):
    with tenant_context(globex):
        latin = Subject.objects.create(name="Latin", slug="latin")
    response = as_role("owner").patch(f"{URL}{latin.pk}/", {"name": "Hacked"})
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    with tenant_context(globex):
        assert Subject.objects.get(pk=latin.pk).name == "Latin"


def test_an_id_too_large_for_the_database_is_not_found(as_role):
    response = as_role("owner").patch(f"{URL}{2**70}/", {"name": "X"})
    assert response.status_code == 404
