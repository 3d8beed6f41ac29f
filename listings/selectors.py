"""Searching the marketplace: published gigs from the public listing index.

Anyone may search (the index holds only what tutors publish), so these selectors take no
viewer. A search costs two queries whatever the page: a count (or, ranking words, the ids
of the matches) and the page of listings with their tutor.

Relevance. With words, a listing must match ``websearch_to_tsquery('english', q)`` (so
quotes, ``or`` and ``-word`` work as on web search engines) and is ranked by
``ts_rank(search, query) * (1 + quality)``: the text decides (a match in the title or
subject, weight A, outranks one in the description, weight C, five to one), and the
tutor's ``quality`` (Bayesian rating plus badge, about 1 to 5.3; see
``listings.indexing``) moves equally good matches by up to a few tens of per cent.
Without words, relevance is ``quality`` alone.

Counting. Counting every match of a broad search over 100,000 listings costs more than
the page itself, and nobody pages through thousands of results; the count stops at
``COUNT_CAP`` (``SearchPage.total_exact`` is False then, and pages say "more than
500"), which also bounds how deep a page can be asked for (page 25 at 20 a page).

Broad words. Ranking costs a ``ts_rank`` per match: 80 ms for "mathematics", which
matches a third of 100,000 listings (``benchmarks/marketplace_search.py``). So the ids
of the matches are fetched first, best ``quality`` first and at most ``COUNT_CAP`` of
them, and only those are ranked by text. A narrower search (fewer matches than the cap)
is ranked in full; a broad one ranks the matches of the best tutors, which is what a
searcher wants first anyway: words that match thousands of gigs say little about which
one is meant.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.core.cache import cache
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from listings.models import SEARCH_CONFIG, FreeWindow, Listing

__all__ = [
    "COUNT_CAP",
    "SORTS",
    "SearchPage",
    "listing_search",
    "listing_showcase",
    "subject_chips",
]

SORTS = {
    "relevance": "Best match",
    "price_asc": "Price, lowest first",
    "price_desc": "Price, highest first",
    "rating": "Highest rated",
    "soonest": "Available soonest",
}
COUNT_CAP = 500
MAX_PER_PAGE = 50
MINUTE = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SearchPage:
    """One page of results; ``total`` is exact unless there are more than ``COUNT_CAP``."""

    results: list[Listing] = field(default_factory=list)
    total: int = 0
    total_exact: bool = True
    page: int = 1
    per_page: int = 20

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def next_page(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def previous_page(self) -> int | None:
        return self.page - 1 if self.has_previous else None

    @property
    def first_index(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.results else 0


def _free_between(start: dt.datetime, end: dt.datetime):
    """A free window of the listing's tutor with room for its duration inside [start, end)."""
    room = ExpressionWrapper(
        Least(F("ends_at"), Value(end)) - Greatest(F("starts_at"), Value(start)),
        output_field=DurationField(),
    )
    needed = ExpressionWrapper(OuterRef("duration_minutes") * Value(MINUTE), DurationField())
    return Exists(
        FreeWindow.objects.filter(
            tutor_id=OuterRef("tutor_id"), starts_at__lt=end, ends_at__gt=start
        )
        .annotate(room=room)
        .filter(room__gte=needed)
    )


def _filtered(
    *,
    subject: str,
    level: str,
    price_min: int | None,
    price_max: int | None,
    currency: str,
    min_rating: Decimal | None,
    available_from: dt.datetime | None,
    available_to: dt.datetime | None,
    language: str,
    verified_only: bool,
) -> QuerySet[Listing]:
    listings = Listing.objects.all()
    if subject:
        listings = listings.filter(subject_slug=subject)
    if level:
        listings = listings.filter(level=level)
    if currency:
        listings = listings.filter(currency=currency)
    if price_min is not None or price_max is not None:
        if not currency:
            raise ValueError("A price bound needs a currency.")
        if price_min is not None:
            listings = listings.filter(price_minor__gte=price_min)
        if price_max is not None:
            listings = listings.filter(price_minor__lte=price_max)
    if min_rating is not None:
        listings = listings.filter(rating_average__gte=min_rating)
    if language:
        listings = listings.filter(languages__contains=[language])
    if verified_only:
        listings = listings.filter(verified=True)
    if available_from is not None or available_to is not None:
        start = available_from or timezone.now()
        end = available_to or start + dt.timedelta(days=7)
        listings = listings.filter(_free_between(start, end))
    return listings


# Orders matching the indexes on Listing, so a page is read from an index, not a sort of
# every match (rating and price_asc need the two indexes the benchmark prototypes, see
# PROPOSED_INDEXES there). Relevance with words is ranked apart (see listing_search).
ORDERINGS = {
    "relevance": ("-quality", "id"),
    "price_asc": ("price_minor", "id"),
    "price_desc": ("-price_minor", "-id"),
    "rating": (F("rating_average").desc(nulls_last=True), "-rating_count", "id"),
    "soonest": (F("next_free_at").asc(nulls_last=True), "id"),
}
# Words people type for a subject whose name stems differently ("maths" is not
# "mathematics" to the English stemmer). Applied to plain words only: a query using
# quotes, "or" or "-" is taken exactly as typed.
SYNONYMS = {
    "maths": "mathematics",
    "math": "mathematics",
    "stats": "statistics",
    "bio": "biology",
    "chem": "chemistry",
    "econ": "economics",
    "coding": "computer science",
    "programming": "computer science",
}
OPERATORS = re.compile(r'"|(^|\s)-|\bor\b', re.IGNORECASE)


def _text_query(q: str) -> SearchQuery:
    """``websearch_to_tsquery('english', q)``, a synonym also matching where one applies."""
    words = q.split()
    known = [word for word in words if word.lower() in SYNONYMS]
    if OPERATORS.search(q) or not known:
        return SearchQuery(q, search_type="websearch", config=SEARCH_CONFIG)
    rest = " ".join(word for word in words if word.lower() not in SYNONYMS)
    query = SearchQuery(rest, search_type="websearch", config=SEARCH_CONFIG) if rest else None
    for word in known:
        either = SearchQuery(word, config=SEARCH_CONFIG) | SearchQuery(
            SYNONYMS[word.lower()], search_type="phrase", config=SEARCH_CONFIG
        )
        query = either if query is None else query & either
    return query


def listing_search(
    *,
    q: str = "",
    subject: str = "",
    level: str = "",
    price_min: int | None = None,
    price_max: int | None = None,
    currency: str = "",
    min_rating: Decimal | None = None,
    available_from: dt.datetime | None = None,
    available_to: dt.datetime | None = None,
    language: str = "",
    verified_only: bool = False,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 20,
) -> SearchPage:
    """Published gigs matching the words and filters, one page of them (see module doc).

    Inputs are expected validated (``listings.forms.ListingSearchForm``); prices are minor
    units of ``currency``, which a price bound requires. The availability range keeps gigs
    whose tutor has a free window overlapping [from, to) long enough for the gig.
    """
    if sort not in SORTS:
        raise ValueError(f"Unknown sort {sort!r}")
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, math.ceil(COUNT_CAP / per_page)))
    q = q.strip()
    listings = _filtered(
        subject=subject,
        level=level,
        price_min=price_min,
        price_max=price_max,
        currency=currency,
        min_rating=min_rating,
        available_from=available_from,
        available_to=available_to,
        language=language,
        verified_only=verified_only,
    )
    offset = (page - 1) * per_page
    query = _text_query(q) if q else None
    if query is not None:
        listings = listings.filter(search=query)
    if query is not None and sort == "relevance":
        # The matches of the best tutors (all of them when fewer than the cap), then
        # the page ranked among those: ts_rank runs on at most COUNT_CAP rows.
        # One id more than the cap tells whether there are more.
        matches = listings.order_by(*ORDERINGS["relevance"]).values_list("id", flat=True)
        ids = list(matches[: COUNT_CAP + 1])
        total = len(ids)
        ids = ids[:COUNT_CAP]
        score = ExpressionWrapper(
            SearchRank(F("search"), query) * (Value(1.0) + F("quality")),
            output_field=FloatField(),
        )
        # One array parameter, not hundreds of placeholders (costly to bind client-side).
        among = RawSQL("SELECT unnest(%s::bigint[])", [ids])
        ranked = Listing.objects.filter(id__in=among).annotate(score=score)
        ranked = ranked.order_by("-score", *ORDERINGS["relevance"])
        page_ids = ranked.values("id")[offset : offset + per_page]
        listings = ranked.filter(id__in=page_ids)
    else:
        total = listings.order_by()[: COUNT_CAP + 1].count()
        listings = listings.order_by(*ORDERINGS[sort])[offset : offset + per_page]
    results = list(listings.select_related("tutor").defer("search"))
    return SearchPage(
        results=results,
        total=min(total, COUNT_CAP),
        total_exact=total <= COUNT_CAP,
        page=page,
        per_page=per_page,
    )


def listing_showcase(*, sort: str, limit: int = 6) -> list[Listing]:
    """A few listings for the marketplace's home page: ``rating`` or ``soonest``."""
    listings = Listing.objects.select_related("tutor")
    if sort == "rating":
        listings = listings.filter(rating_count__gt=0).order_by("-quality", "id")
    elif sort == "soonest":
        listings = listings.filter(next_free_at__gt=timezone.now()).order_by(
            "next_free_at", "-quality", "id"
        )
    else:
        raise ValueError(f"Unknown showcase {sort!r}")
    return list(listings[:limit])


SUBJECT_CHIPS_KEY = "listings:subject-chips"


def subject_chips(*, limit: int = 12) -> list[dict]:
    """The subjects with the most listings, ``[{"slug", "name", "count"}]``.

    Cached for five minutes: it groups the whole index, and a new subject appearing a few
    minutes late on the home page harms nobody.
    """
    key = f"{SUBJECT_CHIPS_KEY}:{limit}"
    chips = cache.get(key)
    if chips is None:
        chips = list(
            Listing.objects.values("subject_slug", "subject_name")
            .annotate(count=Count("id"))
            .order_by("-count", "subject_name")[:limit]
        )
        chips = [
            {"slug": row["subject_slug"], "name": row["subject_name"], "count": row["count"]}
            for row in chips
        ]
        cache.set(key, chips, 5 * 60)
    return chips
