"""Booking from the marketplace: a listed gig of Fay's, a customer with a root account and
no place in any tenant yet, and ``book(...)`` calling the service as the page does."""

from __future__ import annotations

import pytest

from listings.models import Listing
from marketplace.services.booking import BookingResult, gig_book
from tests.factories import UserFactory
from tests.listings.pages.conftest import gig_listing, index, listed, london

__all__ = ["gig_listing", "index", "listed", "london"]


@pytest.fixture
def customer(public_tenant):
    """Cara: signed up on the root domain (New York time), a member of nothing."""
    return UserFactory(
        email="cara@example.test",
        first_name="Cara",
        last_name="Client",
        time_zone="America/New_York",
    )


@pytest.fixture
def book(customer, gig_listing):
    """``book(starts_at=..., student={...}, user=customer, listing=gig_listing, ...)``."""

    def run(**kwargs) -> BookingResult:
        kwargs.setdefault("user", customer)
        kwargs.setdefault("listing", gig_listing)
        kwargs.setdefault("starts_at", london(2, 10))
        kwargs.setdefault("student", {"for": "me", "date_of_birth": "1990-05-01"})
        listing: Listing = kwargs["listing"]
        kwargs["listing"] = Listing.objects.select_related("tenant").get(pk=listing.pk)
        return gig_book(**kwargs)

    return run
