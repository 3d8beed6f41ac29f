"""The marketplace on the root domain's API: a gig with its free times, a tutor's page,
and booking a gig.

Anyone may read a listing or a tutor (a listing no longer on the marketplace is a 404).
Times are answered in ``tz``, else the signed-in user's zone, else UTC; a listing's free
times are computed live in the gig's tenant for ``from``..``to`` (dates in that zone, two
weeks by default). Booking needs a root-domain token; the booking lands in the gig's
tenant (``marketplace.services.booking.gig_book``), whose refusals keep their status:
400 with field errors (``student.date_of_birth``, ``starts_at`` when the slot was just
taken...), 403 for an access the agency ended, 409 for a gig no longer on offer or a
role already held there.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PAGE_PARAMETERS, PageNumberPagination, paginated
from api.permissions import OnPublicHost
from api.views.scheduling_common import AwareDateTimeField
from listings.models import Listing
from listings.selectors_pages import (
    FURTHEST_AHEAD,
    SLOT_DAYS,
    gig_slots,
    listing_get,
    package_rows,
    tutor_free_windows,
    tutor_listing_get,
    tutor_listings,
    tutor_reviews,
    zone_named,
)
from marketplace.services.booking import gig_book

MAX_RANGE_DAYS = 62
NOT_LISTED = OpenApiResponse(description="Not on the marketplace (or no longer).")
UTC = zoneinfo.ZoneInfo("UTC")


def _zone(request, name: str | None) -> zoneinfo.ZoneInfo:
    if name:
        return zoneinfo.ZoneInfo(name)
    if request.user.is_authenticated:
        return zone_named(request.user.time_zone) or UTC
    return UTC


def _at(value: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str | None:
    """An instant in ``zone``, as text: DRF would otherwise render it in the active zone."""
    return value.astimezone(zone).isoformat() if value is not None else None


def _zone_validate(value: str) -> str:
    if zone_named(value) is None:
        raise serializers.ValidationError("Use an IANA time zone name, like Europe/London.")
    return value


class MarketplaceZoneQuery(serializers.Serializer):
    tz = serializers.CharField(
        max_length=64,
        required=False,
        help_text="IANA zone of the times returned; default: your account's, else UTC.",
    )

    def validate_tz(self, value: str) -> str:
        return _zone_validate(value)


def _range_validate(self, attrs: dict) -> dict:
    first, last = attrs.get("from"), attrs.get("to")
    if first is not None and last is not None and last < first:
        raise serializers.ValidationError({"to": ["The end cannot be before the start."]})
    return attrs


# Built with type(): "from" is a Python keyword but the parameter's name.
MarketplaceListingQuery = type(
    "MarketplaceListingQuery",
    (MarketplaceZoneQuery,),
    {
        "from": serializers.DateField(
            required=False,
            help_text="First date in ``tz``; default today (earlier dates mean today, and no tutor "
            "books more than two years ahead).",
        ),
        "to": serializers.DateField(
            required=False,
            help_text=f"Last date (inclusive) in ``tz``; default {SLOT_DAYS} days from "
            f"``from``, at most {MAX_RANGE_DAYS}.",
        ),
        "validate": _range_validate,
    },
)


# Output ------------------------------------------------------------------------------------


class MarketplaceListingTutorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    headline = serializers.CharField()
    verified = serializers.BooleanField()
    rating_average = serializers.DecimalField(
        max_digits=3, decimal_places=2, allow_null=True, coerce_to_string=False
    )
    rating_count = serializers.IntegerField()


class MarketplacePackageOutput(serializers.Serializer):
    sessions = serializers.IntegerField()
    price_minor = serializers.IntegerField(help_text="The package's total.")
    per_session_minor = serializers.IntegerField(
        help_text="What each session costs: the total shared out, rounded half up."
    )


class MarketplaceSlotOutput(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class MarketplaceListingSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    subject_slug = serializers.CharField()
    subject_name = serializers.CharField()
    level = serializers.CharField()
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    duration_minutes = serializers.IntegerField()


class MarketplaceListingDetailOutput(MarketplaceListingSummaryOutput):
    description = serializers.CharField()
    difficulty = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField(), help_text="ISO 639-1.")
    packages = MarketplacePackageOutput(many=True)
    tutor = MarketplaceListingTutorOutput()
    agency = serializers.CharField(help_text="The tenant the gig is booked with.")
    published_at = serializers.DateTimeField()
    bookable = serializers.BooleanField(
        help_text="False when the gig stopped taking bookings since it was indexed."
    )
    time_zone = serializers.CharField(help_text="The zone of the dates and of every time.")
    slots_from = serializers.DateField()
    slots_to = serializers.DateField()
    slots = MarketplaceSlotOutput(many=True, help_text="Free times for this gig's length.")


class MarketplaceRatingOutput(serializers.Serializer):
    average = serializers.DecimalField(
        max_digits=3, decimal_places=2, allow_null=True, coerce_to_string=False
    )
    count = serializers.IntegerField()
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text='Visible reviews per star, "1" to "5".'
    )


class MarketplaceSubjectOutput(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    level = serializers.CharField()


class MarketplaceReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    rating = serializers.IntegerField()
    text = serializers.CharField()
    author_name = serializers.CharField(help_text='First name and initial, as "Sam R.".')
    gig_title = serializers.CharField()
    reply = serializers.CharField(help_text="The tutor's reply (empty when none).")
    replied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class MarketplaceTutorDetailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")
    headline = serializers.CharField()
    bio = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    subjects = MarketplaceSubjectOutput(many=True)
    years_of_experience = serializers.IntegerField(allow_null=True)
    verified = serializers.BooleanField()
    rating = MarketplaceRatingOutput()
    next_free_at = serializers.DateTimeField(allow_null=True)
    free_windows = MarketplaceSlotOutput(many=True)
    gigs = MarketplaceListingSummaryOutput(many=True)
    reviews = paginated(MarketplaceReviewOutput)()
    time_zone = serializers.CharField()


# Booking input and output ------------------------------------------------------------------

MarketplaceStudentInput = type(
    "MarketplaceStudentInput",
    (serializers.Serializer,),
    {
        "__doc__": 'Who the class is for: "me" (the signed-in user) or "child".',
        "for": serializers.ChoiceField(choices=["me", "child"]),
        "first_name": serializers.CharField(
            max_length=150, required=False, allow_blank=True, help_text="The child's."
        ),
        "last_name": serializers.CharField(
            max_length=150, required=False, allow_blank=True, help_text="The child's."
        ),
        "date_of_birth": serializers.DateField(
            required=False,
            allow_null=True,
            help_text='The child\'s; for "me", yours when you have no student record with '
            "this agency yet.",
        ),
        "consent": serializers.BooleanField(
            required=False,
            default=False,
            help_text="For a child under 13: you, their parent or guardian, agree to the "
            "agency's consent statement.",
        ),
    },
)


class MarketplaceBookingInput(serializers.Serializer):
    starts_at = AwareDateTimeField(help_text="One of the listing's free times, with its offset.")
    package_sessions = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=2,
        max_value=52,
        help_text="Book one of the gig's packages (weekly sessions); empty: one session.",
    )
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, default="", trim_whitespace=True
    )
    student = MarketplaceStudentInput()


class MarketplaceBookedSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.CharField()
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()


class MarketplaceBookedTenantOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    url = serializers.CharField()


class MarketplaceBookingOutput(serializers.Serializer):
    tenant = MarketplaceBookedTenantOutput()
    role = serializers.CharField(help_text="Your role there: student, or parent for a child.")
    student_id = serializers.IntegerField()
    sessions = MarketplaceBookedSessionOutput(many=True)
    url = serializers.CharField(
        help_text="The (first) session's page on the tenant's site, where it is accepted "
        "and paid for."
    )


def _dotted(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as ``student.first_name`` keys, like the service's own."""
    flat: dict[str, list[str]] = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_dotted(value, f"{name}."))
        else:
            flat[name] = [str(message) for message in value]
    return flat


# Views -------------------------------------------------------------------------------------


def _listing_or_404(pk: int) -> Listing:
    listing = listing_get(pk=pk)
    if listing is None:
        raise Http404
    return listing


class ListingDetailView(APIView):
    permission_classes = [AllowAny, OnPublicHost]

    @extend_schema(
        operation_id="marketplace_listing",
        parameters=[MarketplaceListingQuery],
        responses={200: MarketplaceListingDetailOutput, 404: NOT_LISTED},
        description="A gig on the marketplace, with its free times computed now.",
    )
    def get(self, request, pk: int):
        listing = _listing_or_404(pk)
        query = MarketplaceListingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        zone = _zone(request, values.get("tz"))
        today = timezone.now().astimezone(zone).date()
        first = min(max(values.get("from") or today, today), today + FURTHEST_AHEAD)
        last = values.get("to") or first + dt.timedelta(days=SLOT_DAYS - 1)
        days = max((last - first).days + 1, 0)
        if days > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"to": [f"Ask for at most {MAX_RANGE_DAYS} days at once."]}
            )
        found = gig_slots(listing=listing, zone=zone, first_day=first, days=days)
        body = {
            **{
                name: getattr(listing, name)
                for name in (
                    "id",
                    "title",
                    "subject_slug",
                    "subject_name",
                    "level",
                    "price_minor",
                    "currency",
                    "duration_minutes",
                    "description",
                    "difficulty",
                    "languages",
                )
            },
            "packages": package_rows(listing),
            "tutor": listing.tutor,
            "agency": listing.tenant.name,
            "bookable": found.available,
            "time_zone": zone.key,
            "slots_from": first,
            "slots_to": last,
            "published_at": _at(listing.published_at, zone),
            "slots": [
                {"starts_at": _at(slot.starts_at, zone), "ends_at": _at(slot.ends_at, zone)}
                for day in found.days
                for slot in day.slots
            ],
        }
        return Response(MarketplaceListingDetailOutput(body).data)


class TutorDetailView(APIView):
    permission_classes = [AllowAny, OnPublicHost]

    @extend_schema(
        operation_id="marketplace_tutor",
        parameters=[MarketplaceZoneQuery, *PAGE_PARAMETERS],
        responses={200: MarketplaceTutorDetailOutput, 404: NOT_LISTED},
        description="A tutor on the marketplace: profile, gigs, ratings, next free times and "
        "one page of visible reviews (newest first; ``page``, ``page_size``).",
    )
    def get(self, request, pk: int):
        tutor = tutor_listing_get(pk=pk)
        if tutor is None:
            raise Http404
        query = MarketplaceZoneQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        zone = _zone(request, query.validated_data.get("tz"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(tutor_reviews(tutor=tutor), request, view=self)
        distribution = {
            str(stars): int((tutor.rating_distribution or {}).get(str(stars), 0) or 0)
            for stars in range(1, 6)
        }
        body = {
            "id": tutor.pk,
            "display_name": tutor.display_name,
            "headline": tutor.headline,
            "bio": tutor.bio,
            "languages": tutor.languages,
            "subjects": [s for s in tutor.subjects if isinstance(s, dict)],
            "years_of_experience": tutor.years_of_experience,
            "verified": tutor.verified,
            "rating": {
                "average": tutor.rating_average,
                "count": tutor.rating_count,
                "distribution": distribution,
            },
            "next_free_at": _at(tutor.next_free_at, zone),
            "free_windows": [
                {"starts_at": _at(w.starts_at, zone), "ends_at": _at(w.ends_at, zone)}
                for w in tutor_free_windows(tutor=tutor)
            ],
            "gigs": list(tutor_listings(tutor=tutor)),
            "reviews": {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "results": [
                    {
                        "id": review.pk,
                        "rating": review.rating,
                        "text": review.text,
                        "author_name": review.author_name,
                        "gig_title": review.gig_title,
                        "reply": review.reply,
                        "replied_at": _at(review.replied_at, zone),
                        "created_at": _at(review.created_at, zone),
                    }
                    for review in page
                ],
            },
            "time_zone": zone.key,
        }
        return Response(MarketplaceTutorDetailOutput(body).data)


class BookingCreateView(APIView):
    permission_classes = [IsAuthenticated, OnPublicHost]

    @extend_schema(
        operation_id="marketplace_booking_create",
        request=MarketplaceBookingInput,
        responses={
            201: MarketplaceBookingOutput,
            400: OpenApiResponse(description="Bad input, or the time is no longer free."),
            401: OpenApiResponse(description="Not signed in."),
            403: OpenApiResponse(description="Your access to this agency was ended."),
            404: NOT_LISTED,
            409: OpenApiResponse(
                description="The gig stopped taking bookings, or you hold another role there."
            ),
        },
        description="Book one of the listing's free times (or a package of weekly sessions "
        "from it) for yourself or your child. You become a student (or a parent) of the "
        "gig's agency if you are not yet; the tutor then accepts the request, and payment "
        "opens on the agency's site.",
    )
    def post(self, request, pk: int):
        listing = _listing_or_404(pk)
        data = MarketplaceBookingInput(data=request.data)
        if not data.is_valid():
            raise serializers.ValidationError(_dotted(data.errors))
        values = data.validated_data
        result = gig_book(
            user=request.user,
            listing=listing,
            starts_at=values["starts_at"],
            package_sessions=values.get("package_sessions"),
            message=values.get("message", ""),
            student=dict(values["student"]),
            request=request,
        )
        zone = _zone(request, None)
        body = {
            "tenant": {
                "slug": result.tenant.slug,
                "name": result.tenant.name,
                "url": result.tenant.absolute_url("/"),
            },
            "role": result.membership.role,
            "student_id": result.session.student_id,
            "sessions": [
                {
                    "id": session.pk,
                    "starts_at": _at(session.starts_at, zone),
                    "ends_at": _at(session.ends_at, zone),
                    "status": session.status,
                    "price_minor": session.price_minor,
                    "currency": session.currency,
                }
                for session in result.sessions
            ],
            "url": result.url,
        }
        return Response(MarketplaceBookingOutput(body).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("marketplace/listings/<int:pk>/", ListingDetailView.as_view(), name="marketplace_listing"),
    path(
        "marketplace/listings/<int:pk>/bookings/",
        BookingCreateView.as_view(),
        name="marketplace_booking_create",
    ),
    path("marketplace/tutors/<int:pk>/", TutorDetailView.as_view(), name="marketplace_tutor"),
]
