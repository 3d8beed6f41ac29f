"""Searching the marketplace: words, every filter and sort, pages; the selector and form."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from listings.forms import ListingSearchForm
from listings.models import Listing
from listings.selectors import listing_search

pytestmark = pytest.mark.django_db

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def names(catalogue, found) -> list[str]:
    by_gig = {getattr(catalogue, name).pk: name for name in ("maths", "calculus", "physics")}
    by_gig_acme = {catalogue.chemistry.pk: "chemistry"}
    out = []
    for listing in found.results:
        table = by_gig if listing.tenant.kind == "marketplace" else by_gig_acme
        out.append(table[listing.gig_id])
    return out


def search(catalogue, **params) -> list[str]:
    form = ListingSearchForm(params)
    assert form.is_valid(), form.errors
    return names(catalogue, listing_search(**form.search_params()))


def errors(**params) -> dict:
    form = ListingSearchForm(params)
    assert not form.is_valid()
    return form.errors


def next_weekday(weekday: int, zone=BERLIN) -> dt.date:
    """The first such weekday at least two days ahead (past the booking notice)."""
    day = timezone.now().astimezone(zone).date() + dt.timedelta(days=2)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def test_without_words_the_best_tutors_come_first_and_unlisted_agencies_never(catalogue):
    assert search(catalogue) == ["chemistry", "physics", "maths", "calculus"]
    assert not Listing.objects.filter(title__startswith="Globex").exists()


def test_words_match_title_subject_and_tutor(catalogue):
    assert search(catalogue, q="calculus") == ["calculus", "chemistry"]
    assert search(catalogue, q="mathematics") == ["maths", "calculus"]
    assert search(catalogue, q="Novak") == ["physics"]
    assert search(catalogue, q='"step by step"') == ["maths"]
    assert search(catalogue, q="calculus -chemistry") == ["calculus"]
    assert search(catalogue, q="nothing like this") == []


def test_maths_finds_mathematics(catalogue):
    # The stemmer keeps "maths" and "mathematics" apart; the calculus gig never says maths.
    assert search(catalogue, q="maths") == ["maths", "calculus"]
    assert search(catalogue, q="Maths for university") == ["calculus"]
    assert search(catalogue, q="the maths") == ["maths", "calculus"]
    assert search(catalogue, q="maths -calculus") == ["maths"]  # operators: as typed


def test_a_title_match_outranks_a_better_tutor_mentioning_it_in_passing(catalogue):
    # Theo's quality (4.4) beats Fay's (4.0), but "calculus" is Fay's gig's title.
    found = listing_search(q="calculus")
    assert names(catalogue, found) == ["calculus", "chemistry"]
    assert found.results[0].score > found.results[1].score


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subject": "mathematics"}, ["maths", "calculus"]),
        ({"level": "university"}, ["calculus"]),
        ({"language": "fr"}, ["calculus"]),
        ({"language": "DE"}, ["physics"]),
        ({"currency": "eur"}, ["physics"]),
        ({"currency": "GBP", "price_min": "35", "price_max": "50"}, ["chemistry"]),
        ({"currency": "GBP", "price_max": "30.00"}, ["maths"]),
        ({"currency": "GBP", "price_min": "55"}, ["calculus"]),
        ({"min_rating": "4.5"}, ["chemistry"]),
        ({"min_rating": "4"}, ["chemistry", "maths", "calculus"]),
        ({"verified_only": "true"}, ["physics"]),
        ({"verified_only": "false"}, ["chemistry", "physics", "maths", "calculus"]),
        ({"subject": "mathematics", "q": "calculus"}, ["calculus"]),
    ],
)
def test_each_filter(catalogue, params, expected):
    assert search(catalogue, **params) == expected


def test_availability_needs_a_free_window_long_enough_for_the_gig(catalogue):
    monday = next_weekday(0).isoformat()
    tuesday = next_weekday(1).isoformat()
    # Nina is free on Mondays (Berlin), Fay every day; Theo's hour is too short for 90 minutes.
    assert search(catalogue, available_from=monday, available_to=monday, tz="Europe/Berlin") == [
        "physics",
        "maths",
        "calculus",
    ]
    assert search(catalogue, available_from=tuesday, available_to=tuesday) == [
        "maths",
        "calculus",
    ]
    # Only 30 minutes of Nina's morning overlap: not enough for a 45-minute session.
    assert search(
        catalogue,
        available_from=f"{monday}T11:30",
        available_to=f"{monday}T14:00",
        tz="Europe/Berlin",
    ) == ["maths", "calculus"]
    assert search(
        catalogue,
        available_from=f"{monday}T11:00",
        available_to=f"{monday}T14:00",
        tz="Europe/Berlin",
    ) == ["physics", "maths", "calculus"]


def test_dates_are_read_in_the_zone_given(catalogue):
    monday = next_weekday(0)
    # Nina's Monday 09:00-12:00 in Berlin starts on Sunday evening in Honolulu.
    sunday = (monday - dt.timedelta(days=1)).isoformat()
    assert "physics" in search(
        catalogue, available_from=sunday, available_to=sunday, tz="Pacific/Honolulu"
    )
    assert "physics" not in search(
        catalogue, available_from=sunday, available_to=sunday, tz="Europe/Berlin"
    )


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("relevance", ["chemistry", "physics", "maths", "calculus"]),
        ("price_asc", ["physics", "maths", "chemistry", "calculus"]),
        ("price_desc", ["calculus", "chemistry", "maths", "physics"]),
        ("rating", ["chemistry", "maths", "calculus", "physics"]),
    ],
)
def test_each_sort(catalogue, sort, expected):
    assert search(catalogue, sort=sort) == expected


def test_soonest_puts_the_first_free_tutor_first(catalogue):
    found = listing_search(sort="soonest")
    times = [listing.next_free_at for listing in found.results]
    assert None not in times
    assert times == sorted(times)
    # Fay's two gigs share her first free time (then the better tutor, then the older gig).
    order = names(catalogue, found)
    assert order.index("calculus") == order.index("maths") + 1


def test_pages(catalogue):
    first = listing_search(per_page=3)
    assert (first.total, first.pages, first.has_next, first.has_previous) == (4, 2, True, False)
    second = listing_search(per_page=3, page=2)
    assert names(catalogue, second) == ["calculus"]
    assert (second.total, second.has_next, second.next_page, second.previous_page) == (
        4,
        False,
        None,
        1,
    )
    beyond = listing_search(per_page=3, page=5)
    assert beyond.results == []
    assert beyond.total == 4


def test_the_count_stops_at_the_cap(catalogue, monkeypatch):
    monkeypatch.setattr("listings.selectors.COUNT_CAP", 3)
    found = listing_search(per_page=2)
    assert (found.total, found.total_exact, found.pages) == (3, False, 2)
    monkeypatch.setattr("listings.selectors.COUNT_CAP", 4)
    assert listing_search(per_page=2).total_exact is True


def test_broad_words_rank_the_matches_of_the_best_tutors(catalogue, monkeypatch):
    monkeypatch.setattr("listings.selectors.COUNT_CAP", 2)
    found = listing_search(q="mathematics or physics or chemistry")
    # Theo (4.4) and Nina (4.3) are the best tutors; Fay's maths gigs are left out.
    assert sorted(names(catalogue, found)) == ["chemistry", "physics"]
    assert (found.total, found.total_exact) == (2, False)


def _statements(context) -> list[str]:
    """The queries run, without django-tenants' ``SET search_path`` before each."""
    return [q["sql"] for q in context.captured_queries if not q["sql"].startswith("SET ")]


def test_a_search_costs_two_queries_whatever_it_finds(catalogue):
    with CaptureQueriesContext(connection) as broad:
        found = listing_search(
            q="maths or physics or chemistry",
            available_from=timezone.now(),
            available_to=timezone.now() + dt.timedelta(days=30),
            per_page=1,
        )
        for listing in found.results:
            assert listing.tutor.display_name
    assert len(_statements(broad)) == 2
    with CaptureQueriesContext(connection) as filtered:
        found = listing_search(sort="rating", language="en", currency="GBP", per_page=50)
        for listing in found.results:
            assert listing.tutor.display_name
    assert len(_statements(filtered)) == 2


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"price_min": "10"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "GBP", "price_min": "10.555"}, "price_min"),
        ({"currency": "JPY", "price_max": "10.5"}, "price_max"),
        ({"currency": "GBP", "price_min": "50", "price_max": "10"}, "price_max"),
        ({"currency": "GBP", "price_min": "-1"}, "price_min"),
        ({"price_min": "lots", "currency": "GBP"}, "price_min"),
        ({"min_rating": "6"}, "min_rating"),
        ({"min_rating": "NaN"}, "min_rating"),
        ({"language": "xx"}, "language"),
        ({"language": "english"}, "language"),
        ({"level": "phd"}, "level"),
        ({"sort": "cheapest"}, "sort"),
        ({"subject": "maths and more!"}, "subject"),
        ({"page": "0"}, "page"),
        ({"page_size": "500"}, "page_size"),
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"available_from": "next tuesday"}, "available_from"),
        ({"available_from": "9999-12-31"}, "available_from"),
        ({"available_from": "2030-05-02", "available_to": "2030-05-01"}, "available_to"),
        (
            {"available_from": "2030-05-01T10:00", "available_to": "2030-05-01T10:00"},
            "available_to",
        ),
        ({"available_from": "2030-05-01", "available_to": "2030-07-15"}, "available_to"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00byte"}, "q"),
    ],
)
def test_bad_input_is_named(params, field):
    assert field in errors(**params)


def test_a_day_range_may_be_one_day_and_up_to_sixty(db):
    form = ListingSearchForm({"available_from": "2030-05-01", "available_to": "2030-05-01"})
    assert form.is_valid(), form.errors
    start, end = form.cleaned_data["available_from"], form.cleaned_data["available_to"]
    assert end - start == dt.timedelta(days=1)
    form = ListingSearchForm({"available_from": "2030-05-01", "available_to": "2030-06-29"})
    assert form.is_valid(), form.errors


def test_an_offset_wins_over_the_zone(db):
    form = ListingSearchForm({"available_from": "2030-05-01T09:00+02:00", "tz": "America/New_York"})
    assert form.is_valid(), form.errors
    start = form.cleaned_data["available_from"]
    assert start == dt.datetime(2030, 5, 1, 7, tzinfo=dt.UTC)
    assert form.cleaned_data["available_to"] - start == dt.timedelta(days=7)
