"""The marketplace's home and search pages on the root domain, open to everyone.

The search page's filter form asks again with htmx whenever a filter changes and swaps
only the results (pushing the URL, so the back button and shared links work); a plain
request gets the whole page, so everything also works without JavaScript. Times are
shown in ``?tz=`` (which ``listings/search.js`` adds for visitors), else the signed-in
user's zone, else UTC.
"""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from crm.models import Difficulty, Level
from listings.forms import ListingSearchForm
from listings.selectors import (
    COUNT_CAP,
    SORTS,
    SearchPage,
    listing_search,
    listing_showcase,
    subject_chips,
)
from marketplace.selectors.languages import language_names


def _zone(form: ListingSearchForm) -> zoneinfo.ZoneInfo | None:
    name = form.cleaned_data.get("tz") if hasattr(form, "cleaned_data") else None
    return zoneinfo.ZoneInfo(name) if name else None


def _query_without_page(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v != ""])


def _clean_url(request) -> str:
    """The request's URL without its empty parameters (what the form leaves blank)."""
    query = urlencode([(k, v) for k, v in request.GET.items() if v != ""])
    return f"{request.path}?{query}" if query else request.path


LEVELS = dict(Level.choices)
DIFFICULTIES = dict(Difficulty.choices)


def _labelled(listings: list) -> list:
    """Each listing with the names of its level, difficulty and languages."""
    for listing in listings:
        listing.level_label = LEVELS.get(listing.level, listing.level)
        listing.difficulty_label = DIFFICULTIES.get(listing.difficulty, listing.difficulty)
        listing.language_names = language_names(listing.languages)
    return listings


def _subjects(chips: list[dict], current: str) -> list[tuple[str, str]]:
    """The subject choices: the common ones, and the one asked for if it is not."""
    subjects = [(chip["slug"], chip["name"]) for chip in chips]
    if current and current not in {slug for slug, _ in subjects}:
        subjects.append((current, current.replace("-", " ").capitalize()))
    return subjects


def _render(request, template: str, context: dict, *, status: int = 200, zone=None):
    if zone is None:
        response = render(request, template, context, status=status)
    else:
        with timezone.override(zone):
            response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def home(request) -> HttpResponse:
    context = {
        "form": ListingSearchForm(),
        "chips": subject_chips(),
        "top_rated": _labelled(listing_showcase(sort="rating")),
        "soonest": _labelled(listing_showcase(sort="soonest")),
    }
    return _render(request, "listings/home.html", context)


@require_safe
def search(request) -> HttpResponse:
    form = ListingSearchForm(request.GET)
    status = 200
    if form.is_valid():
        found = listing_search(**form.search_params())
        _labelled(found.results)
    else:
        found = SearchPage()
        status = 400
    context = {
        "form": form,
        "found": found,
        "query": _query_without_page(request),
        "count_cap": COUNT_CAP,
        "sorts": SORTS,
        "subjects": _subjects(subject_chips(limit=50), form.data.get("subject", "")),
    }
    if not request.htmx:
        return _render(request, "listings/search.html", context, status=status, zone=_zone(form))
    response = _render(request, "listings/_results.html", context, status=status, zone=_zone(form))
    # The form sends every field; the address bar (and a shared link) keeps the used ones.
    response["HX-Push-Url"] = _clean_url(request)
    return response


urlpatterns = [
    path("", home, name="home"),
    path("search/", search, name="search"),
]
