"""Reads behind the marketplace's gig and tutor pages (root domain, anyone may look).

Everything shown comes from the public index except a gig's free slots, which are
computed live in the tenant that owns the gig: the index's copy of a tutor's free time is
good enough for a search filter, not for offering a time to book. A listing whose tenant
has since stopped listing (or was deactivated) is not shown even before the index
catches up. Languages are named by ``marketplace.selectors.languages``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from django_tenants.utils import tenant_context

from listings.indexing import listed_tenants
from listings.models import FreeWindow, ListedReview, Listing, TutorListing
from marketplace.models import Gig
from marketplace.services.booking import package_session_price
from scheduling.selectors.availability import local_instant
from scheduling.selectors.slots import Slot, slot_list
from tenants.validators import time_zones

__all__ = [
    "FURTHEST_AHEAD",
    "SLOT_DAYS",
    "Day",
    "GigSlots",
    "choice_label",
    "gig_slots",
    "listing_get",
    "package_rows",
    "tutor_free_windows",
    "tutor_listing_get",
    "tutor_listings",
    "tutor_reviews",
    "zone_named",
]

SLOT_DAYS = 14
# No tutor takes bookings further ahead than this (TutorSchedule.booking_horizon_days).
FURTHEST_AHEAD = dt.timedelta(days=730)
FREE_WINDOWS_SHOWN = 10


def zone_named(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The IANA zone called ``name``; None for anything else (never an error)."""
    if not name or name not in time_zones():
        return None
    return zoneinfo.ZoneInfo(name)


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of a stored choice (the index keeps the value)."""
    return choices(value).label if value in choices.values else value.replace("_", " ").capitalize()


# Gigs --------------------------------------------------------------------------------------


def listing_get(*, pk: int) -> Listing | None:
    """A listed gig with its tutor and tenant (domains too, for links to the tenant)."""
    return (
        Listing.objects.select_related("tutor", "tenant")
        .prefetch_related("tenant__domains")
        .filter(tenant__in=listed_tenants(), pk=pk)
        .first()
    )


def package_rows(listing: Listing) -> list[dict]:
    """The gig's packages with their price per session (the total shared out, rounded half
    up, as booking charges it)."""
    rows = []
    for package in sorted(listing.packages, key=lambda p: p.get("sessions", 0)):
        sessions, total = package.get("sessions"), package.get("price_minor")
        if not isinstance(sessions, int) or not isinstance(total, int) or sessions < 2:
            continue
        rows.append(
            {
                "sessions": sessions,
                "price_minor": total,
                "per_session_minor": package_session_price(total, sessions),
                "saving_minor": max(listing.price_minor * sessions - total, 0),
            }
        )
    return rows


@dataclass(frozen=True)
class Day:
    date: dt.date
    slots: list[Slot]


@dataclass(frozen=True)
class GigSlots:
    available: bool  # False: the gig is no longer on offer in its tenant
    first_day: dt.date
    last_day: dt.date
    days: list[Day]

    @property
    def slot_count(self) -> int:
        return sum(len(day.slots) for day in self.days)


def gig_slots(
    *,
    listing: Listing,
    zone: zoneinfo.ZoneInfo,
    first_day: dt.date,
    days: int = SLOT_DAYS,
    now: dt.datetime | None = None,
) -> GigSlots:
    """The gig's free slots for its length over ``days`` days from ``first_day`` (dates in
    ``zone``), computed now in the gig's tenant and grouped by the viewer's day."""
    last_day = first_day + dt.timedelta(days=days - 1)
    start = local_instant(first_day, 0, zone)
    end = local_instant(last_day + dt.timedelta(days=1), 0, zone)
    with tenant_context(listing.tenant):
        gig = Gig.objects.select_related("tutor").filter(pk=listing.gig_id).first()
        if gig is None or not gig.is_published or gig.tutor.user_id is None:
            return GigSlots(False, first_day, last_day, [])
        slots = slot_list(
            tutor=gig.tutor,
            start=start,
            end=end,
            duration_minutes=gig.duration_minutes,
            now=now or timezone.now(),
        )
    grouped = [Day(first_day + dt.timedelta(days=n), []) for n in range(days)]
    for slot in slots:
        index = (slot.starts_at.astimezone(zone).date() - first_day).days
        if 0 <= index < days:
            grouped[index].slots.append(slot)
    return GigSlots(True, first_day, last_day, grouped)


# Tutors ------------------------------------------------------------------------------------


def tutor_listing_get(*, pk: int) -> TutorListing | None:
    listed = TutorListing.objects.select_related("tenant").filter(tenant__in=listed_tenants())
    return listed.filter(pk=pk).first()


def tutor_listings(*, tutor: TutorListing) -> QuerySet[Listing]:
    """The tutor's listed gigs, best first."""
    return Listing.objects.filter(tutor=tutor).order_by("-quality", "id")


def tutor_reviews(*, tutor: TutorListing) -> QuerySet[ListedReview]:
    """The tutor's visible reviews, newest first (hidden ones stay for moderation only)."""
    return ListedReview.objects.filter(tutor=tutor, hidden_at__isnull=True).order_by(
        "-created_at", "-id"
    )


def tutor_free_windows(
    *, tutor: TutorListing, now: dt.datetime | None = None, limit: int = FREE_WINDOWS_SHOWN
) -> list[FreeWindow]:
    """The tutor's next free windows from the index (the part still ahead of ``now``)."""
    now = now or timezone.now()
    return list(
        FreeWindow.objects.filter(tutor=tutor, ends_at__gt=now).order_by("starts_at", "id")[:limit]
    )
