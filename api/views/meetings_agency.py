"""Meetings API for the agency: every upcoming meeting (owners, admins, staff) and the
meeting settings (owners, admins).

The list is ``meetings.selectors.meeting_list``: without dates, what is not over yet
within the next 14 days; dates are days in the viewer's zone (``tz``, else the user's).
A page costs the same few queries whatever its size.
"""

from __future__ import annotations

import datetime as dt

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, PageNumberPagination, paginated
from api.permissions import IsTenantManager
from api.views.crm_agency import IsAgencyStaff
from api.views.meetings_completion import AttendeeOutput
from api.views.scheduling_common import TZ_PARAMETER
from api.views.scheduling_common import request_zone as _zone
from meetings.models import MeetingSettings
from meetings.providers import provider_get
from meetings.selectors import (
    MAX_RANGE_DAYS,
    STATUS_FILTERS,
    meeting_list,
    meeting_rows,
    provider_labels,
)
from meetings.services.settings import NUMBER_RANGES, meeting_settings_update
from scheduling.models import Session

MAX_ID = 2**31 - 1
EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2999, 12, 31)


def _viewer(request) -> Membership:
    return request._request.membership


# The list ----------------------------------------------------------------------------------


class MeetingQuery(serializers.Serializer):
    tutor = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Tutor profile id."
    )
    status = serializers.ChoiceField(
        choices=STATUS_FILTERS, required=False, help_text="Meeting status, or not_set_up."
    )
    provider = serializers.CharField(required=False, max_length=16, help_text="Provider name.")
    date_from = serializers.DateField(required=False, help_text="First day, in the viewer's zone.")
    date_to = serializers.DateField(required=False, help_text="Last day, included.")

    def validate(self, attrs: dict) -> dict:
        for name in ("date_from", "date_to"):
            day = attrs.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                raise serializers.ValidationError(
                    {name: [f"Use a date from {EARLIEST} to {LATEST}."]}
                )
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end:
            if end < start:
                raise serializers.ValidationError(
                    {"date_to": ["The last day cannot be before the first."]}
                )
            if (end - start).days >= MAX_RANGE_DAYS:
                raise serializers.ValidationError(
                    {"date_to": [f"Choose at most {MAX_RANGE_DAYS} days."]}
                )
        return attrs


class MeetingPartyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MeetingSessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Session.Status.choices)
    subject = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class MeetingRowCompletionOutput(serializers.Serializer):
    state = serializers.CharField(help_text="upcoming, awaiting, held, problem, completed, ...")
    label = serializers.CharField()


class MeetingRowOutput(serializers.Serializer):
    session = MeetingSessionOutput()
    tutor = MeetingPartyOutput(help_text="The tutor's profile id and name.")
    student = MeetingPartyOutput(help_text="The student's profile id and name.")
    provider = serializers.CharField(help_text="Empty while no meeting exists.")
    provider_label = serializers.CharField()
    meeting_status = serializers.ChoiceField(choices=[("", "No meeting"), *STATUS_FILTERS])
    meeting_status_label = serializers.CharField()
    last_error = serializers.CharField(help_text="Why the set-up failed (failed meetings).")
    join_opens_at = serializers.DateTimeField()
    join_closes_at = serializers.DateTimeField()
    window_open = serializers.BooleanField()
    attendance = AttendeeOutput(many=True)
    completion = MeetingRowCompletionOutput()


def _row(row) -> dict:
    session = row.session
    return {
        "session": {
            "id": session.pk,
            "status": session.status,
            "subject": session.subject.name,
            "starts_at": session.starts_at,
            "ends_at": session.ends_at,
        },
        "tutor": {"id": session.tutor_id, "name": session.tutor.full_name},
        "student": {"id": session.student_id, "name": session.student.full_name},
        "provider": row.provider,
        "provider_label": row.provider_label,
        "meeting_status": row.status,
        "meeting_status_label": row.status_label,
        "last_error": row.meeting.last_error if row.status == "failed" else "",
        "join_opens_at": row.opens_at,
        "join_closes_at": row.closes_at,
        "window_open": row.window_open,
        "attendance": row.attendance,
        "completion": {"state": row.completion.key, "label": row.completion.label},
    }


class MeetingListView(APIView):
    permission_classes = [IsAgencyStaff]

    @extend_schema(
        operation_id="meetings_list",
        parameters=[
            MeetingQuery,
            TZ_PARAMETER,
            *PAGE_PARAMETERS,
        ],
        responses={
            200: paginated(MeetingRowOutput),
            403: OpenApiResponse(description="Not staff."),
        },
        description=(
            "The agency's meetings, soonest first, with provider, status (failed ones with "
            "their error), join window, attendance and completion. Confirmed sessions "
            "without a meeting yet have the status not_set_up."
        ),
    )
    def get(self, request):
        zone = _zone(request)
        query = MeetingQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        sessions = meeting_list(viewer=_viewer(request), zone=zone, **query.validated_data)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(sessions, request, view=self)
        rows = [_row(row) for row in meeting_rows(sessions=page)]
        with timezone.override(zone):
            return paginator.get_paginated_response(MeetingRowOutput(rows, many=True).data)


# Settings ----------------------------------------------------------------------------------


class MeetingProviderOutput(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    configured = serializers.BooleanField(help_text="Set up on this platform: may be chosen.")


class MeetingSettingsOutput(serializers.Serializer):
    provider = serializers.CharField()
    join_early_minutes = serializers.IntegerField()
    join_grace_minutes = serializers.IntegerField()
    parents_may_join = serializers.BooleanField()
    staff_may_observe = serializers.BooleanField()
    auto_confirm_hours = serializers.IntegerField()
    recordings_enabled = serializers.BooleanField()
    updated_at = serializers.DateTimeField()
    providers = serializers.SerializerMethodField()

    def get_providers(self, row) -> list[dict]:
        return MeetingProviderOutput(
            [
                {"name": name, "label": label, "configured": provider_get(name).is_configured()}
                for name, label in provider_labels().items()
            ],
            many=True,
        ).data


def _bounded(field: str, help_text: str) -> serializers.IntegerField:
    low, high = NUMBER_RANGES[field]
    return serializers.IntegerField(
        required=False, min_value=low, max_value=high, help_text=f"{help_text} ({low}-{high})."
    )


class MeetingSettingsInput(serializers.Serializer):
    provider = serializers.CharField(
        required=False, max_length=16, help_text="One of the configured providers' names."
    )
    join_early_minutes = _bounded("join_early_minutes", "Minutes before the start people may join")
    join_grace_minutes = _bounded("join_grace_minutes", "Minutes after the end people may join")
    parents_may_join = serializers.BooleanField(required=False)
    staff_may_observe = serializers.BooleanField(required=False)
    auto_confirm_hours = _bounded(
        "auto_confirm_hours", "Hours after the end a class both attended is confirmed; 0 never"
    )
    recordings_enabled = serializers.BooleanField(required=False)


class MeetingSettingsView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(
        operation_id="meetings_settings",
        responses={200: MeetingSettingsOutput, 403: OpenApiResponse(description="Not a manager.")},
    )
    def get(self, request):
        return Response(MeetingSettingsOutput(MeetingSettings.current()).data)

    @extend_schema(
        operation_id="meetings_settings_update",
        request=MeetingSettingsInput,
        responses={200: MeetingSettingsOutput, 403: OpenApiResponse(description="Not a manager.")},
        description="Change some of the settings; a provider not configured is a field error.",
    )
    def patch(self, request):
        data = MeetingSettingsInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = meeting_settings_update(
            actor=_viewer(request), request=request, **data.validated_data
        )
        return Response(MeetingSettingsOutput(row).data)


urlpatterns = [
    path("meetings/", MeetingListView.as_view(), name="meetings_list"),
    path("meetings/settings/", MeetingSettingsView.as_view(), name="meetings_settings"),
]
