"""Who sees which student (issue item 8), for every role and across tenants."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services
from crm.models import ParentLink, StudentProfile, TutorAssignment
from tests.access.conftest import error_code, move_to
from tests.crm.students.conftest import STUDENTS, student_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(acme, owner, member, make_student):
    """Two students of acme: Ann (with a tutor, a parent and an account) and Bob."""
    people = {
        "owner": owner,
        "admin": member(acme, Membership.Role.ADMIN),
        "staff": member(acme, Membership.Role.STAFF),
        "tutor (assigned)": member(acme, Membership.Role.TUTOR),
        "tutor (unassigned)": member(acme, Membership.Role.TUTOR),
        "student (self)": member(acme, Membership.Role.STUDENT),
        "student (other)": member(acme, Membership.Role.STUDENT),
        "parent (linked)": member(acme, Membership.Role.PARENT),
        "parent (unlinked)": member(acme, Membership.Role.PARENT),
    }
    ann = make_student(
        age=12,
        first_name="Ann",
        email=people["student (self)"].user.email,
        parents=[{"email": people["parent (linked)"].user.email}],
    )
    bob = make_student(
        age=12,
        first_name="Bob",
        email=people["student (other)"].user.email,
        parents=[{"email": "someone@example.test"}],
    )
    with tenant_context(acme):
        services.tutor_assign(student=ann, actor=owner, tutor_id=people["tutor (assigned)"].user_id)
    return {"people": people, "ann": ann, "bob": bob}


SEES = {
    "owner": {"Ann", "Bob"},
    "admin": {"Ann", "Bob"},
    "staff": {"Ann", "Bob"},
    "tutor (assigned)": {"Ann"},
    "tutor (unassigned)": set(),
    "student (self)": {"Ann"},
    "student (other)": {"Bob"},
    "parent (linked)": {"Ann"},
    "parent (unlinked)": set(),
}


@pytest.mark.parametrize("who", list(SEES))
def test_each_role_lists_and_opens_exactly_the_students_it_may_see(api_client, acme, world, who):
    client = api_client(acme, world["people"][who].user)
    response = client.get(STUDENTS)
    assert response.status_code == 200, response.content
    assert {s["first_name"] for s in response.json()["results"]} == SEES[who]
    for name in ("Ann", "Bob"):
        detail = client.get(student_url(world[name.lower()]))
        assert detail.status_code == (200 if name in SEES[who] else 404), (who, name)
        if detail.status_code == 404:
            assert error_code(detail) == "not_found"
            assert b"Ann" not in detail.content
            assert b"Bob" not in detail.content


@pytest.mark.parametrize("who", list(SEES))
def test_each_role_sees_the_same_on_the_pages(web_client, acme, world, who):
    browser = web_client(acme, world["people"][who].user)
    page = browser.get("/crm/students/")
    assert page.status_code == 200
    for name in ("Ann", "Bob"):
        assert (f">{name} Student<" in page.content.decode()) == (name in SEES[who]), (who, name)
        detail = browser.get(f"/crm/students/{world[name.lower()].pk}/")
        assert detail.status_code == (200 if name in SEES[who] else 404), (who, name)


# Other tenants -----------------------------------------------------------------------------


@pytest.fixture(params=["globex_owner_token", "globex_tutor_token"])
def globex_client(request, api_client, globex, member):
    role = "owner" if request.param == "globex_owner_token" else "tutor"
    person = (
        Membership.objects.get(tenant=globex, role="owner")
        if role == "owner"
        else member(globex, role)
    )
    return api_client(globex, person.user)


def _snapshot(acme) -> tuple:
    with tenant_context(acme):
        return (
            list(StudentProfile.objects.values_list("pk", "first_name", "is_active")),
            list(ParentLink.objects.values_list("pk", "email")),
            list(TutorAssignment.objects.values_list("pk", "tutor_id")),
        )


def test_a_globex_token_on_globexs_host_finds_no_acme_student(acme, world, globex_client):
    before = _snapshot(acme)
    ann = world["ann"]
    with tenant_context(acme):
        link = ParentLink.objects.filter(student=ann).first()
        assignment = TutorAssignment.objects.filter(student=ann).first()
    assert globex_client.get(STUDENTS).json()["count"] == 0
    for method, path, body in [
        ("get", student_url(ann), None),
        ("patch", student_url(ann), {"first_name": "Owned"}),
        ("post", student_url(ann, "archive/"), None),
        ("post", student_url(ann, "parents/"), {"email": "x@example.test"}),
        ("post", student_url(ann, "consent/"), {"statement": "x"}),
        ("post", student_url(ann, "consent/withdraw/"), None),
        ("post", student_url(ann, "tutors/"), {"tutor_id": 1}),
        ("delete", f"/api/v1/crm/parent-links/{link.pk}/", None),
        ("delete", f"/api/v1/crm/tutor-assignments/{assignment.pk}/", None),
    ]:
        response = getattr(globex_client, method)(path, body, format="json")
        assert response.status_code in {403, 404}, (method, path, response.content)
    assert _snapshot(acme) == before


def test_a_globex_token_on_acmes_host_is_refused(acme, world, globex_client):
    before = _snapshot(acme)
    move_to(globex_client, acme)
    ann = world["ann"]
    for method, path in [
        ("get", STUDENTS),
        ("get", student_url(ann)),
        ("patch", student_url(ann)),
        ("post", student_url(ann, "archive/")),
        ("post", student_url(ann, "consent/")),
    ]:
        response = getattr(globex_client, method)(path, {"first_name": "Owned"}, format="json")
        assert response.status_code == 401, (method, path)
        assert error_code(response) == "wrong_tenant"
    assert _snapshot(acme) == before


def test_a_globex_session_on_acmes_host_sees_no_page(web_client, acme, globex, world):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    browser = web_client(globex, globex_owner.user)
    move_to(browser, acme)
    before = _snapshot(acme)
    for path in ("/crm/students/", f"/crm/students/{world['ann'].pk}/"):
        response = browser.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    response = browser.post(f"/crm/students/{world['ann'].pk}/archive/")
    assert response.status_code == 302
    assert _snapshot(acme) == before
