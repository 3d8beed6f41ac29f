"""The tutor list: search, filters and sorting; invited tutors shown to agency staff only."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from crm.models import TutorSubject
from tests.access.conftest import field_errors

pytestmark = pytest.mark.django_db

LIST = "/api/v1/crm/tutors/"


@pytest.fixture
def tutors(acme, member, profile_of, invited_tutor, subject_in):
    """Ann (maths, secondary, verified), Bob (physics), Ivy (invited, maths exam prep)."""
    ann = profile_of(
        member(acme, "tutor", first_name="Ann", last_name="Able", email="ann@acme.test"),
        headline="Algebra specialist",
    )
    bob = profile_of(
        member(acme, "tutor", first_name="Bob", last_name="Brown", email="bob@acme.test"),
        headline="Physics for everyone",
    )
    ivy = invited_tutor(acme, email="ivy@example.test", first="Ivy", last="Invited")
    maths, physics = subject_in(acme, "mathematics"), subject_in(acme, "physics")
    with tenant_context(acme):
        ann.verification_status = "verified"
        ann.save(update_fields=["verification_status"])
        for profile, subject, level in (
            (ann, maths, "secondary"),
            (bob, physics, "secondary"),
            (ivy, maths, "exam_prep"),
        ):
            TutorSubject.objects.create(
                profile=profile, subject=subject, level=level, proficiency=4, currency="USD"
            )
    return {"ann": ann, "bob": bob, "ivy": ivy, "maths": maths, "physics": physics}


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["basics"]["first_name"] for r in response.json()["results"]]


def test_staff_see_joined_and_invited_tutors_by_name(as_role, tutors):
    assert names(as_role("staff").get(LIST)) == ["Ann", "Bob", "Ivy"]


def test_an_invited_tutor_reads_with_no_account_and_the_invited_names(as_role, tutors):
    client = as_role("owner")
    row = client.get(LIST, {"status": "invited"}).json()["results"]
    assert len(row) == 1
    assert row[0]["user_id"] is None
    assert (row[0]["basics"]["first_name"], row[0]["basics"]["last_name"]) == ("Ivy", "Invited")
    detail = client.get(f"{LIST}{tutors['ivy'].pk}/")
    assert detail.status_code == 200, detail.content
    assert detail.json()["basics"]["last_name"] == "Invited"


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_other_members_never_see_invited_tutors(as_role, tutors, role):
    client = as_role(role)
    assert "Ivy" not in names(client.get(LIST))
    assert names(client.get(LIST, {"status": "invited"})) == []
    assert client.get(f"{LIST}{tutors['ivy'].pk}/").status_code == 404


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "algebra"}, ["Ann"]),
        ({"q": "brown"}, ["Bob"]),
        ({"q": "ann able"}, ["Ann"]),
        ({"q": "ivy@example"}, ["Ivy"]),
        ({"q": "nobody"}, []),
        ({"level": "secondary"}, ["Ann", "Bob"]),
        ({"verification": "verified"}, ["Ann"]),
        ({"verification": "pending"}, ["Bob", "Ivy"]),
        ({"status": "active"}, ["Ann", "Bob"]),
        ({"status": "invited"}, ["Ivy"]),
        ({"sort": "-name"}, ["Ivy", "Bob", "Ann"]),
    ],
)
def test_staff_search_filter_and_sort(as_role, tutors, query, expected):
    assert names(as_role("admin").get(LIST, query)) == expected


def test_subject_and_level_match_the_same_subject_row(as_role, tutors):
    client = as_role("owner")
    maths = tutors["maths"].pk
    assert names(client.get(LIST, {"subject": maths})) == ["Ann", "Ivy"]
    assert names(client.get(LIST, {"subject": maths, "level": "exam_prep"})) == ["Ivy"]
    assert names(client.get(LIST, {"subject": tutors["physics"].pk, "level": "exam_prep"})) == []


def test_sorting_by_last_update(as_role, tutors, acme):
    with tenant_context(acme):
        tutors["bob"].save()  # touched last
    assert names(as_role("owner").get(LIST, {"sort": "-updated"}))[0] == "Bob"
    assert names(as_role("owner").get(LIST, {"sort": "updated"}))[-1] == "Bob"


def test_a_student_cannot_search_by_email_or_find_private_subjects(
    as_role, tutors, acme, profile_of
):
    student = as_role("student")
    assert names(student.get(LIST, {"q": "ann@acme"})) == []
    assert names(student.get(LIST, {"q": "algebra"})) == ["Ann"]
    with tenant_context(acme):
        tutors["ann"].subjects_visibility = "private"
        tutors["ann"].save(update_fields=["subjects_visibility"])
    assert names(student.get(LIST, {"subject": tutors["maths"].pk})) == []
    assert names(student.get(LIST, {"verification": "verified"})) == ["Ann", "Bob"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"level": "nursery"}, "level"),
        ({"verification": "maybe"}, "verification"),
        ({"status": "gone"}, "status"),
        ({"sort": "completion"}, "sort"),
        ({"subject": "maths"}, "subject"),
        ({"subject": "0"}, "subject"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_filters_are_field_errors(as_role, tutors, query, field):
    assert field in field_errors(as_role("owner").get(LIST, query))


@pytest.fixture
def many_tutors(acme, member, profile_of, invited_tutor):
    """``many_tutors(start, stop)`` adds a joined and an invited tutor for each n."""

    def add(start: int, stop: int) -> None:
        for n in range(start, stop):
            profile_of(member(acme, "tutor"))
            invited_tutor(acme, email=f"i{n}@example.test")

    return add


def test_the_list_costs_the_same_queries_for_many_tutors(
    as_role, many_tutors, django_assert_max_num_queries
):
    client = as_role("owner")
    many_tutors(0, 3)
    with django_assert_max_num_queries(20) as few:
        assert client.get(LIST).status_code == 200
    many_tutors(3, 12)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(LIST).json()["results"]) == 24


# The page ------------------------------------------------------------------------------------


def test_staff_see_the_tutor_page_with_status_verification_and_completion(
    web_client, acme, owner, tutors
):
    page = web_client(acme, owner.user).get("/crm/tutors/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ann Able" in html
    assert "Ivy Invited" in html
    assert "Invited (ivy@example.test)" in html
    assert "Verified" in html
    assert 'max="100"' in html
    assert f'href="/crm/tutors/{tutors["ann"].pk}/"' in html


def test_the_page_filters_through_htmx_without_the_layout(web_client, acme, owner, tutors):
    response = web_client(acme, owner.user).get(
        "/crm/tutors/", {"status": "invited"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "<html" not in html
    assert "Ivy Invited" in html
    assert "Ann Able" not in html


def test_a_student_sees_the_page_without_invited_tutors_or_staff_columns(
    web_client, acme, member, tutors
):
    page = web_client(acme, member(acme, "student").user).get("/crm/tutors/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Ann Able" in html
    assert "Ivy" not in html
    assert "Verification" not in html


def test_the_page_costs_the_same_queries_for_many_tutors(
    web_client, acme, owner, many_tutors, django_assert_max_num_queries
):
    browser = web_client(acme, owner.user)
    many_tutors(0, 2)
    browser.get("/crm/tutors/")  # warm the session
    with django_assert_max_num_queries(30) as few:
        assert browser.get("/crm/tutors/").status_code == 200
    many_tutors(2, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert browser.get("/crm/tutors/").status_code == 200
