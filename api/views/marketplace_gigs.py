"""Gigs through the API on a tenant's host, and the agency's marketplace listing.

A tutor lists, posts, edits, publishes, pauses and deletes their own gigs; the agency's
owners and admins list every tutor's and may pause one. Anyone else is refused (403), and a
gig the caller may not see is a 404. Creating or publishing while the agency does not list
itself on the marketplace is a 409, as is deleting a gig that was booked.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantManager, IsTenantMember
from crm.currencies import ISO_4217_CODES
from crm.models import MAX_HOURLY_RATE_MINOR, Difficulty, Level
from marketplace.models import Gig
from marketplace.selectors import gigs as selectors
from marketplace.services import gigs as services
from marketplace.services.settings import marketplace_listing_set
from scheduling.services.bookings import DURATIONS
from tenants.models import Tenant

MAX_ID = 2**31 - 1
REFUSED = OpenApiResponse(description="Only tutors and the tenant's owners and admins.")
NOT_FOUND = OpenApiResponse(description="No such gig, or not one the caller may see.")


class IsGigViewer(IsTenantMember):
    message = "Only tutors and the tenant's owners and admins have gigs here."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request._request, "membership", None)
        return membership is not None and selectors.gig_viewer_is(membership)


def _viewer(request) -> Membership:
    return request._request.membership


def _gig(request, pk: int) -> Gig:
    gig = selectors.gig_get(viewer=_viewer(request), pk=pk)
    if gig is None:
        raise Http404
    return gig


def _fresh(request, gig: Gig) -> Gig:
    """The gig as the list shows it (packages and ``has_bookings`` included)."""
    return _gig(request, gig.pk)


# Input -------------------------------------------------------------------------------------


class PackageInput(serializers.Serializer):
    sessions = serializers.IntegerField(
        min_value=services.PACKAGE_SESSIONS[0],
        max_value=services.PACKAGE_SESSIONS[1],
        help_text="Weekly sessions booked together.",
    )
    price_minor = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="Total price in minor units; at most `sessions` times the single price.",
    )


class GigInput(serializers.Serializer):
    title = serializers.CharField(max_length=services.TITLE_MAX)
    subject_id = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="A subject the tutor teaches at `level`."
    )
    level = serializers.ChoiceField(choices=Level.choices)
    difficulty = serializers.ChoiceField(
        choices=[("", "Any"), *Difficulty.choices], required=False, allow_blank=True
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=20),
        min_length=1,
        max_length=services.LANGUAGES_MAX,
        help_text="ISO 639-1 codes, like en or fr.",
    )
    description = serializers.CharField(
        max_length=services.DESCRIPTION_MAX,
        required=False,
        allow_blank=True,
        help_text="Needed before the gig can be published.",
    )
    price_minor = serializers.IntegerField(
        min_value=1, max_value=MAX_HOURLY_RATE_MINOR, help_text="Price of one session."
    )
    currency = serializers.ChoiceField(
        choices=sorted(ISO_4217_CODES), help_text="ISO 4217 code in capitals."
    )
    duration_minutes = serializers.ChoiceField(choices=DURATIONS)
    packages = serializers.ListField(
        child=PackageInput(),
        required=False,
        max_length=services.PACKAGES_MAX,
        help_text="Up to four packages of distinct session counts; on PATCH, replaces all.",
    )


# Output ------------------------------------------------------------------------------------


class PackageOutput(serializers.Serializer):
    id = serializers.IntegerField()
    sessions = serializers.IntegerField()
    price_minor = serializers.IntegerField()


class GigTutorOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class GigSubjectOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class GigOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Gig.Status.choices)
    tutor = GigTutorOutput()
    subject = GigSubjectOutput()
    level = serializers.ChoiceField(choices=Level.choices)
    difficulty = serializers.CharField(help_text="Empty when the gig names none.")
    languages = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    packages = PackageOutput(many=True, source="packages.all")
    has_bookings = serializers.BooleanField(help_text="A booked gig can be paused, not deleted.")
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ListingSettingsOutput(serializers.Serializer):
    listed = serializers.BooleanField(
        help_text="Whether the tenant's published gigs are on the marketplace."
    )
    always_listed = serializers.BooleanField(help_text="True for the marketplace tenant.")
    can_change = serializers.BooleanField(help_text="Whether the caller may change `listed`.")


# Views -------------------------------------------------------------------------------------


class GigListView(APIView):
    permission_classes = [IsGigViewer]

    class FilterSerializer(serializers.Serializer):
        tutor_id = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=MAX_ID,
            help_text="One tutor's gigs (owners and admins).",
        )
        status = serializers.ChoiceField(choices=Gig.Status.choices, required=False)

    @extend_schema(
        operation_id="marketplace_gigs_list",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(GigOutput), 403: REFUSED},
        description="A tutor's own gigs; for owners and admins, every tutor's. Newest first.",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        gigs = selectors.gig_list(viewer=_viewer(request), **filters.validated_data)
        return paginated_response(request=request, view=self, queryset=gigs, output=GigOutput)

    @extend_schema(
        operation_id="marketplace_gigs_create",
        request=GigInput,
        responses={
            201: GigOutput,
            400: OpenApiResponse(description="Bad input, with field errors."),
            403: OpenApiResponse(description="Only tutors post gigs."),
            409: OpenApiResponse(description="The agency does not list itself on the marketplace."),
        },
        description="Post a gig as a draft; publish it to show it on the marketplace.",
    )
    def post(self, request):
        data = GigInput(data=request.data)
        data.is_valid(raise_exception=True)
        gig = services.gig_create(actor=_viewer(request), request=request, **data.validated_data)
        return Response(GigOutput(_fresh(request, gig)).data, status=status.HTTP_201_CREATED)


class GigDetailView(APIView):
    permission_classes = [IsGigViewer]

    @extend_schema(
        operation_id="marketplace_gigs_retrieve",
        responses={200: GigOutput, 403: REFUSED, 404: NOT_FOUND},
    )
    def get(self, request, pk: int):
        return Response(GigOutput(_gig(request, pk)).data)

    @extend_schema(
        operation_id="marketplace_gigs_update",
        request=GigInput(partial=True),
        responses={
            200: GigOutput,
            400: OpenApiResponse(description="Bad input, with field errors."),
            403: OpenApiResponse(description="Only the gig's tutor edits it."),
            404: NOT_FOUND,
        },
        description="Change the fields given; `packages`, when given, replaces them all. "
        "A published gig stays on the marketplace with its new details.",
    )
    def patch(self, request, pk: int):
        gig = _gig(request, pk)
        data = GigInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        gig = services.gig_update(
            gig=gig, actor=_viewer(request), request=request, **data.validated_data
        )
        return Response(GigOutput(_fresh(request, gig)).data)

    @extend_schema(
        operation_id="marketplace_gigs_destroy",
        request=None,
        responses={
            204: None,
            403: OpenApiResponse(description="Only the gig's tutor deletes it."),
            404: NOT_FOUND,
            409: OpenApiResponse(description="The gig was booked: pause it instead."),
        },
    )
    def delete(self, request, pk: int):
        services.gig_delete(gig=_gig(request, pk), actor=_viewer(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GigPublishView(APIView):
    permission_classes = [IsGigViewer]

    @extend_schema(
        operation_id="marketplace_gigs_publish",
        request=None,
        responses={
            200: GigOutput,
            400: OpenApiResponse(
                description="Not complete, or no weekly availability (field `availability`)."
            ),
            403: OpenApiResponse(description="Only the gig's tutor publishes it."),
            404: NOT_FOUND,
            409: OpenApiResponse(description="The agency does not list itself on the marketplace."),
        },
        description="Show a draft or paused gig on the marketplace; a published one stays so.",
    )
    def post(self, request, pk: int):
        gig = services.gig_publish(gig=_gig(request, pk), actor=_viewer(request), request=request)
        return Response(GigOutput(_fresh(request, gig)).data)


class GigPauseView(APIView):
    permission_classes = [IsGigViewer]

    @extend_schema(
        operation_id="marketplace_gigs_pause",
        request=None,
        responses={
            200: GigOutput,
            403: REFUSED,
            404: NOT_FOUND,
            409: OpenApiResponse(description="A draft cannot be paused."),
        },
        description="Take a published gig off the marketplace (its tutor, or an owner or "
        "admin, who tells the tutor); a paused one stays so.",
    )
    def post(self, request, pk: int):
        gig = services.gig_pause(gig=_gig(request, pk), actor=_viewer(request), request=request)
        return Response(GigOutput(_fresh(request, gig)).data)


class ListingSettingsView(APIView):
    permission_classes = [IsGigViewer]

    class InputSerializer(serializers.Serializer):
        listed = serializers.BooleanField()

    def get_permissions(self):
        if self.request.method == "PUT":
            return [IsTenantManager()]
        return super().get_permissions()

    def _body(self, request) -> dict:
        viewer = _viewer(request)
        tenant = viewer.tenant
        always = tenant.kind != Tenant.Kind.AGENCY
        return {
            "listed": selectors.marketplace_listing_on(tenant),
            "always_listed": always,
            "can_change": viewer.is_manager and not always,
        }

    @extend_schema(
        operation_id="marketplace_settings_retrieve",
        responses={200: ListingSettingsOutput, 403: REFUSED},
        description="Whether the tenant lists its tutors' published gigs on the marketplace.",
    )
    def get(self, request):
        return Response(ListingSettingsOutput(self._body(request)).data)

    @extend_schema(
        operation_id="marketplace_settings_update",
        request=InputSerializer,
        responses={
            200: ListingSettingsOutput,
            403: OpenApiResponse(description="Only the agency's owners and admins."),
            409: OpenApiResponse(description="The marketplace tenant is always listed."),
        },
        description="List (or stop listing) the agency's published gigs on the marketplace.",
    )
    def put(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marketplace_listing_set(
            actor=_viewer(request), request=request, listed=data.validated_data["listed"]
        )
        return Response(ListingSettingsOutput(self._body(request)).data)


urlpatterns = [
    path("marketplace/gigs/", GigListView.as_view(), name="marketplace_gigs"),
    path("marketplace/gigs/<int:pk>/", GigDetailView.as_view(), name="marketplace_gig"),
    path(
        "marketplace/gigs/<int:pk>/publish/",
        GigPublishView.as_view(),
        name="marketplace_gig_publish",
    ),
    path("marketplace/gigs/<int:pk>/pause/", GigPauseView.as_view(), name="marketplace_gig_pause"),
    path("marketplace/settings/", ListingSettingsView.as_view(), name="marketplace_settings"),
]
