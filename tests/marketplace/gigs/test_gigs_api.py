"""Gigs through the API: the tutor's own, the managers' view, refusals, bad input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from marketplace.models import Gig
from notifications.models import Notification
from tests.access.conftest import error_code, field_errors, move_to
from tests.marketplace.gigs.conftest import (
    GIG,
    audits,
    gig_count,
    gig_in,
    gig_url,
    packages_of,
    payload,
    subject_id,
)

pytestmark = pytest.mark.django_db


# Posting ---------------------------------------------------------------------------------


def test_a_freelancer_posts_a_draft_gig_with_packages(api_client, marketplace, freelancer):
    client = api_client(marketplace, freelancer.user)
    response = client.post(GIG, payload(marketplace), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["published_at"] is None
    assert body["tutor"]["name"] == "Fay Freeman"
    assert body["subject"]["slug"] == "mathematics"
    assert body["languages"] == ["en", "fr"]
    assert [(p["sessions"], p["price_minor"]) for p in body["packages"]] == [(4, 11000)]
    assert body["has_bookings"] is False
    gig = gig_in(marketplace, body["id"])
    assert (gig.price_minor, gig.currency, gig.duration_minutes) == (3000, "GBP", 60)
    [entry] = audits("marketplace.gig.created", gig)
    assert entry.actor_id == freelancer.user_id
    assert entry.tenant_id == marketplace.pk


def test_a_listed_agencys_tutor_posts_a_gig(api_client, listed, theo):
    response = api_client(listed, theo.user).post(GIG, payload(listed), format="json")
    assert response.status_code == 201, response.content


def test_an_agency_not_on_the_marketplace_cannot_post_or_publish(
    api_client, listed, theo, draft, weekly, theo_profile
):
    weekly(theo_profile, 0, "09:00", "17:00")
    listed.marketplace_listed = False
    listed.save(update_fields=["marketplace_listed"])
    client = api_client(listed, theo.user)
    response = client.post(GIG, payload(listed), format="json")
    assert response.status_code == 409
    assert error_code(response) == "marketplace_not_listed"
    assert "marketplace listing" in response.json()["error"]["message"]
    response = client.post(gig_url(draft, "publish"))
    assert response.status_code == 409
    assert error_code(response) == "marketplace_not_listed"
    assert gig_count(listed) == 1
    assert gig_in(listed, draft.pk).status == "draft"


def test_languages_are_lower_cased_and_deduplicated(api_client, marketplace, freelancer):
    client = api_client(marketplace, freelancer.user)
    response = client.post(
        GIG, payload(marketplace, languages=["EN", " fr", "en"], difficulty=""), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["languages"] == ["en", "fr"]
    assert response.json()["difficulty"] == ""


def _invalid(marketplace):
    maths = subject_id(marketplace)
    return [
        ("title", {"title": ""}),
        ("title", {"title": "x" * 121}),
        ("title", {"title": "   "}),
        ("subject_id", {"subject_id": 999999}),
        ("subject_id", {"subject_id": subject_id(marketplace, "english")}),
        ("subject_id", {"subject_id": maths, "level": "primary"}),
        ("level", {"level": "kindergarten"}),
        ("difficulty", {"difficulty": "impossible"}),
        ("languages", {"languages": []}),
        ("languages", {"languages": ["xx"]}),
        ("languages", {"languages": ["en-GB"]}),
        ("languages", {"languages": ["en", "fr", "de", "es", "it", "pt"]}),
        ("languages", {"languages": "en"}),
        ("description", {"description": "x" * 5001}),
        ("price_minor", {"price_minor": 0}),
        ("price_minor", {"price_minor": 100000_01}),
        ("price_minor", {"price_minor": "lots"}),
        ("currency", {"currency": "XXX"}),
        ("currency", {"currency": "gbp"}),
        ("duration_minutes", {"duration_minutes": 50}),
        ("packages", {"packages": [{"sessions": 1, "price_minor": 3000}]}),
        ("packages", {"packages": [{"sessions": 53, "price_minor": 3000}]}),
        ("packages", {"packages": [{"sessions": 4, "price_minor": 0}]}),
        ("packages", {"packages": [{"sessions": 4, "price_minor": 12001}]}),
        (
            "packages",
            {
                "packages": [
                    {"sessions": 4, "price_minor": 11000},
                    {"sessions": 4, "price_minor": 1},
                ]
            },
        ),
        ("packages", {"packages": [{"sessions": n, "price_minor": 100} for n in range(2, 7)]}),
        ("packages", {"packages": [{"sessions": 4}]}),
    ]


def test_bad_input_gets_a_field_error_per_field_and_writes_nothing(
    api_client, marketplace, freelancer
):
    client = api_client(marketplace, freelancer.user)
    failures = []
    for field, change in _invalid(marketplace):
        response = client.post(GIG, payload(marketplace, **change), format="json")
        if response.status_code != 400 or field not in field_errors(response):
            failures.append((field, change, response.status_code, response.content[:300]))
    assert not failures
    assert gig_count(marketplace) == 0
    assert audits("marketplace.gig.created") == []


def test_a_package_dearer_per_session_names_the_limit(api_client, marketplace, freelancer):
    response = api_client(marketplace, freelancer.user).post(
        GIG,
        payload(marketplace, packages=[{"sessions": 4, "price_minor": 12001}]),
        format="json",
    )
    assert field_errors(response)["packages"] == [
        "Package 1: 4 sessions may cost at most what 4 single sessions do (GBP 120.00)."
    ]


def test_a_subject_the_tutor_does_not_teach_is_explained(api_client, marketplace, freelancer):
    response = api_client(marketplace, freelancer.user).post(
        GIG, payload(marketplace, level="university"), format="json"
    )
    assert field_errors(response)["subject_id"] == [
        "You do not teach Mathematics at the university level: add it to your profile first."
    ]


def test_a_package_as_dear_as_single_sessions_is_allowed(api_client, marketplace, freelancer):
    response = api_client(marketplace, freelancer.user).post(
        GIG,
        payload(
            marketplace,
            packages=[
                {"sessions": 52, "price_minor": 52 * 3000},
                {"sessions": 2, "price_minor": 1},
            ],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [p["sessions"] for p in response.json()["packages"]] == [2, 52]


# Editing -----------------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given_and_packages_replace_all(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile)
    client = api_client(marketplace, freelancer.user)
    response = client.patch(
        gig_url(gig),
        {"title": "Maths that clicks", "packages": [{"sessions": 10, "price_minor": 25000}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Maths that clicks"
    assert response.json()["status"] == "published"
    assert packages_of(marketplace, gig) == [(10, 25000)]
    response = client.patch(gig_url(gig), {"price_minor": 3500}, format="json")
    assert response.json()["price_minor"] == 3500
    assert packages_of(marketplace, gig) == [(10, 25000)]
    client.patch(gig_url(gig), {"packages": []}, format="json")
    assert packages_of(marketplace, gig) == []
    [first, second, third] = audits("marketplace.gig.updated", gig)
    assert first.data["fields"] == ["title"]
    assert first.data["packages"] == [[10, 25000]]
    assert second.data == {
        "fields": ["price_minor"],
        "title": "Maths that clicks",
        "status": "published",
    }
    assert third.data["packages"] == []


def test_a_package_keeps_its_row_when_only_its_price_changes(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile, status=Gig.Status.DRAFT)
    client = api_client(marketplace, freelancer.user)
    first = client.patch(
        gig_url(gig), {"packages": [{"sessions": 4, "price_minor": 11000}]}, format="json"
    ).json()["packages"][0]
    second = client.patch(
        gig_url(gig),
        {
            "packages": [
                {"sessions": 4, "price_minor": 10000},
                {"sessions": 8, "price_minor": 20000},
            ]
        },
        format="json",
    ).json()["packages"]
    assert second[0] == {"id": first["id"], "sessions": 4, "price_minor": 10000}


def test_an_unchanged_patch_writes_no_audit(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile)
    response = api_client(marketplace, freelancer.user).patch(
        gig_url(gig), {"title": gig.title, "packages": []}, format="json"
    )
    assert response.status_code == 200
    assert audits("marketplace.gig.updated", gig) == []


def test_a_lower_price_cannot_leave_a_package_dearer_per_session(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile)
    client = api_client(marketplace, freelancer.user)
    client.patch(gig_url(gig), {"packages": [{"sessions": 4, "price_minor": 11000}]}, format="json")
    response = client.patch(gig_url(gig), {"price_minor": 2000}, format="json")
    assert "packages" in field_errors(response)
    assert gig_in(marketplace, gig.pk).price_minor == 3000


def test_a_published_gig_keeps_its_description(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile)
    response = api_client(marketplace, freelancer.user).patch(
        gig_url(gig), {"description": ""}, format="json"
    )
    assert "description" in field_errors(response)


def test_bad_patches_change_nothing(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile)
    client = api_client(marketplace, freelancer.user)
    for change in ({"duration_minutes": 61}, {"languages": ["zz"]}, {"subject_id": 0}):
        assert client.patch(gig_url(gig), change, format="json").status_code == 400
    fresh = gig_in(marketplace, gig.pk)
    assert (fresh.duration_minutes, fresh.languages) == (60, ["en"])


# Publishing and pausing --------------------------------------------------------------------


def test_publishing_stamps_the_time_once_and_twice_changes_nothing(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile, status=Gig.Status.DRAFT)
    client = api_client(marketplace, freelancer.user)
    response = client.post(gig_url(gig, "publish"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "published"
    assert body["published_at"] is not None
    again = client.post(gig_url(gig, "publish"))
    assert again.status_code == 200
    assert again.json()["published_at"] == body["published_at"]
    assert len(audits("marketplace.gig.published", gig)) == 1


def test_pause_and_resume_keep_the_first_publication(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile, status=Gig.Status.DRAFT)
    client = api_client(marketplace, freelancer.user)
    published_at = client.post(gig_url(gig, "publish")).json()["published_at"]
    response = client.post(gig_url(gig, "pause"))
    assert response.json()["status"] == "paused"
    assert client.post(gig_url(gig, "pause")).status_code == 200
    assert len(audits("marketplace.gig.paused", gig)) == 1
    response = client.post(gig_url(gig, "publish"))
    assert (response.json()["status"], response.json()["published_at"]) == (
        "published",
        published_at,
    )
    assert audits("marketplace.gig.published", gig)[-1].data["resumed"] is True


def test_a_draft_cannot_be_paused(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile, status=Gig.Status.DRAFT)
    response = api_client(marketplace, freelancer.user).post(gig_url(gig, "pause"))
    assert response.status_code == 409
    assert error_code(response) == "gig_not_published"


def test_publishing_needs_weekly_availability(api_client, listed, theo, draft):
    response = api_client(listed, theo.user).post(gig_url(draft, "publish"))
    assert field_errors(response) == {"availability": ["Add your weekly availability first."]}
    assert gig_in(listed, draft.pk).status == "draft"
    assert audits("marketplace.gig.published") == []


def test_publishing_needs_a_description_and_a_subject_still_taught(
    api_client, listed, theo, theo_profile, gig_factory, weekly
):
    weekly(theo_profile, 2, "09:00", "12:00")
    gig = gig_factory(theo_profile, status=Gig.Status.DRAFT, description="")
    with tenant_context(listed):
        theo_profile.subjects.all().delete()
    response = api_client(listed, theo.user).post(gig_url(gig, "publish"))
    assert set(field_errors(response)) == {"description", "subject_id"}


# Deleting ----------------------------------------------------------------------------------


def test_a_draft_is_deleted(api_client, listed, theo, draft):
    response = api_client(listed, theo.user).delete(gig_url(draft))
    assert response.status_code == 204
    assert gig_in(listed, draft.pk) is None
    [entry] = audits("marketplace.gig.deleted", draft)
    assert entry.data["title"] == draft.title


def test_a_booked_gig_cannot_be_deleted(
    api_client, listed, theo, theo_profile, gig_factory, gig_booked
):
    gig = gig_factory(theo_profile)
    gig_booked(gig, listed)
    client = api_client(listed, theo.user)
    assert client.get(gig_url(gig)).json()["has_bookings"] is True
    response = client.delete(gig_url(gig))
    assert response.status_code == 409
    assert error_code(response) == "gig_has_bookings"
    assert gig_in(listed, gig.pk) is not None
    assert audits("marketplace.gig.deleted") == []
    assert client.post(gig_url(gig, "pause")).json()["status"] == "paused"


# Who sees what -----------------------------------------------------------------------------


def test_a_tutor_lists_only_their_own_gigs(
    api_client, listed, theo, theo_profile, teacher, gig_factory
):
    _, other = teacher(listed, email="other@acme.test", first_name="Olga")
    mine = gig_factory(theo_profile)
    gig_factory(other)
    body = api_client(listed, theo.user).get(GIG).json()
    assert [item["id"] for item in body["results"]] == [mine.pk]


def test_another_tutor_finds_no_gig_and_changes_nothing(api_client, listed, draft, teacher, weekly):
    other, other_profile = teacher(listed, email="other@acme.test")
    weekly(other_profile, 0, "09:00", "17:00")
    client = api_client(listed, other.user)
    assert client.get(gig_url(draft)).status_code == 404
    assert client.patch(gig_url(draft), {"title": "Mine now"}, format="json").status_code == 404
    assert client.post(gig_url(draft, "publish")).status_code == 404
    assert client.post(gig_url(draft, "pause")).status_code == 404
    assert client.delete(gig_url(draft)).status_code == 404
    fresh = gig_in(listed, draft.pk)
    assert (fresh.title, fresh.status) == (draft.title, "draft")


@pytest.mark.parametrize("role", ["student", "parent", "staff"])
def test_students_parents_and_staff_are_refused(api_client, listed, draft, member, role):
    client = api_client(listed, member(listed, role).user)
    assert client.get(GIG).status_code == 403
    assert client.post(GIG, payload(listed), format="json").status_code == 403
    assert client.get(gig_url(draft)).status_code == 403
    assert client.delete(gig_url(draft)).status_code == 403
    assert gig_in(listed, draft.pk) is not None


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_list_every_tutors_gigs_and_may_only_pause(
    api_client, listed, theo_profile, teacher, gig_factory, member, role
):
    _, other = teacher(listed, email="other@acme.test", first_name="Olga")
    theirs = gig_factory(other)
    gig = gig_factory(theo_profile)
    manager = member(listed, role)
    client = api_client(listed, manager.user)
    assert {item["id"] for item in client.get(GIG).json()["results"]} == {gig.pk, theirs.pk}
    only_theo = client.get(GIG, {"tutor_id": theo_profile.pk}).json()["results"]
    assert [item["id"] for item in only_theo] == [gig.pk]
    assert client.post(GIG, payload(listed), format="json").status_code == 403
    assert client.patch(gig_url(gig), {"title": "Ours"}, format="json").status_code == 403
    assert client.delete(gig_url(gig)).status_code == 403
    response = client.post(gig_url(gig, "pause"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "paused"
    assert client.post(gig_url(gig, "publish")).status_code == 403
    [entry] = audits("marketplace.gig.paused", gig)
    assert (entry.actor_id, entry.data["by_tutor"]) == (manager.user_id, False)
    with tenant_context(listed):
        notice = Notification.objects.get(event="marketplace.gig.paused")
    assert notice.user_id == theo_profile.user_id
    assert f"/marketplace/gigs/{gig.pk}/" in notice.url


def test_bad_list_filters_are_400(api_client, listed, theo):
    client = api_client(listed, theo.user)
    assert "status" in field_errors(client.get(GIG, {"status": "gone"}))
    assert "tutor_id" in field_errors(client.get(GIG, {"tutor_id": "theo"}))


def test_another_tenants_people_reach_nothing(api_client, listed, globex, draft, member):
    stranger = member(globex, "owner")
    acme_token = api_client(listed, stranger.user)  # issued for acme, where they are no member
    globex_token_on_acme = api_client(globex, stranger.user)
    move_to(globex_token_on_acme, listed)
    for client in (acme_token, globex_token_on_acme):
        assert client.get(gig_url(draft)).status_code in {401, 403}
        assert client.post(gig_url(draft, "pause")).status_code in {401, 403}
        assert client.delete(gig_url(draft)).status_code in {401, 403}
    at_home = api_client(globex, stranger.user)
    assert at_home.get(gig_url(draft)).status_code == 404
    assert at_home.post(gig_url(draft, "pause")).status_code == 404
    assert at_home.get(GIG).json()["count"] == 0
    fresh = gig_in(listed, draft.pk)
    assert (fresh.title, fresh.status) == (draft.title, "draft")


def test_the_list_costs_the_same_queries_for_many_gigs(
    api_client, listed, member, theo_profile, teacher, gig_factory
):
    client = api_client(listed, member(listed, "owner").user)
    gig = gig_factory(theo_profile)
    with tenant_context(listed):
        gig.packages.create(sessions=4, price_minor=11000)
    with CaptureQueriesContext(connection) as few:
        assert client.get(GIG).status_code == 200
    for number in range(6):
        _, profile = teacher(listed, email=f"t{number}@acme.test")
        made = gig_factory(profile)
        with tenant_context(listed):
            made.packages.create(sessions=2, price_minor=5000)
            made.packages.create(sessions=8, price_minor=20000)
    with CaptureQueriesContext(connection) as many:
        assert client.get(GIG).json()["count"] == 7
    assert len(many) == len(few)


def test_the_list_stays_within_its_query_budget(
    api_client,
    marketplace,
    freelancer,
    freelancer_profile,
    gig_factory,
    django_assert_max_num_queries,
):
    for _ in range(5):
        gig_factory(freelancer_profile)
    client = api_client(marketplace, freelancer.user)
    # Host, user, sign-in and membership, then count, gigs and packages: each query after
    # django-tenants' search-path SET.
    with django_assert_max_num_queries(14):
        assert client.get(GIG).json()["count"] == 5
