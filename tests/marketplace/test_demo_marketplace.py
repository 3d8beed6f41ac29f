"""The demo's marketplace: freelancers' and Acme's gigs are listed, drafts and pending
freelancers are not verified, reviews count, and a new student has no memberships yet."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from demo.seed import demo_seed
from listings.models import ListedReview, Listing, TutorListing
from marketplace.models import Gig, GigBooking, Review
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_the_demo_lists_gigs_of_freelancers_and_acme_with_their_reviews():
    demo_seed()
    demo_seed()  # nothing below is doubled
    marketplace = Tenant.objects.get(slug="marketplace")
    acme = Tenant.objects.get(slug="acme")
    assert acme.marketplace_listed
    with tenant_context(marketplace):
        assert Gig.objects.filter(status="published").count() == 6
        assert Gig.objects.filter(status="draft").count() == 1
        assert Review.objects.count() == GigBooking.objects.count() == 3

    titles = set(Listing.objects.values_list("title", flat=True))
    assert "Conversational Spanish for adults" in titles
    assert "GCSE maths exam preparation" in titles
    assert "DELE B2 exam preparation" not in titles  # a draft
    assert Listing.objects.count() == 7
    assert Listing.objects.get(title="GCSE maths exam preparation").tenant == acme

    fran = TutorListing.objects.get(user__email="freelancer@educonnect.test")
    assert (fran.rating_count, fran.rating_average) == (2, 4.5)
    assert fran.rating_distribution in ({"4": 1, "5": 1}, {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1})
    assert fran.verified
    assert fran.next_free_at is not None
    answered = ListedReview.objects.get(tutor=fran, reply__gt="")
    assert answered.created_at < answered.replied_at < timezone.now() - dt.timedelta(days=7)
    assert not TutorListing.objects.get(user__email="jonas@educonnect.test").verified

    alex = User.objects.get(email="alex@educonnect.test")
    assert not Membership.objects.filter(user=alex).exists()
