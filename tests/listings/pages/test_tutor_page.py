"""The tutor page on the root domain: profile, gigs, ratings and visible reviews, free times."""

from __future__ import annotations

import re
import zoneinfo

import pytest
from django.utils import timezone

from crm.models import TutorProfile
from listings.models import FreeWindow, TutorListing
from tests.factories import UserFactory
from tests.scheduling.conftest import in_tenant_of

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _page(client, tutor: TutorListing, **query):
    return client.get(f"/marketplace/tutors/{tutor.pk}/", query)


@pytest.fixture
def fay(freelancer_profile, gig_factory, index) -> TutorListing:
    """Fay with a filled-in profile and two gigs, indexed."""
    with in_tenant_of(freelancer_profile):
        TutorProfile.objects.filter(pk=freelancer_profile.pk).update(
            headline="Maths that makes sense",
            bio="Ten years of GCSE and A-level.\nCalm, clear, patient.",
            years_of_experience=10,
            languages=["en", "es"],
            bio_visibility="public",
        )
    gig_factory(freelancer_profile, title="GCSE maths, step by step")
    gig_factory(freelancer_profile, title="A-level mechanics", level="exam_prep", price_minor=4500)
    return index(freelancer_profile)


def test_anyone_sees_the_tutors_profile_and_gigs(web_client, fay):
    TutorListing.objects.filter(pk=fay.pk).update(verified=True)

    response = _page(web_client(None), fay)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Fay Freeman" in html
    assert 'data-testid="verified"' in html
    assert "Maths that makes sense" in html
    assert "Ten years of GCSE and A-level.<br>Calm, clear, patient." in html
    assert '<dd data-testid="experience">10 years</dd>' in html
    assert '<dd data-testid="languages">English, Spanish</dd>' in html
    assert "Mathematics (Secondary)" in html
    gigs = re.findall(r'data-testid="tutor-gig">(.*?)</article>', html, re.S)
    assert len(gigs) == 2
    assert any("A-level mechanics" in g and "GBP 45.00" in g for g in gigs)
    assert any("GCSE maths, step by step" in g and "GBP 30.00" in g for g in gigs)


def test_the_rating_summary_shows_each_stars_share(web_client, fay):
    TutorListing.objects.filter(pk=fay.pk).update(
        rating_average="4.25",
        rating_count=4,
        rating_distribution={"5": 2, "4": 1, "3": 0, "2": 1, "1": 0},
    )
    html = _page(web_client(None), fay).content.decode()
    assert "★ 4.3" in html  # 4.25, shown to one decimal
    rows = re.findall(r'data-stars="(\d)">.*?<progress value="(\d+)".*?<td>(\d+)</td>', html, re.S)
    assert rows == [
        ("5", "50", "2"),
        ("4", "25", "1"),
        ("3", "0", "0"),
        ("2", "25", "1"),
        ("1", "0", "0"),
    ]


def test_visible_reviews_are_shown_newest_first_with_replies_ten_a_page(
    web_client, fay, listed_review
):
    for number in range(1, 24):
        listed_review(fay, rating=5, text=f"Great lesson {number}")
    listed_review(fay, rating=4, text="Helpful", reply="Thank you, Sam!")
    listed_review(fay, rating=1, text="Rude words", hidden_at=timezone.now(), hidden_reason="Abuse")
    client = web_client(None)

    first = _page(client, fay).content.decode()
    last = _page(client, fay, page=3).content.decode()

    assert first.count('data-testid="review"') == 10
    assert "Great lesson 1<" in first
    assert "Page 1 of 3" in first
    assert last.count('data-testid="review"') == 4
    assert "Thank you, Sam!" in last
    assert 'data-testid="review-reply"' in last
    assert "Rude words" not in first + last + _page(client, fay, page=2).content.decode()


def test_only_this_tutors_reviews_and_gigs_are_shown(
    acme, web_client, fay, listed_review, teacher, gig_factory, index
):
    acme.marketplace_listed = True
    acme.save(update_fields=["marketplace_listed"])
    _, other_profile = teacher(acme, first_name="Ada", last_name="Agency")
    gig_factory(other_profile, title="Acme algebra")
    other = index(other_profile)
    listed_review(other, text="About Ada")
    listed_review(fay, text="About Fay")

    html = _page(web_client(None), fay).content.decode()

    assert "About Fay" in html
    assert "About Ada" not in html
    assert "Acme algebra" not in html


def test_next_free_times_are_shown_in_the_viewers_zone(web_client, fay):
    window = FreeWindow.objects.filter(tutor=fay).order_by("starts_at").first()
    viewer = UserFactory(time_zone="Asia/Tokyo")

    html = _page(web_client(None, viewer), fay).content.decode()

    start = window.starts_at.astimezone(TOKYO)
    assert f"{start:%a} {start.day} {start:%b}, {start:%H:%M}" in html
    assert "In Asia/Tokyo." in html


def test_a_tutor_not_on_the_marketplace_is_not_found(web_client, fay):
    assert web_client(None).get("/marketplace/tutors/999999/").status_code == 404
    fay.delete()
    assert _page(web_client(None), fay).status_code == 404


def test_the_page_costs_the_same_queries_with_many_reviews(
    web_client, fay, listed_review, django_assert_max_num_queries
):
    client = web_client(None)
    listed_review(fay)
    _page(client, fay)
    for _ in range(30):
        listed_review(fay)
    with django_assert_max_num_queries(12):
        response = _page(client, fay, page=2)
    assert response.status_code == 200
