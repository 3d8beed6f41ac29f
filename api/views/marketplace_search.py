"""Searching the marketplace through the API (root domain, anyone, read-only).

The parameters are the search page's (``listings.forms.ListingSearchForm`` checks both):
bad input is a 400 with field errors. Prices are major units of ``currency`` (required
with a price bound) and come back in minor units; dates of the availability range are
read, and times answered, in ``tz``, else the signed-in user's zone, else UTC. The count
stops at 500 (``count_exact`` is then false), which also bounds how deep pages go.
"""

from __future__ import annotations

import zoneinfo

from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from api.pagination import paginated
from crm.models import Level
from listings.forms import MAX_RANGE_DAYS, ListingSearchForm
from listings.selectors import COUNT_CAP, MAX_PER_PAGE, SORTS, SearchPage, listing_search
from tenants.selectors import root_url

UTC = zoneinfo.ZoneInfo("UTC")


class MarketplaceSearchTutorOutput(serializers.Serializer):
    id = serializers.IntegerField(source="tutor_id")
    name = serializers.CharField(source="tutor_name")
    headline = serializers.CharField(source="tutor.headline")
    verified = serializers.BooleanField()
    rating_average = serializers.DecimalField(
        max_digits=3, decimal_places=2, allow_null=True, coerce_to_string=False
    )
    rating_count = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="The tutor's page.")

    def get_url(self, listing) -> str:
        return root_url(reverse("listings:tutor", args=[listing.tutor_id]))


class MarketplaceSearchPackageOutput(serializers.Serializer):
    sessions = serializers.IntegerField()
    price_minor = serializers.IntegerField(help_text="The package's total.")


class MarketplaceSearchListingOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    subject_slug = serializers.CharField()
    subject_name = serializers.CharField()
    level = serializers.CharField()
    difficulty = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField(), help_text="ISO 639-1.")
    price_minor = serializers.IntegerField(help_text="Per session, in minor units.")
    currency = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    packages = MarketplaceSearchPackageOutput(many=True)
    next_free_at = serializers.DateTimeField(
        allow_null=True, help_text="The tutor's first free time, as last indexed."
    )
    published_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="The gig's page.")
    tutor = MarketplaceSearchTutorOutput(source="*")

    def get_url(self, listing) -> str:
        return root_url(reverse("listings:gig", args=[listing.pk]))


def _parameter(name: str, kind, description: str, **extra) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=description, **extra)


SEARCH_PARAMETERS = [
    _parameter(
        "q", OpenApiTypes.STR, 'Words, as on web search engines ("exact phrase", or, -not).'
    ),
    _parameter("subject", OpenApiTypes.STR, "A subject's slug, like mathematics."),
    _parameter("level", OpenApiTypes.STR, "Level taught.", enum=Level.values),
    _parameter("currency", OpenApiTypes.STR, "ISO 4217 code; required with a price bound."),
    _parameter("price_min", OpenApiTypes.DECIMAL, "Lowest price a session, in major units."),
    _parameter("price_max", OpenApiTypes.DECIMAL, "Highest price a session, in major units."),
    _parameter("min_rating", OpenApiTypes.DECIMAL, "Lowest average rating, 1 to 5."),
    _parameter("language", OpenApiTypes.STR, "ISO 639-1 code of a language the gig is taught in."),
    _parameter(
        "available_from",
        OpenApiTypes.STR,
        "Start of the range the tutor must be free in (a date, or a date and time; in "
        "``tz`` unless it has an offset). Default: now.",
    ),
    _parameter(
        "available_to",
        OpenApiTypes.STR,
        "End of that range (a date alone means the end of that day); default a week after "
        f"the start, at most {MAX_RANGE_DAYS} days after it. A gig matches when its tutor "
        "has a free window in the range long enough for one session.",
    ),
    _parameter("verified_only", OpenApiTypes.BOOL, "Only tutors the platform verified."),
    _parameter("sort", OpenApiTypes.STR, "Order of the results.", enum=list(SORTS)),
    _parameter("page", OpenApiTypes.INT, "Page number, from 1."),
    _parameter(
        "page_size", OpenApiTypes.INT, f"Items per page (default 20, at most {MAX_PER_PAGE})."
    ),
    _parameter("tz", OpenApiTypes.STR, "IANA zone of the dates given and the times returned."),
]


def _zone(request, name: str) -> zoneinfo.ZoneInfo:
    if name:
        return zoneinfo.ZoneInfo(name)
    if request.user.is_authenticated:
        try:
            return zoneinfo.ZoneInfo(request.user.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return UTC
    return UTC


def _page_link(request, page: int | None) -> str | None:
    if page is None:
        return None
    url = request.build_absolute_uri()
    return replace_query_param(url, "page", page) if page > 1 else remove_query_param(url, "page")


class MarketplaceListingsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="marketplace_listings",
        parameters=SEARCH_PARAMETERS,
        responses={
            200: paginated(
                MarketplaceSearchListingOutput,
                count_exact=serializers.BooleanField(
                    help_text=f"False when the count stopped at {COUNT_CAP}."
                ),
                page=serializers.IntegerField(),
                pages=serializers.IntegerField(),
            )
        },
        description="Search published gigs of the marketplace: words, filters, sort, pages.",
    )
    def get(self, request):
        form = ListingSearchForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors.as_data())
        found: SearchPage = listing_search(**form.search_params())
        with timezone.override(_zone(request, form.cleaned_data.get("tz") or "")):
            results = MarketplaceSearchListingOutput(found.results, many=True).data
        return Response(
            {
                "count": found.total,
                "count_exact": found.total_exact,
                "page": found.page,
                "pages": found.pages,
                "next": _page_link(request, found.next_page),
                "previous": _page_link(request, found.previous_page),
                "results": results,
            }
        )


urlpatterns = [
    path(
        "marketplace/listings/",
        MarketplaceListingsView.as_view(),
        name="marketplace_listings",
    ),
]
