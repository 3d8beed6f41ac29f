"""Scheduling API: recurring sessions (weekly, fortnightly or monthly series).

A series is reached through ``series_get``: the caller sees it when they may see its
sessions (the tutor, the student, a linked parent, the agency's staff), so anyone else's
series, or another tenant's, is simply not found. Times are accepted as ISO 8601 with an
offset (a naive time is a field error) and returned in the viewer's zone: the ``tz``
query parameter, else the user's ``time_zone``. The series' own rule is evaluated in
``rule_time_zone`` (the tutor's), so a 17:00 class stays at 17:00 there all year.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.permissions import IsTenantMember
from api.views.scheduling_common import TZ_PARAMETER, AwareDateTimeField
from api.views.scheduling_common import request_zone as _zone
from api.views.scheduling_sessions import MAX_ID, ChangeOutput, NamedOutput
from crm.models import Level, StudentProfile, Subject, TutorProfile
from scheduling.models import Session, SessionSeries
from scheduling.selectors.series import MAX_OCCURRENCES, MIN_OCCURRENCES, series_get
from scheduling.selectors.sessions import session_get
from scheduling.services import bookings
from scheduling.services import series as services


def _viewer(request) -> Membership:
    return request._request.membership


def _series(request, pk: int) -> SessionSeries:
    series = series_get(viewer=_viewer(request), pk=pk)
    if series is None:
        raise Http404
    return series


def _session_of(request, series: SessionSeries, pk: int) -> Session:
    session = session_get(viewer=_viewer(request), pk=pk)
    if session is None or session.series_id != series.pk:
        raise serializers.ValidationError({"session": ["Choose a session of this series."]})
    return session


# Output ------------------------------------------------------------------------------------


class SeriesPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class OccurrenceOutput(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    conflict = serializers.CharField(
        allow_null=True,
        help_text="Why this date cannot be booked (a session the tutor or the student "
        "already has, or the tutor's availability, buffer, notice or horizon); null if free.",
    )


class PreviewOutput(serializers.Serializer):
    time_zone = serializers.CharField(help_text="The zone the times are shown in.")
    conflicts = serializers.IntegerField(help_text="How many dates conflict.")
    occurrences = OccurrenceOutput(many=True)


class SeriesSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    series_occurrence = serializers.DateTimeField(
        help_text="The start the series' rule gives this session (kept when it is moved alone)."
    )
    status = serializers.ChoiceField(choices=Session.Status.choices)
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When an unanswered request expires."
    )
    reschedule_count = serializers.IntegerField()


class SeriesOutput(serializers.Serializer):
    id = serializers.IntegerField()
    tutor = SeriesPersonOutput(help_text="The tutor's profile id and name.")
    student = SeriesPersonOutput(help_text="The student's profile id and name.")
    subject = NamedOutput()
    frequency = serializers.ChoiceField(choices=SessionSeries.Frequency.choices)
    rrule = serializers.CharField(help_text="RFC 5545 RRULE, from first_starts_at.")
    rule_time_zone = serializers.CharField(
        source="time_zone", help_text="The zone the rule is evaluated in (the tutor's)."
    )
    first_starts_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    count = serializers.IntegerField(allow_null=True)
    until = serializers.DateField(allow_null=True, help_text="Last day, in rule_time_zone.")
    time_zone = serializers.SerializerMethodField(help_text="The zone the times are shown in.")
    sessions = SeriesSessionOutput(many=True, source="sessions.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_time_zone(self, series: SessionSeries) -> str:
        return timezone.get_current_timezone_name()


class CancelOutput(serializers.Serializer):
    series = SeriesOutput()
    changes = ChangeOutput(
        many=True, help_text="The policy outcome of each confirmed session cancelled."
    )


def _render(request, series_id: int, zone, code: int = status.HTTP_200_OK) -> Response:
    """The series as the viewer now sees it, times in ``zone``."""
    series = _series(request, series_id)
    with timezone.override(zone):
        return Response(SeriesOutput(series).data, status=code)


# Booking -----------------------------------------------------------------------------------


class SeriesInputFields(serializers.Serializer):
    tutor = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Tutor profile id.")
    student = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="Student profile id."
    )
    subject = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    first_starts_at = AwareDateTimeField(help_text="ISO 8601 with an offset: the first session.")
    duration_minutes = serializers.ChoiceField(choices=bookings.DURATIONS)
    frequency = serializers.ChoiceField(
        choices=SessionSeries.Frequency.choices,
        help_text="Monthly repeats the weekday position (2nd Tuesday; a 5th week: the last).",
    )
    count = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=MIN_OCCURRENCES,
        max_value=MAX_OCCURRENCES,
        help_text="How many sessions; give this or until.",
    )
    until = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The last day (in the tutor's zone), within a year; give this or count.",
    )
    level = serializers.ChoiceField(
        choices=Level.choices,
        required=False,
        allow_blank=True,
        help_text="The subject's level, when the tutor teaches it at several.",
    )


def _people(values: dict) -> dict:
    """The tutor, student and subject named by id (None when there is no such one)."""
    return {
        "tutor": TutorProfile.objects.select_related("user").filter(pk=values.pop("tutor")).first(),
        "student": StudentProfile.objects.filter(pk=values.pop("student")).first(),
        "subject": Subject.objects.filter(pk=values.pop("subject")).first(),
    }


class SeriesPreviewView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(SeriesInputFields):
        pass

    @extend_schema(
        operation_id="scheduling_series_preview",
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: PreviewOutput},
        description=(
            "The dates a series would have, each with what stands in its way, before "
            "booking it. Nothing is written. Same rules and fields as creating a series."
        ),
    )
    def post(self, request):
        zone = _zone(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        people = _people(values)
        occurrences = services.series_preview(actor=_viewer(request), **people, **values)
        body = {
            "time_zone": zone.key,
            "conflicts": sum(1 for o in occurrences if o.conflict),
            "occurrences": occurrences,
        }
        with timezone.override(zone):
            return Response(PreviewOutput(body).data)


class SeriesCreateView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(SeriesInputFields):
        skip_conflicts = serializers.BooleanField(
            required=False,
            default=False,
            help_text="Book only the free dates instead of refusing the series.",
        )
        message = serializers.CharField(
            max_length=bookings.MESSAGE_LIMIT, required=False, allow_blank=True
        )

    @extend_schema(
        operation_id="scheduling_series_create",
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={201: SeriesOutput},
        description=(
            "Book a weekly, fortnightly or monthly series: the student, a linked parent for "
            "their child, or the agency's staff. A series with any conflicting date is "
            "refused (first_starts_at lists them) unless skip_conflicts. The student's side "
            "gets confirmed sessions when the tutor has instant booking; otherwise (always "
            "for the agency's staff) every session is a request the tutor answers at once."
        ),
    )
    def post(self, request):
        zone = _zone(request)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        people = _people(values)
        series = services.series_create(actor=_viewer(request), request=request, **people, **values)
        return _render(request, series.pk, zone, status.HTTP_201_CREATED)


class SeriesDetailView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_series_retrieve",
        parameters=[TZ_PARAMETER],
        responses={200: SeriesOutput},
        description="A series with its sessions, in the order of its rule.",
    )
    def get(self, request, pk: int):
        return _render(request, pk, _zone(request))


# Answers -----------------------------------------------------------------------------------


class SeriesAcceptView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_series_accept",
        parameters=[TZ_PARAMETER],
        request=None,
        responses={200: SeriesOutput},
        description="Confirm every requested session of the series: its tutor, or a manager.",
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        services.series_accept(actor=_viewer(request), series=_series(request, pk), request=request)
        return _render(request, pk, zone)


class SeriesDeclineView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=bookings.MESSAGE_LIMIT, allow_blank=True, help_text="Required."
        )

    @extend_schema(
        operation_id="scheduling_series_decline",
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: SeriesOutput},
        description="Turn down every requested session of the series, with a reason.",
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        series = _series(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.series_decline(
            actor=_viewer(request), series=series, request=request, **data.validated_data
        )
        return _render(request, pk, zone)


# Edits -------------------------------------------------------------------------------------


class SeriesUpdateView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        session = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, help_text="The session of this series edited."
        )
        scope = serializers.ChoiceField(
            choices=services.SCOPES,
            help_text="this: the session alone; following: it and the later ones; all: "
            "every session still to come (past ones are untouched).",
        )
        starts_at = AwareDateTimeField(
            required=False,
            help_text="The session's new start; with all, every session moves by as many "
            "days, to the same local time.",
        )
        duration_minutes = serializers.ChoiceField(
            choices=bookings.DURATIONS, required=False, help_text="Default: unchanged."
        )

    @extend_schema(
        operation_id="scheduling_series_update",
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: SeriesOutput},
        description=(
            "Move sessions of the series. Moving from a session that is not the series' "
            "first splits it: the series ends before that session and a new one (returned) "
            "holds it and the later ones. Nothing moves when any new date conflicts "
            "(starts_at lists them). The student's side may move sessions only before the "
            "free-cancellation window and up to the reschedule limit."
        ),
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        series = _series(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        session = _session_of(request, series, values.pop("session"))
        moved_to = services.series_update(
            actor=_viewer(request), session=session, request=request, **values
        )
        return _render(request, moved_to.pk, zone)


class SeriesCancelView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        session = serializers.IntegerField(
            min_value=1, max_value=MAX_ID, help_text="The session of this series cancelled."
        )
        scope = serializers.ChoiceField(
            choices=services.SCOPES,
            help_text="this: the session alone; following: it and the later ones (the "
            "series then ends before it); all: every session still to come.",
        )
        reason = serializers.CharField(
            max_length=bookings.MESSAGE_LIMIT, required=False, allow_blank=True
        )

    @extend_schema(
        operation_id="scheduling_series_cancel",
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={200: CancelOutput},
        description=(
            "Cancel sessions of the series: the tutor, the student's side or the agency's "
            "staff. Each cancelled confirmed session gets its own policy outcome (fee, "
            "refund), returned in changes."
        ),
    )
    def post(self, request, pk: int):
        zone = _zone(request)
        series = _series(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        session = _session_of(request, series, values.pop("session"))
        changes = services.series_cancel(
            actor=_viewer(request), session=session, request=request, **values
        )
        with timezone.override(zone):
            body = CancelOutput({"series": _series(request, pk), "changes": changes}).data
        return Response(body)


urlpatterns = [
    path("scheduling/series/", SeriesCreateView.as_view(), name="scheduling_series"),
    path(
        "scheduling/series/preview/",
        SeriesPreviewView.as_view(),
        name="scheduling_series_preview",
    ),
    path(
        "scheduling/series/<int:pk>/",
        SeriesDetailView.as_view(),
        name="scheduling_series_detail",
    ),
    path(
        "scheduling/series/<int:pk>/accept/",
        SeriesAcceptView.as_view(),
        name="scheduling_series_accept",
    ),
    path(
        "scheduling/series/<int:pk>/decline/",
        SeriesDeclineView.as_view(),
        name="scheduling_series_decline",
    ),
    path(
        "scheduling/series/<int:pk>/update/",
        SeriesUpdateView.as_view(),
        name="scheduling_series_update",
    ),
    path(
        "scheduling/series/<int:pk>/cancel/",
        SeriesCancelView.as_view(),
        name="scheduling_series_cancel",
    ),
]
