"""Review moderation through the API on the root domain (platform staff only): every
listed review with filters, hiding one with a required reason, restoring it.

Ids are those of the listed copies (``ListedReview``). Anyone but platform staff gets a
403; hiding without a reason is a 400; hiding a hidden review or restoring a visible one
is a 409.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsPlatformStaff
from listings.models import ListedReview
from listings.selectors_moderation import (
    MODERATION_STATES,
    listed_review_get,
    listed_review_search,
)
from listings.services_moderation import REASON_MAX, review_hide, review_restore

REFUSED = OpenApiResponse(description="Only platform staff.")
NOT_FOUND = OpenApiResponse(description="No such listed review.")


def _listed(pk: int) -> ListedReview:
    listed = listed_review_get(pk)
    if listed is None:
        raise Http404
    return listed


# Output ------------------------------------------------------------------------------------


class ListedTutorOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="Listed tutor id.")
    name = serializers.CharField(source="display_name")


class ListedTenantOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()


class ListedReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    review_id = serializers.IntegerField(help_text="The review's id in its tenant.")
    tenant = ListedTenantOutput()
    tutor = ListedTutorOutput()
    gig_title = serializers.CharField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField()
    author_name = serializers.CharField()
    reply = serializers.CharField()
    replied_at = serializers.DateTimeField(allow_null=True)
    hidden = serializers.SerializerMethodField()
    hidden_at = serializers.DateTimeField(allow_null=True)
    hidden_reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_hidden(self, listed) -> bool:
        return listed.hidden_at is not None


# Views -------------------------------------------------------------------------------------


class ConsoleReviewListView(APIView):
    permission_classes = [IsPlatformStaff]

    class FilterSerializer(serializers.Serializer):
        state = serializers.ChoiceField(choices=MODERATION_STATES, required=False)
        rating = serializers.IntegerField(required=False, min_value=1, max_value=5)
        q = serializers.CharField(required=False, allow_blank=True, max_length=100)
        tenant = serializers.SlugField(required=False, max_length=40)

    @extend_schema(
        operation_id="console_reviews_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("state", OpenApiTypes.STR, enum=list(MODERATION_STATES)),
            OpenApiParameter("rating", OpenApiTypes.INT, description="Stars, 1 to 5."),
            OpenApiParameter(
                "q", OpenApiTypes.STR, description="Text, reply, author, tutor or gig."
            ),
            OpenApiParameter("tenant", OpenApiTypes.STR, description="A tenant's slug."),
        ],
        responses={200: paginated(ListedReviewOutput), 403: REFUSED},
        description="Every listed review, hidden ones included, newest first.",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        values = filters.validated_data
        return paginated_response(
            request=request,
            view=self,
            queryset=listed_review_search(
                state=values.get("state", ""),
                rating=values.get("rating"),
                search=values.get("q", ""),
                tenant=values.get("tenant", ""),
            ),
            output=ListedReviewOutput,
        )


class ConsoleReviewHideView(APIView):
    permission_classes = [IsPlatformStaff]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=REASON_MAX, help_text="Why: told to the author and the tutor."
        )

    @extend_schema(
        operation_id="console_review_hide",
        request=InputSerializer,
        responses={
            200: ListedReviewOutput,
            400: OpenApiResponse(description="No reason, or too long."),
            403: REFUSED,
            404: NOT_FOUND,
            409: OpenApiResponse(description="Already hidden."),
        },
        description="Hide a review that breaks the rules: it leaves the tutor's page and "
        "ratings; its author and tutor are told why.",
    )
    def post(self, request, pk: int):
        listed = _listed(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        listed = review_hide(
            staff=request.user, listed=listed, request=request, **data.validated_data
        )
        return Response(ListedReviewOutput(_listed(listed.pk)).data)


class ConsoleReviewRestoreView(APIView):
    permission_classes = [IsPlatformStaff]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=REASON_MAX,
            required=False,
            allow_blank=True,
            help_text="Optional note, kept in the audit log and told to both sides.",
        )

    @extend_schema(
        operation_id="console_review_restore",
        request=InputSerializer,
        responses={
            200: ListedReviewOutput,
            403: REFUSED,
            404: NOT_FOUND,
            409: OpenApiResponse(description="Not hidden."),
        },
        description="Show a hidden review again; it counts in the ratings again.",
    )
    def post(self, request, pk: int):
        listed = _listed(pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        listed = review_restore(
            staff=request.user, listed=listed, request=request, **data.validated_data
        )
        return Response(ListedReviewOutput(_listed(listed.pk)).data)


urlpatterns = [
    path("console/reviews/", ConsoleReviewListView.as_view(), name="console_reviews"),
    path(
        "console/reviews/<int:pk>/hide/",
        ConsoleReviewHideView.as_view(),
        name="console_review_hide",
    ),
    path(
        "console/reviews/<int:pk>/restore/",
        ConsoleReviewRestoreView.as_view(),
        name="console_review_restore",
    ),
]
