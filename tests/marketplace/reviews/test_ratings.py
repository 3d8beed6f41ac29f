"""Reviews reach the tutor's ratings and public page through the listing index, after the
commit; a review hidden by the platform stops counting and leaves the page, a restored one
comes back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from listings.models import ListedReview, Listing, TutorListing
from listings.selectors_pages import tutor_reviews
from listings.services_moderation import review_hide, review_restore
from marketplace.services.reviews import review_create, review_reply
from tests.marketplace.reviews.conftest import REVIEW_TEXT

pytestmark = pytest.mark.django_db

EMPTY = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}


@pytest.fixture
def reviewed(marketplace, mp_learner, held, django_capture_on_commit_callbacks):
    """``reviewed(5, 4, …)`` → the reviews, one per new student and completed class."""

    def make(*ratings: int):
        made = []
        for index, rating in enumerate(ratings):
            student, profile = mp_learner(
                first_name=f"Student{index}", last_name="Reviewer", email=f"s{index}@rev.test"
            )
            session = held(profile)
            with django_capture_on_commit_callbacks(execute=True), tenant_context(marketplace):
                made.append(
                    review_create(actor=student, session=session, rating=rating, text=REVIEW_TEXT)
                )
        return made

    return make


def _tutor(marketplace, profile) -> TutorListing:
    return TutorListing.objects.get(tenant=marketplace, profile_id=profile.pk)


def _public_reviews(tutor: TutorListing) -> list[tuple[int, str]]:
    """What the tutor's public page shows: the visible listed reviews, newest first."""
    return [(row.rating, row.author_name) for row in tutor_reviews(tutor=tutor)]


def test_reviews_make_the_average_count_and_distribution(
    marketplace, freelancer_profile, gig, reviewed
):
    reviewed(5, 4, 4)

    tutor = _tutor(marketplace, freelancer_profile)
    assert tutor.rating_average == Decimal("4.33")
    assert tutor.rating_count == 3
    assert tutor.rating_distribution == {**EMPTY, "4": 2, "5": 1}
    listing = Listing.objects.get(tutor=tutor)
    assert (listing.rating_average, listing.rating_count) == (Decimal("4.33"), 3)
    assert _public_reviews(tutor) == [(4, "Student2 R."), (4, "Student1 R."), (5, "Student0 R.")]
    assert {row.gig_id for row in ListedReview.objects.all()} == {gig.pk}


def test_the_reply_is_copied_to_the_public_review(
    marketplace, freelancer, freelancer_profile, gig, reviewed, django_capture_on_commit_callbacks
):
    (review,) = reviewed(5)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(marketplace):
        review_reply(actor=freelancer, review=review, text="Thanks, it was a pleasure.")

    listed = ListedReview.objects.get(review_id=review.pk)
    assert listed.reply == "Thanks, it was a pleasure."
    assert listed.replied_at is not None


def test_a_hidden_review_stops_counting_and_leaves_the_page_until_restored(
    marketplace,
    freelancer_profile,
    gig,
    reviewed,
    platform_staff,
    django_capture_on_commit_callbacks,
):
    low, _ = reviewed(1, 5)
    listed = ListedReview.objects.get(review_id=low.pk)

    with django_capture_on_commit_callbacks(execute=True):
        review_hide(staff=platform_staff, listed=listed, reason="Abusive language.")

    tutor = _tutor(marketplace, freelancer_profile)
    assert (tutor.rating_average, tutor.rating_count) == (Decimal("5.00"), 1)
    assert tutor.rating_distribution == {**EMPTY, "5": 1}
    assert Listing.objects.get(tutor=tutor).rating_count == 1
    assert _public_reviews(tutor) == [(5, "Student1 R.")]
    listed.refresh_from_db()
    assert listed.hidden_reason == "Abusive language."
    assert listed.hidden_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        review_restore(staff=platform_staff, listed=listed)

    tutor.refresh_from_db()
    assert (tutor.rating_average, tutor.rating_count) == (Decimal("3.00"), 2)
    assert tutor.rating_distribution == {**EMPTY, "1": 1, "5": 1}
    assert _public_reviews(tutor) == [(5, "Student1 R."), (1, "Student0 R.")]


def test_with_every_review_hidden_the_tutor_has_no_rating(
    marketplace,
    freelancer_profile,
    gig,
    reviewed,
    platform_staff,
    django_capture_on_commit_callbacks,
):
    (review,) = reviewed(2)
    with django_capture_on_commit_callbacks(execute=True):
        review_hide(
            staff=platform_staff,
            listed=ListedReview.objects.get(review_id=review.pk),
            reason="Not about the class.",
        )

    tutor = _tutor(marketplace, freelancer_profile)
    assert (tutor.rating_average, tutor.rating_count) == (None, 0)
    assert tutor.rating_distribution == EMPTY
    assert _public_reviews(tutor) == []
