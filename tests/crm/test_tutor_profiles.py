"""Tutor profiles: the tutor edits their own, members see the sections shared with them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from crm import selectors, services
from crm.models import Subject, TutorProfile
from tests.access.conftest import error_code, field_errors, move_to

pytestmark = pytest.mark.django_db

ME = "/api/v1/crm/tutors/me/"
LIST = "/api/v1/crm/tutors/"

COMPLETE = {
    "headline": "Patient maths tutor",
    "years_of_experience": 7,
    "languages": ["en", "pt-BR"],
    "availability_summary": "Weekday evenings",
    "bio": "I have taught GCSE and A-level maths for seven years.",
    "intro_video_url": "https://video.example/intro",
}


def test_a_tutor_gets_an_empty_profile_on_first_visit(api_client, acme, tutor):
    response = api_client(acme, tutor.user).get(ME)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["basics"]["first_name"] == "Theo"
    assert body["subjects"] == []
    assert body["completion"]["percent"] == 0
    assert body["visibility"] == dict.fromkeys(TutorProfile.SECTIONS, "agency")
    assert api_client(acme, tutor.user).get(ME).json()["id"] == body["id"]  # made once


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "student", "parent"])
def test_only_tutors_have_a_profile_of_their_own(as_role, role):
    client = as_role(role)
    assert client.get(ME).status_code == 403
    assert client.patch(ME, {"headline": "Hi"}, format="json").status_code == 403
    assert client.post(f"{ME}subjects/", {}, format="json").status_code == 403


def test_a_tutor_fills_in_their_profile_and_it_is_audited(api_client, acme, tutor):
    response = api_client(acme, tutor.user).patch(
        ME, {**COMPLETE, "visibility": {"bio": "public", "rates": "private"}}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["basics"]["languages"] == ["en", "pt-BR"]
    assert body["bio"]["intro_video_url"] == "https://video.example/intro"
    assert body["visibility"]["bio"] == "public"
    assert body["visibility"]["rates"] == "private"
    assert body["visibility"]["basics"] == "agency"
    entry = AuditEntry.objects.get(action="crm.tutor_profile.updated")
    assert entry.actor == tutor.user
    assert entry.tenant == acme
    assert "bio" in entry.data["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"intro_video_url": "http://video.example/intro"}, "intro_video_url"),
        ({"intro_video_url": "javascript:alert(1)"}, "intro_video_url"),
        ({"intro_video_url": "not a url"}, "intro_video_url"),
        ({"languages": ["English!"]}, "languages"),
        ({"languages": "en"}, "languages"),
        ({"languages": [f"x{chr(97 + i)}" for i in range(11)]}, "languages"),
        ({"years_of_experience": -1}, "years_of_experience"),
        ({"years_of_experience": 81}, "years_of_experience"),
        ({"years_of_experience": "many"}, "years_of_experience"),
        ({"headline": "x" * 121}, "headline"),
        ({"bio": "x" * 5001}, "bio"),
        ({"visibility": {"bio": "everyone"}}, "visibility"),
        ({"visibility": "public"}, "visibility"),
    ],
)
def test_bad_profile_input_is_a_field_error_and_changes_nothing(
    tutor_api, acme, tutor, body, field
):
    response = tutor_api.patch(ME, body, format="json")
    assert field in field_errors(response)
    with tenant_context(acme):
        profile = TutorProfile.objects.get(user=tutor.user)
        assert profile.headline == "Before"
        assert profile.intro_video_url == ""


def test_a_tutor_cannot_edit_another_tutors_profile(acme, tutor, member, profile_of):
    other = member(acme, Membership.Role.TUTOR)
    theirs = profile_of(other)
    with tenant_context(acme), pytest.raises(PermissionDenied):
        services.tutor_profile_update(profile=theirs, actor=tutor, headline="Mine now")


def test_a_manager_cannot_edit_a_tutors_profile_either(acme, owner, tutor, profile_of):
    profile = profile_of(tutor)
    with tenant_context(acme), pytest.raises(PermissionDenied):
        services.tutor_profile_update(profile=profile, actor=owner, headline="Edited")


@pytest.fixture
def tutor_api(api_client, acme, tutor, profile_of):
    profile_of(tutor, headline="Before")
    return api_client(acme, tutor.user)


# Who sees what -----------------------------------------------------------------------------


@pytest.fixture
def private_rates_and_bio(tutor, profile_of, subject_in, acme):
    profile = profile_of(
        tutor, **COMPLETE, visibility={"rates": "private", "bio": "private", "basics": "public"}
    )
    with tenant_context(acme):
        services.tutor_subject_add(
            profile=profile,
            actor=tutor,
            subject_id=subject_in(acme).pk,
            level="secondary",
            proficiency=5,
            hourly_rate_minor=4500,
            currency="GBP",
        )
    return profile


@pytest.mark.parametrize("role", ["student", "parent", "tutor"])
def test_students_parents_and_other_tutors_never_see_private_sections(
    as_role, role, private_rates_and_bio
):
    client = as_role(role)
    body = client.get(f"{LIST}{private_rates_and_bio.pk}/").json()
    assert body["basics"]["headline"] == "Patient maths tutor"
    assert body["subjects"][0]["subject"]["name"] == "Mathematics"
    assert body["subjects"][0]["hourly_rate_minor"] is None
    assert body["subjects"][0]["currency"] is None
    assert body["bio"] is None
    assert body["credentials"] == {"count": 0}  # agency only: any member of the tenant
    assert body["visibility"] is None
    assert body["completion"] is None
    listed = client.get(LIST).json()["results"]
    assert [p["bio"] for p in listed if p["id"] == private_rates_and_bio.pk] == [None]
    assert b"4500" not in client.get(LIST).content


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_agency_staff_see_every_section_and_the_completion(as_role, role, private_rates_and_bio):
    body = as_role(role).get(f"{LIST}{private_rates_and_bio.pk}/").json()
    assert body["subjects"][0]["hourly_rate_minor"] == 4500
    assert body["subjects"][0]["currency"] == "GBP"
    assert body["bio"]["bio"].startswith("I have taught")
    assert body["completion"]["percent"] == 90


def test_the_tutor_sees_their_own_private_sections(api_client, acme, tutor, private_rates_and_bio):
    body = api_client(acme, tutor.user).get(ME).json()
    assert body["subjects"][0]["hourly_rate_minor"] == 4500
    assert body["bio"] is not None


def test_a_tutor_with_private_basics_is_unlisted_except_to_staff_and_themself(
    as_role, api_client, acme, tutor, profile_of
):
    profile = profile_of(tutor, visibility={"basics": "private"})
    student = as_role("student")
    assert student.get(LIST).json()["count"] == 0
    assert student.get(f"{LIST}{profile.pk}/").status_code == 404
    assert as_role("staff").get(LIST).json()["count"] == 1
    assert api_client(acme, tutor.user).get(LIST).json()["count"] == 1


def test_a_deactivated_tutor_is_not_listed(as_role, tutor, profile_of):
    profile = profile_of(tutor)
    tutor.is_active = False
    tutor.save(update_fields=["is_active"])
    owner = as_role("owner")
    assert owner.get(LIST).json()["count"] == 0
    assert owner.get(f"{LIST}{profile.pk}/").status_code == 404


def test_the_tutor_list_costs_the_same_queries_for_one_tutor_or_many(
    as_role, acme, member, profile_of, django_assert_max_num_queries
):
    client = as_role("owner")
    with tenant_context(acme):
        maths, physics = Subject.objects.filter(slug__in=["mathematics", "physics"])

    def add_tutor() -> None:
        tutor = member(acme, Membership.Role.TUTOR)
        profile = profile_of(tutor, **COMPLETE)
        with tenant_context(acme):
            for subject in (maths, physics):
                services.tutor_subject_add(
                    profile=profile,
                    actor=tutor,
                    subject_id=subject.pk,
                    level="adult",
                    proficiency=3,
                )

    add_tutor()
    with django_assert_max_num_queries(20) as one:
        assert client.get(LIST).json()["count"] == 1
    for _ in range(5):
        add_tutor()
    with django_assert_max_num_queries(len(one.captured_queries)):
        body = client.get(LIST).json()
    assert body["count"] == 6
    assert all(len(p["subjects"]) == 2 for p in body["results"])


# Completion --------------------------------------------------------------------------------


def test_completion_counts_each_wizard_step_by_its_weight(acme, tutor, profile_of, subject_in):
    profile = profile_of(tutor)
    with tenant_context(acme):

        def percent() -> int:
            fresh = selectors.tutor_profile_of(user_id=tutor.user_id)
            return selectors.tutor_profile_completion(profile=fresh).percent

        assert percent() == 0
        services.tutor_profile_update(
            profile=profile, actor=tutor, headline="Hi", years_of_experience=0, languages=["en"]
        )
        assert percent() == 20
        added = services.tutor_subject_add(
            profile=profile,
            actor=tutor,
            subject_id=subject_in(acme).pk,
            level="primary",
            proficiency=4,
        )
        assert percent() == 40  # a subject, but no rate yet
        services.tutor_subject_update(tutor_subject=added, actor=tutor, hourly_rate_minor=3000)
        assert percent() == 55
        services.tutor_profile_update(profile=profile, actor=tutor, availability_summary="Sat")
        assert percent() == 70
        services.tutor_profile_update(profile=profile, actor=tutor, bio="About me")
        assert percent() == 80
        services.tutor_profile_update(
            profile=profile, actor=tutor, intro_video_url="https://v.example/1"
        )
        # Credentials are not built yet: their hook counts none.
        assert percent() == 90
        assert selectors.tutor_credential_count(profile=profile) == 0


# Other tenants -----------------------------------------------------------------------------


@pytest.fixture
def globex_tutor(globex, member, profile_of):
    person = member(globex, Membership.Role.TUTOR)
    return person, profile_of(person, **COMPLETE, visibility={"basics": "public"})


def test_a_globex_profile_is_not_found_on_acme(as_role, globex_tutor):
    _, profile = globex_tutor
    for role in ("owner", "student"):
        client = as_role(role)
        response = client.get(f"{LIST}{profile.pk}/")
        assert response.status_code == 404
        assert error_code(response) == "not_found"
        assert client.get(LIST).json()["count"] == 0


def test_a_tutor_of_both_tenants_edits_only_the_profile_of_the_host_they_call(
    api_client, acme, globex, tutor, profile_of
):
    from tests.factories import MembershipFactory

    MembershipFactory(user=tutor.user, tenant=globex, role=Membership.Role.TUTOR)
    response = api_client(acme, tutor.user).patch(ME, {"headline": "Acme only"}, format="json")
    assert response.status_code == 200
    with tenant_context(globex):
        assert not TutorProfile.objects.filter(headline="Acme only").exists()


def test_an_acme_token_is_refused_on_globex(api_client, acme, globex, tutor, globex_tutor):
    _, profile = globex_tutor
    client = api_client(acme, tutor.user)
    move_to(client, globex)
    for method, path in (
        ("get", f"{LIST}{profile.pk}/"),
        ("get", LIST),
        ("patch", ME),
        ("post", f"{ME}subjects/"),
    ):
        response = getattr(client, method)(path, {"headline": "x"}, format="json")
        assert response.status_code == 401
        assert error_code(response) == "wrong_tenant"
    with tenant_context(globex):
        assert TutorProfile.objects.get(pk=profile.pk).headline == COMPLETE["headline"]


def test_deleting_an_account_does_not_look_for_tutor_profiles_in_the_public_schema(member, acme):
    person = member(acme, Membership.Role.STUDENT)
    person.user.delete()  # ran a query on crm_tutorprofile in public before the fix
    assert not Membership.objects.filter(pk=person.pk).exists()
