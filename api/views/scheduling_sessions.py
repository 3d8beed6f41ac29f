"""Scheduling API: requesting a session, answering, cancelling, moving and no-shows.

Sessions are reached through ``session_get``, so one the caller may not see (or of
another tenant) is simply not found. Times are accepted as ISO 8601 with an offset
(a naive time is a field error) and returned in the viewer's zone: the ``tz`` query
parameter, else the user's ``time_zone``.
"""

from __future__ import annotations

import zoneinfo

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from api.views.scheduling_common import TZ_PARAMETER, AwareDateTimeField
from api.views.scheduling_common import request_zone as _zone
from api.views.scheduling_common import session_or_404 as _session
from api.views.scheduling_history import SessionSearchMixin
from crm.models import Level, StudentProfile, Subject, TutorProfile
from scheduling.models import Session, SessionChange
from scheduling.policy import policy_for
from scheduling.services import bookings

MAX_ID = 2**31 - 1


def _viewer(request) -> Membership:
    return request._request.membership


# Output ------------------------------------------------------------------------------------


class NamedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class SessionPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class ChangeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SessionChange.Kind.choices)
    party = serializers.ChoiceField(
        choices=SessionChange.Party.choices,
        help_text="Whose doing it was: who cancelled or moved it, or who did not attend.",
    )
    actor = SessionPersonOutput(allow_null=True, help_text="Who recorded it.")
    reason = serializers.CharField()
    previous_starts_at = serializers.DateTimeField()
    previous_ends_at = serializers.DateTimeField()
    new_starts_at = serializers.DateTimeField(allow_null=True)
    new_ends_at = serializers.DateTimeField(allow_null=True)
    notice_hours = serializers.DecimalField(
        max_digits=8, decimal_places=2, help_text="Hours between the change and the start."
    )
    within_free_window = serializers.BooleanField()
    fee_percent = serializers.IntegerField()
    fee_minor = serializers.IntegerField(help_text="Due from the student, in minor units.")
    refund_minor = serializers.IntegerField(help_text="To return if the session was paid.")
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()


class PolicyOutput(serializers.Serializer):
    request_expiry_hours = serializers.IntegerField()
    free_cancellation_hours = serializers.IntegerField()
    late_cancellation_fee_percent = serializers.IntegerField()
    no_show_fee_percent = serializers.IntegerField()
    max_reschedules = serializers.IntegerField()
    overridden = serializers.ListField(
        child=serializers.CharField(), help_text="Fields the tutor set instead of the agency."
    )


class SessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    tutor = SessionPersonOutput(help_text="The tutor's profile id and name.")
    student = SessionPersonOutput(help_text="The student's profile id and name.")
    subject = NamedOutput()
    series_id = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    duration_minutes = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField(help_text="The zone the times are shown in.")
    status = serializers.ChoiceField(choices=Session.Status.choices)
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    request_message = serializers.CharField()
    requested_by = SessionPersonOutput()
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When an unanswered request expires."
    )
    decided_at = serializers.DateTimeField(allow_null=True)
    decline_reason = serializers.CharField()
    reschedule_count = serializers.IntegerField()
    policy = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField(
        help_text="Cancellations, moves and no-shows with their policy outcome."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_duration_minutes(self, session: Session) -> int:
        return int(session.duration.total_seconds() // 60)

    def get_time_zone(self, session: Session) -> str:
        return timezone.get_current_timezone_name()

    @extend_schema_field(PolicyOutput)
    def get_policy(self, session: Session) -> dict:
        policy = policy_for(session.tutor)
        return PolicyOutput({**vars(policy), "overridden": sorted(policy.overridden)}).data

    @extend_schema_field(ChangeOutput(many=True))
    def get_changes(self, session: Session) -> list:
        changes = session.changes.select_related("actor").order_by("created_at", "id")
        return ChangeOutput(changes, many=True).data


def _render(
    request, session_id: int, zone: zoneinfo.ZoneInfo, code: int = status.HTTP_200_OK
) -> Response:
    """The session as the viewer now sees it, times in ``zone``."""
    session = _session(request, session_id)
    with timezone.override(zone):
        return Response(SessionOutput(session).data, status=code)


# Requests ----------------------------------------------------------------------------------


class SessionCollectionView(SessionSearchMixin, APIView):
    """/api/v1/scheduling/sessions/: ``POST`` requests a session; ``GET`` is the search
    (``api.views.scheduling_history``).
    """

    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        tutor = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, help_text="Tutor profile id."
        )
        student = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, help_text="Student profile id."
        )
        subject = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        starts_at = AwareDateTimeField(help_text="ISO 8601 with an offset; one of the free slots.")
        duration_minutes = serializers.ChoiceField(choices=bookings.DURATIONS)
        message = serializers.CharField(
            max_length=bookings.MESSAGE_LIMIT, required=False, allow_blank=True
        )
        level = serializers.ChoiceField(
            choices=Level.choices,
            required=False,
            allow_blank=True,
            help_text="The subject's level, when the tutor teaches it at several.",
        )

    @extend_schema(
        operation_id="scheduling_sessions_request",
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={201: SessionOutput},
        description=(
            "Request a session: the student themself, a linked parent for their child, or "
            "the agency's staff. With the tutor's instant booking it is confirmed at once; "
            "otherwise it waits for the tutor's answer and expires unanswered."
        ),
    )
    def post(self, request):
        zone = _zone(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        session = bookings.session_request(
            actor=_viewer(request),
            tutor=TutorProfile.objects.select_related("user")
            .filter(pk=values.pop("tutor"))
            .first(),
            student=StudentProfile.objects.filter(pk=values.pop("student")).first(),
            subject=Subject.objects.filter(pk=values.pop("subject")).first(),
            request=request,
            **values,
        )
        return _render(request, session.pk, zone, status.HTTP_201_CREATED)


class SessionDetailView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_sessions_retrieve",
        parameters=[TZ_PARAMETER],
        responses={200: SessionOutput},
    )
    def get(self, request, pk: int):
        return _render(request, pk, _zone(request))


class SessionAcceptView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        parameters=[TZ_PARAMETER],
        request=None,
        responses={200: SessionOutput},
        description="Confirm a request: its tutor, or the agency's owners and admins.",
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        bookings.session_accept(
            actor=_viewer(request), session=_session(request, pk), request=request
        )
        return _render(request, pk, zone)


class SessionDeclineView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=bookings.MESSAGE_LIMIT, allow_blank=True, help_text="Required."
        )

    @extend_schema(
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: SessionOutput},
        description="Turn a request down with a reason: its tutor, or the owners and admins.",
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        session = _session(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bookings.session_decline(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return _render(request, pk, zone)


# Changes -----------------------------------------------------------------------------------


class SessionCancelView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=bookings.MESSAGE_LIMIT, required=False, allow_blank=True
        )

    @extend_schema(
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: SessionOutput},
        description=(
            "Cancel a request or a confirmed session before it ends: the tutor, the "
            "student's side or the agency's staff. A confirmed session's policy outcome "
            "(fee, refund) is recorded in its changes."
        ),
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        session = _session(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bookings.session_cancel(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return _render(request, pk, zone)


class SessionRescheduleView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        starts_at = AwareDateTimeField(help_text="ISO 8601 with an offset; one of the free slots.")
        duration_minutes = serializers.ChoiceField(
            choices=bookings.DURATIONS, required=False, help_text="Default: unchanged."
        )

    @extend_schema(
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: SessionOutput},
        description=(
            "Move a request or a confirmed session that has not started. The student's side "
            "may do so only before the free-cancellation window closes and up to the "
            "reschedule limit; the tutor and the agency's staff always."
        ),
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        session = _session(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bookings.session_reschedule(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return _render(request, pk, zone)


class SessionNoShowView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        absent = serializers.ChoiceField(
            choices=["student", "tutor"], help_text="Who did not attend."
        )

    @extend_schema(
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: SessionOutput},
        description=(
            "Record a missed confirmed session, from its start until 7 days later. The tutor "
            "or the agency marks the student absent (the no-show fee applies); the student's "
            "side or the agency marks the tutor absent (fully refunded)."
        ),
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        session = _session(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        bookings.session_no_show(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return _render(request, pk, zone)


class SessionChangeListView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_session_changes_list",
        parameters=[TZ_PARAMETER, *PAGE_PARAMETERS],
        responses={200: paginated(ChangeOutput)},
        description="The session's cancellations, moves and no-shows, oldest first.",
    )
    def get(self, request, pk: int):
        zone = _zone(request)
        changes = _session(request, pk).changes.select_related("actor").order_by("created_at", "id")
        with timezone.override(zone):
            return paginated_response(
                request=request, view=self, queryset=changes, output=ChangeOutput
            )


urlpatterns = [
    path("scheduling/sessions/", SessionCollectionView.as_view(), name="scheduling_sessions"),
    path("scheduling/sessions/<int:pk>/", SessionDetailView.as_view(), name="scheduling_session"),
    path(
        "scheduling/sessions/<int:pk>/accept/",
        SessionAcceptView.as_view(),
        name="scheduling_session_accept",
    ),
    path(
        "scheduling/sessions/<int:pk>/decline/",
        SessionDeclineView.as_view(),
        name="scheduling_session_decline",
    ),
    path(
        "scheduling/sessions/<int:pk>/cancel/",
        SessionCancelView.as_view(),
        name="scheduling_session_cancel",
    ),
    path(
        "scheduling/sessions/<int:pk>/reschedule/",
        SessionRescheduleView.as_view(),
        name="scheduling_session_reschedule",
    ),
    path(
        "scheduling/sessions/<int:pk>/no-show/",
        SessionNoShowView.as_view(),
        name="scheduling_session_no_show",
    ),
    path(
        "scheduling/sessions/<int:pk>/changes/",
        SessionChangeListView.as_view(),
        name="scheduling_session_changes",
    ),
]
