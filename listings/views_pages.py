"""Gig and tutor pages on the root domain, and booking a gig from there.

Anyone may look. Times are shown in the viewer's zone: a signed-in user's own, else the
zone the browser reports (``?tz=``, which ``listings/gig.js`` adds for visitors), else UTC.
A gig's free times are computed live in its tenant, two weeks at a time; the "next week"
control swaps them in place with htmx (a plain link without it).

Booking needs an account: the slot buttons lead to the booking form (sign-in first), which
calls ``gig_book`` and then sends the browser to the new session on the tenant's host
through the signed sign-in handoff, where the request, the meeting and payment carry on
as for any booking.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe
from django_tenants.utils import tenant_context

from accounts.models import Membership
from accounts.services.handoff import login_handoff_url
from config.errors import ApplicationError
from crm.minors import consent_statement
from crm.models import Difficulty, Level, StudentProfile
from listings.forms_booking import NO_START, GigBookingForm
from listings.models import Listing
from listings.selectors_pages import (
    FURTHEST_AHEAD,
    SLOT_DAYS,
    choice_label,
    gig_slots,
    listing_get,
    package_rows,
    tutor_free_windows,
    tutor_listing_get,
    tutor_listings,
    tutor_reviews,
    zone_named,
)
from marketplace.selectors.languages import language_names
from marketplace.services.booking import gig_book

REVIEWS_PER_PAGE = 10
UTC = zoneinfo.ZoneInfo("UTC")


def _zone(request) -> zoneinfo.ZoneInfo:
    if request.user.is_authenticated:
        own = zone_named(request.user.time_zone)
        if own is not None:
            return own
    return zone_named(request.GET.get("tz")) or UTC


def _listing(pk: int) -> Listing:
    listing = listing_get(pk=pk)
    if listing is None:
        raise Http404
    return listing


# The gig page ------------------------------------------------------------------------------


def _first_day(request, zone: zoneinfo.ZoneInfo) -> dt.date:
    """``?from=`` as a date in the viewer's zone, kept between today and the horizon."""
    today = timezone.now().astimezone(zone).date()
    try:
        day = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        return today
    return min(max(day, today), today + FURTHEST_AHEAD)


def _slots_context(request, listing: Listing) -> dict:
    zone = _zone(request)
    today = timezone.now().astimezone(zone).date()
    first_day = _first_day(request, zone)
    found = gig_slots(listing=listing, zone=zone, first_day=first_day)
    book = reverse("listings:book", kwargs={"pk": listing.pk})
    days = [
        {
            "date": day.date,
            "slots": [
                {
                    "starts_at": slot.starts_at,
                    "ends_at": slot.ends_at,
                    "url": f"{book}?{urlencode({'start': slot.starts_at.isoformat()})}",
                }
                for slot in day.slots
            ],
        }
        for day in found.days
    ]
    keep = {"tz": zone.key} if not request.user.is_authenticated else {}

    def link(day: dt.date) -> dict:
        query = urlencode({"from": day.isoformat(), **keep})
        return {
            "page": f"{reverse('listings:gig', kwargs={'pk': listing.pk})}?{query}",
            "panel": f"{reverse('listings:gig_slots', kwargs={'pk': listing.pk})}?{query}",
        }

    week = dt.timedelta(days=7)
    return {
        "listing": listing,
        "available": found.available,
        "days": days,
        "slot_count": found.slot_count,
        "first_day": found.first_day,
        "last_day": found.last_day,
        "slot_days": SLOT_DAYS,
        "zone": zone.key,
        "zone_chosen": request.user.is_authenticated or "tz" in request.GET,
        "previous_week": link(max(first_day - week, today)) if first_day > today else None,
        "next_week": link(first_day + week) if first_day + week <= today + FURTHEST_AHEAD else None,
        "panel_url": reverse("listings:gig_slots", kwargs={"pk": listing.pk}),
    }


@require_safe
def gig_page(request, pk: int) -> HttpResponse:
    """A gig: what it is, who teaches it, its price and packages, and its next free times."""
    listing = _listing(pk)
    context = _slots_context(request, listing)
    context |= {
        "tutor": listing.tutor,
        "level": choice_label(Level, listing.level),
        "difficulty": choice_label(Difficulty, listing.difficulty) if listing.difficulty else "",
        "languages": language_names(listing.languages),
        "packages": package_rows(listing),
    }
    return render(request, "listings/gig.html", context)


@require_safe
def gig_slots_panel(request, pk: int) -> HttpResponse:
    """The free-times panel alone, for htmx (the next week, or in the browser's zone)."""
    listing = _listing(pk)
    return render(request, "listings/_slots.html", _slots_context(request, listing))


# The tutor page ----------------------------------------------------------------------------


def _distribution(distribution: dict, count: int) -> list[dict]:
    rows = []
    for stars in range(5, 0, -1):
        value = distribution.get(str(stars), 0)
        number = value if isinstance(value, int) and value > 0 else 0
        percent = round(100 * number / count) if count else 0
        rows.append({"stars": stars, "count": number, "percent": percent})
    return rows


@require_safe
def tutor_page(request, pk: int) -> HttpResponse:
    """A tutor: profile, gigs, ratings and reviews (with their replies), next free times."""
    tutor = tutor_listing_get(pk=pk)
    if tutor is None:
        raise Http404
    reviews = Paginator(tutor_reviews(tutor=tutor), REVIEWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    zone = _zone(request)
    subjects = [
        {"name": item.get("name", ""), "level": choice_label(Level, item.get("level") or "")}
        for item in tutor.subjects
        if isinstance(item, dict)
    ]
    context = {
        "tutor": tutor,
        "subjects": subjects,
        "languages": language_names(tutor.languages),
        "gigs": list(tutor_listings(tutor=tutor)),
        "distribution": _distribution(tutor.rating_distribution or {}, tutor.rating_count),
        "reviews": reviews,
        "windows": tutor_free_windows(tutor=tutor),
        "zone": zone.key,
        "keep_zone": "" if request.user.is_authenticated else f"&{urlencode({'tz': zone.key})}",
    }
    return render(request, "listings/tutor.html", context)


# Booking -----------------------------------------------------------------------------------


def _booking_state(user, listing: Listing) -> tuple[tuple[str, ...], bool, str]:
    """Who the user can book for in the gig's tenant, whether their date of birth is
    still needed, and why they cannot book there at all (empty when they can)."""
    membership = Membership.objects.filter(user=user, tenant_id=listing.tenant_id).first()
    if membership is not None and not membership.is_active:
        return (), False, f"Your access to {listing.tenant.name} was ended; you cannot book here."
    if membership is not None and membership.role not in ("student", "parent"):
        role = membership.get_role_display().lower()
        return (), False, f"You are a {role} here; book with another account."
    roles = ("me", "child")
    if membership is not None:
        roles = ("me",) if membership.role == "student" else ("child",)
    with tenant_context(listing.tenant):
        has_profile = StudentProfile.objects.filter(user=user).exists()
    return roles, not has_profile, ""


def _statement(form: GigBookingForm, listing: Listing) -> str:
    data = form.data if form.is_bound else {}
    child = StudentProfile(
        first_name=(data.get("child_first_name") or "").strip()[:150] or "my child",
        last_name=(data.get("child_last_name") or "").strip()[:150],
    )
    return consent_statement(child, tenant_name=listing.tenant.name)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def book(request, pk: int) -> HttpResponse:
    """The booking form for one free time of a gig; on success, off to the tenant's host."""
    listing = _listing(pk)
    roles, needs_dob, refusal = _booking_state(request.user, listing)
    options = {
        "price_minor": listing.price_minor,
        "currency": listing.currency,
        "packages": package_rows(listing),
        "roles": roles or ("me", "child"),
        "needs_date_of_birth": needs_dob,
    }
    raw_start = (request.POST if request.method == "POST" else request.GET).get("start")
    starts_at = GigBookingForm.parse_start(raw_start)
    status = 200
    if request.method == "POST" and not refusal:
        form = GigBookingForm(request.POST, **options)
        status = 400
        if form.is_valid():
            try:
                result = gig_book(
                    user=request.user,
                    listing=listing,
                    starts_at=form.cleaned_data["start"],
                    package_sessions=form.package_sessions(),
                    message=form.cleaned_data["message"],
                    student=form.student(),
                    request=request,
                )
            except ValidationError as error:
                form.apply(error.message_dict if hasattr(error, "error_dict") else {})
                if not hasattr(error, "error_dict"):
                    form.add_error(None, error.messages)
            except ApplicationError as error:
                form.add_error(None, error.message)
                status = error.status
            else:
                return HttpResponseRedirect(
                    login_handoff_url(
                        user=request.user, membership=result.membership, next_path=result.path
                    )
                )
    else:
        initial = {"start": raw_start or "", "for_whom": options["roles"][0]}
        form = GigBookingForm(initial=initial, **options)
        if starts_at is None and not refusal:
            status = 400
    context = {
        "listing": listing,
        "form": form,
        "refusal": refusal,
        "no_start": starts_at is None,
        "no_start_message": NO_START,
        "zone": _zone(request).key,
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(minutes=listing.duration_minutes)
        if starts_at
        else None,
        "packages": options["packages"],
        "statement": _statement(form, listing),
        "gig_url": reverse("listings:gig", kwargs={"pk": listing.pk}),
    }
    return render(request, "listings/book.html", context, status=403 if refusal else status)


urlpatterns = [
    path("gigs/<int:pk>/", gig_page, name="gig"),
    path("gigs/<int:pk>/slots/", gig_slots_panel, name="gig_slots"),
    path("gigs/<int:pk>/book/", book, name="book"),
    path("tutors/<int:pk>/", tutor_page, name="tutor"),
]
