"""Reviews through the API on a tenant's host: reading them, reviewing a completed
session, and the tutor's reply.

Everyone here reads the visible reviews; a hidden one (and why) only its tutor, its
author and the agency's staff. Reviewing is for the session's student or a linked parent
(anyone else who may see the session: 403; a session one may not see: 404), once the
session is completed (else 409), once (a second review: 409). Replying is for the
reviewed tutor, once (a second reply: 409).
"""

from __future__ import annotations

import functools

from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from api.views.scheduling_common import session_or_404
from marketplace.selectors.reviews import (
    review_author_name,
    review_get,
    review_list,
    review_moderation_visible,
    reviewable_sessions,
)
from marketplace.services import reviews as services

MAX_ID = 2**31 - 1
NOT_FOUND = OpenApiResponse(description="No such session or review, or not one you may see.")


def _viewer(request) -> Membership:
    return request._request.membership


class StrictIntegerField(serializers.IntegerField):
    """A JSON number, not a string that looks like one."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


# Output ------------------------------------------------------------------------------------


class ReviewPersonOutput(serializers.Serializer):
    id = serializers.IntegerField(help_text="Profile id.")
    name = serializers.CharField(source="full_name")


class ReviewGigOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()


class ReviewOutput(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    subject = serializers.CharField(source="session.subject.name")
    tutor = ReviewPersonOutput()
    gig = ReviewGigOutput(allow_null=True, help_text="The gig the session was booked through.")
    author_name = serializers.SerializerMethodField(
        help_text="First name and initial, as the marketplace shows it."
    )
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField()
    reply = serializers.CharField(help_text="The tutor's reply; empty until they reply.")
    replied_at = serializers.DateTimeField(allow_null=True)
    hidden = serializers.SerializerMethodField(help_text="Hidden by the platform's moderators.")
    hidden_at = serializers.DateTimeField(
        allow_null=True, help_text="For its tutor, its author and the agency's staff."
    )
    hidden_reason = serializers.CharField(
        help_text="Why it was hidden: for its tutor, its author and the agency's staff."
    )
    created_at = serializers.DateTimeField()

    def get_author_name(self, review) -> str:
        return review_author_name(review.author)

    def get_hidden(self, review) -> bool:
        return review.hidden_at is not None

    def to_representation(self, review):
        data = super().to_representation(review)
        if not review_moderation_visible(viewer=self.context["viewer"], review=review):
            data["hidden_at"], data["hidden_reason"] = None, ""
        return data


class ReviewableSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subject = serializers.CharField(source="subject.name")
    tutor = ReviewPersonOutput()
    student = ReviewPersonOutput()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


def _render(request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    review = review_get(viewer=_viewer(request), pk=pk)
    return Response(ReviewOutput(review, context={"viewer": _viewer(request)}).data, status=code)


# Views -------------------------------------------------------------------------------------


class ReviewListView(APIView):
    permission_classes = [IsTenantMember]

    class FilterSerializer(serializers.Serializer):
        tutor = serializers.IntegerField(
            required=False, min_value=1, max_value=MAX_ID, help_text="Tutor profile id."
        )

    @extend_schema(
        operation_id="marketplace_reviews_list",
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("tutor", OpenApiTypes.INT, description="Only this tutor's."),
        ],
        responses={200: paginated(ReviewOutput)},
        description="The reviews you may see here, newest first: the visible ones, and the "
        "hidden ones of your own (as their tutor or author) or, for the agency's staff, all.",
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        viewer = _viewer(request)
        return paginated_response(
            request=request,
            view=self,
            queryset=review_list(viewer=viewer, tutor_id=filters.validated_data.get("tutor")),
            output=functools.partial(ReviewOutput, context={"viewer": viewer}),
        )


class ReviewableSessionListView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="marketplace_reviewable_sessions_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(ReviewableSessionOutput)},
        description="Completed sessions waiting for your review (as their student or a "
        "linked parent), most recent first.",
    )
    def get(self, request):
        return paginated_response(
            request=request,
            view=self,
            queryset=reviewable_sessions(viewer=_viewer(request)),
            output=ReviewableSessionOutput,
        )


class ReviewCreateView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        rating = StrictIntegerField(
            min_value=services.RATING_MIN,
            max_value=services.RATING_MAX,
            help_text="Stars, a whole number from 1 to 5.",
        )
        text = serializers.CharField(
            min_length=services.TEXT_MIN,
            max_length=services.TEXT_MAX,
            help_text="10 to 2000 characters, published with the author's first name and initial.",
        )

    @extend_schema(
        operation_id="marketplace_session_review_create",
        request=InputSerializer,
        responses={
            201: ReviewOutput,
            400: OpenApiResponse(description="A rating or text out of bounds."),
            403: OpenApiResponse(description="Not the session's student or a linked parent."),
            404: NOT_FOUND,
            409: OpenApiResponse(description="Not completed, or already reviewed."),
        },
        description="Review a completed session, once: its student or a linked parent. "
        "The tutor is told.",
    )
    def post(self, request, pk: int):
        session = session_or_404(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_create(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return _render(request, review.pk, status.HTTP_201_CREATED)


class ReviewReplyView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=services.REPLY_MAX)

    @extend_schema(
        operation_id="marketplace_review_reply",
        request=InputSerializer,
        responses={
            200: ReviewOutput,
            400: OpenApiResponse(description="Empty or too long."),
            403: OpenApiResponse(description="Not the reviewed tutor."),
            404: NOT_FOUND,
            409: OpenApiResponse(description="Already replied."),
        },
        description="Reply to a review of your class, once. The author is told.",
    )
    def post(self, request, pk: int):
        review = review_get(viewer=_viewer(request), pk=pk)
        if review is None:
            raise Http404
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.review_reply(
            actor=_viewer(request), review=review, request=request, **data.validated_data
        )
        return _render(request, review.pk)


urlpatterns = [
    path("marketplace/reviews/", ReviewListView.as_view(), name="marketplace_reviews"),
    path(
        "marketplace/reviews/reviewable-sessions/",
        ReviewableSessionListView.as_view(),
        name="marketplace_reviewable_sessions",
    ),
    path(
        "marketplace/reviews/<int:pk>/reply/",
        ReviewReplyView.as_view(),
        name="marketplace_review_reply",
    ),
    path(
        "marketplace/sessions/<int:pk>/review/",
        ReviewCreateView.as_view(),
        name="marketplace_session_review",
    ),
]
