"""Scheduling API: tutors' availability, free slots, and the booking policy.

A tutor edits their own availability under ``availability/me/``; owners and admins edit
any tutor's under ``tutors/<id>/``. Any member may list a tutor's free slots (in the
viewer's time zone) and read the policy in force for them before booking. A tutor the
viewer may not see (or one of another tenant) is not found.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from api.views.crm import IsManagerToWrite, IsTenantTutor
from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.models import TutorProfile
from scheduling.models import AvailabilityException, SchedulingSettings
from scheduling.policy import policy_for, schedule_for
from scheduling.selectors.availability import (
    availability_exception_list,
    availability_rule_list,
    local_instant,
    schedule_editor_is,
)
from scheduling.selectors.slots import slot_list
from scheduling.services import availability as services

MAX_SLOT_RANGE_DAYS = 62
SLOT_DURATIONS = (30, 45, 60, 90, 120)
END_OF_DAY = dt.time(23, 59)


def _viewer(request) -> Membership:
    return request._request.membership


def _tutor(request, pk: int) -> TutorProfile:
    """A tutor the viewer may see, or a 404."""
    tutor = crm_selectors.tutor_profile_get(viewer=_viewer(request), pk=pk)
    if tutor is None:
        raise Http404
    return tutor


def _editable_tutor(request, pk: int) -> TutorProfile:
    tutor = _tutor(request, pk)
    if not schedule_editor_is(viewer=_viewer(request), tutor=tutor):
        raise PermissionDenied("Only the tutor and the agency's owners and admins can do this.")
    return tutor


def _my_tutor(request) -> TutorProfile:
    return crm_services.tutor_profile_ensure(actor=_viewer(request))


def _zone_validate(value: str, *, blank: bool = False) -> str:
    if (blank and value == "") or value in services.time_zones():
        return value
    raise serializers.ValidationError("Choose a valid IANA time zone, such as Europe/London.")


def _clock(value: dt.time | None, *, end: bool = False) -> str | None:
    if value is None:
        return None
    return "24:00" if end and value >= END_OF_DAY else f"{value:%H:%M}"


# Output ------------------------------------------------------------------------------------


class RuleOutput(serializers.Serializer):
    weekday = serializers.IntegerField(help_text="0 is Monday, 6 is Sunday.")
    start_time = serializers.CharField(help_text="HH:MM, the tutor's wall-clock time.")
    end_time = serializers.CharField(help_text="HH:MM; 24:00 is midnight.")


class ScheduleOutput(serializers.Serializer):
    tutor_id = serializers.IntegerField()
    time_zone = serializers.CharField(
        allow_blank=True, help_text="The schedule's own zone; empty: the tutor account's."
    )
    effective_time_zone = serializers.CharField(help_text="The zone the rules are read in.")
    buffer_minutes = serializers.IntegerField()
    minimum_notice_minutes = serializers.IntegerField()
    booking_horizon_days = serializers.IntegerField()
    slot_interval_minutes = serializers.IntegerField()
    instant_booking = serializers.BooleanField()
    free_cancellation_hours = serializers.IntegerField(
        allow_null=True, help_text="Null: the agency's default applies."
    )
    late_cancellation_fee_percent = serializers.IntegerField(allow_null=True)
    no_show_fee_percent = serializers.IntegerField(allow_null=True)
    max_reschedules = serializers.IntegerField(allow_null=True)
    rules = RuleOutput(many=True)
    updated_at = serializers.DateTimeField()


def _schedule_output(tutor: TutorProfile) -> dict:
    schedule = schedule_for(tutor)
    data = {field: getattr(schedule, field) for field in services.SCHEDULE_FIELDS}
    return ScheduleOutput(
        {
            **data,
            "tutor_id": tutor.pk,
            "effective_time_zone": schedule.zone.key,
            "updated_at": schedule.updated_at,
            "rules": [
                {
                    "weekday": rule.weekday,
                    "start_time": _clock(rule.start_time),
                    "end_time": _clock(rule.end_time, end=True),
                }
                for rule in availability_rule_list(tutor=tutor)
            ],
        }
    ).data


class ExceptionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    tutor_id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=AvailabilityException.Kind.choices)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    start_time = serializers.SerializerMethodField(help_text="HH:MM; null: the whole day.")
    end_time = serializers.SerializerMethodField(help_text="HH:MM; 24:00 is midnight.")
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_start_time(self, exception: AvailabilityException) -> str | None:
        return _clock(exception.start_time)

    def get_end_time(self, exception: AvailabilityException) -> str | None:
        return _clock(exception.end_time, end=True)


class PolicyOutput(serializers.Serializer):
    request_expiry_hours = serializers.IntegerField(
        help_text="Unanswered requests expire after this many hours."
    )
    free_cancellation_hours = serializers.IntegerField(
        help_text="Cancelling at least this many hours ahead is free."
    )
    late_cancellation_fee_percent = serializers.IntegerField(
        help_text="Share of the price due for a later cancellation by the student's side."
    )
    no_show_fee_percent = serializers.IntegerField(
        help_text="Share of the price due when the student does not show."
    )
    max_reschedules = serializers.IntegerField(help_text="How often one session may be moved.")


class AgencyPolicyOutput(PolicyOutput):
    updated_at = serializers.DateTimeField()


class TutorPolicyOutput(PolicyOutput):
    tutor_id = serializers.IntegerField()
    overridden = serializers.ListField(
        child=serializers.CharField(), help_text="Fields the tutor set instead of the agency."
    )
    instant_booking = serializers.BooleanField(
        help_text="True: a request in a free slot is confirmed at once."
    )
    minimum_notice_minutes = serializers.IntegerField()
    booking_horizon_days = serializers.IntegerField()
    time_zone = serializers.CharField(help_text="The tutor's zone.")


class SlotOutput(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class SlotsOutput(serializers.Serializer):
    tutor_id = serializers.IntegerField()
    time_zone = serializers.CharField(help_text="The zone of the dates and of every time.")
    start = serializers.DateField()
    end = serializers.DateField()
    duration = serializers.IntegerField()
    slots = SlotOutput(many=True)


# Input -------------------------------------------------------------------------------------


class WindowInput(serializers.Serializer):
    start_time = serializers.CharField(max_length=8, help_text="HH:MM.")
    end_time = serializers.CharField(max_length=8, help_text="HH:MM; 24:00 is midnight.")


class RuleInput(WindowInput):
    weekday = serializers.IntegerField(help_text="0 is Monday, 6 is Sunday.")


def _bounded(field: str, **kwargs) -> serializers.IntegerField:
    low, high, unit = services.LIMITS[field]
    note = kwargs.pop("note", "")
    return serializers.IntegerField(
        required=False,
        min_value=low,
        max_value=high,
        help_text=f"{low} to {high} {unit}{note}.",
        **kwargs,
    )


AGENCY_DEFAULT = "; null: the agency's default"


class AvailabilityInput(serializers.Serializer):
    time_zone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="IANA; empty: the account's."
    )
    buffer_minutes = _bounded("buffer_minutes")
    minimum_notice_minutes = _bounded("minimum_notice_minutes")
    booking_horizon_days = _bounded("booking_horizon_days")
    slot_interval_minutes = serializers.ChoiceField(
        choices=services.SLOT_INTERVALS, required=False, help_text="Minutes."
    )
    instant_booking = serializers.BooleanField(required=False)
    free_cancellation_hours = _bounded(
        "free_cancellation_hours", allow_null=True, note=AGENCY_DEFAULT
    )
    late_cancellation_fee_percent = _bounded(
        "late_cancellation_fee_percent", allow_null=True, note=AGENCY_DEFAULT
    )
    no_show_fee_percent = _bounded("no_show_fee_percent", allow_null=True, note=AGENCY_DEFAULT)
    max_reschedules = _bounded("max_reschedules", allow_null=True, note=AGENCY_DEFAULT)
    rules = RuleInput(
        many=True, required=False, help_text="The whole week; replaces every weekly rule."
    )
    weekdays = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=7,
        help_text="Bulk update: give these weekdays exactly `windows` (others unchanged).",
    )
    windows = WindowInput(many=True, required=False)

    def validate_time_zone(self, value: str) -> str:
        return _zone_validate(value, blank=True)


def _availability_update(request, tutor: TutorProfile) -> dict:
    data = AvailabilityInput(data=request.data)
    data.is_valid(raise_exception=True)
    values = dict(data.validated_data)
    rules = values.pop("rules", None)
    weekdays = values.pop("weekdays", None)
    windows = values.pop("windows", None)
    services.availability_update(
        actor=_viewer(request),
        tutor=tutor,
        settings=values,
        rules=[dict(rule) for rule in rules] if rules is not None else None,
        weekdays=weekdays,
        windows=[dict(window) for window in windows] if windows is not None else None,
        request=request,
    )
    return _schedule_output(tutor)


class ExceptionInput(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=AvailabilityException.Kind.choices,
        required=False,
        default=AvailabilityException.Kind.UNAVAILABLE,
    )
    start_date = serializers.DateField(help_text="In the tutor's zone.")
    end_date = serializers.DateField(
        required=False, allow_null=True, help_text="Inclusive; at most 366 days in all."
    )
    start_time = serializers.CharField(
        max_length=8, required=False, allow_null=True, allow_blank=True, help_text="HH:MM."
    )
    end_time = serializers.CharField(
        max_length=8, required=False, allow_null=True, allow_blank=True, help_text="HH:MM."
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class PolicyInput(serializers.Serializer):
    request_expiry_hours = _bounded("request_expiry_hours")
    free_cancellation_hours = _bounded("free_cancellation_hours")
    late_cancellation_fee_percent = _bounded("late_cancellation_fee_percent")
    no_show_fee_percent = _bounded("no_show_fee_percent")
    max_reschedules = _bounded("max_reschedules")


class SlotQuery(serializers.Serializer):
    start = serializers.DateField(help_text="First date, in the viewer's zone.")
    end = serializers.DateField(
        help_text=f"Last date (inclusive), at most {MAX_SLOT_RANGE_DAYS} days on."
    )
    duration = serializers.ChoiceField(
        choices=SLOT_DURATIONS, required=False, default=60, help_text="Minutes."
    )
    tz = serializers.CharField(
        max_length=64, required=False, help_text="IANA zone; default: the viewer's account zone."
    )

    def validate_tz(self, value: str) -> str:
        return _zone_validate(value)

    def validate(self, attrs: dict) -> dict:
        days = (attrs["end"] - attrs["start"]).days + 1
        if days < 1:
            raise serializers.ValidationError({"end": ["The end date cannot be before the start."]})
        if days > MAX_SLOT_RANGE_DAYS:
            raise serializers.ValidationError(
                {"end": [f"Ask for at most {MAX_SLOT_RANGE_DAYS} days at once."]}
            )
        return attrs


# Views -------------------------------------------------------------------------------------


class MyAvailabilityView(APIView):
    permission_classes = [IsTenantTutor]

    @extend_schema(operation_id="scheduling_my_availability", responses={200: ScheduleOutput})
    def get(self, request):
        return Response(_schedule_output(_my_tutor(request)))

    @extend_schema(
        operation_id="scheduling_my_availability_update",
        request=AvailabilityInput,
        responses={200: ScheduleOutput},
    )
    def put(self, request):
        return Response(_availability_update(request, _my_tutor(request)))


class TutorAvailabilityView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(operation_id="scheduling_tutor_availability", responses={200: ScheduleOutput})
    def get(self, request, pk: int):
        return Response(_schedule_output(_editable_tutor(request, pk)))

    @extend_schema(
        operation_id="scheduling_tutor_availability_update",
        request=AvailabilityInput,
        responses={200: ScheduleOutput},
    )
    def put(self, request, pk: int):
        return Response(_availability_update(request, _editable_tutor(request, pk)))


def _exceptions_list(request, view, tutor: TutorProfile):
    today = timezone.now().astimezone(schedule_for(tutor).zone).date()
    exceptions = availability_exception_list(tutor=tutor, first=today)
    return paginated_response(
        request=request, view=view, queryset=exceptions, output=ExceptionOutput
    )


def _exception_add(request, tutor: TutorProfile) -> Response:
    data = ExceptionInput(data=request.data)
    data.is_valid(raise_exception=True)
    exception = services.availability_exception_add(
        actor=_viewer(request), tutor=tutor, request=request, **data.validated_data
    )
    return Response(ExceptionOutput(exception).data, status=status.HTTP_201_CREATED)


class MyExceptionListView(APIView):
    permission_classes = [IsTenantTutor]

    @extend_schema(
        operation_id="scheduling_my_exceptions_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(ExceptionOutput)},
    )
    def get(self, request):
        return _exceptions_list(request, self, _my_tutor(request))

    @extend_schema(
        operation_id="scheduling_my_exceptions_create",
        request=ExceptionInput,
        responses={201: ExceptionOutput},
    )
    def post(self, request):
        return _exception_add(request, _my_tutor(request))


class TutorExceptionListView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_tutor_exceptions_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(ExceptionOutput)},
    )
    def get(self, request, pk: int):
        return _exceptions_list(request, self, _editable_tutor(request, pk))

    @extend_schema(
        operation_id="scheduling_tutor_exceptions_create",
        request=ExceptionInput,
        responses={201: ExceptionOutput},
    )
    def post(self, request, pk: int):
        return _exception_add(request, _editable_tutor(request, pk))


class MyExceptionDetailView(APIView):
    permission_classes = [IsTenantTutor]

    @extend_schema(
        operation_id="scheduling_my_exception_delete", request=None, responses={204: None}
    )
    def delete(self, request, pk: int):
        tutor = _my_tutor(request)
        exception = availability_exception_list(tutor=tutor).filter(pk=pk).first()
        if exception is None:
            raise Http404
        services.availability_exception_delete(
            actor=_viewer(request), exception=exception, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ExceptionDetailView(APIView):
    """Any exception the viewer may edit: their own, or (owners, admins) any tutor's."""

    permission_classes = [IsTenantMember]

    @extend_schema(operation_id="scheduling_exception_delete", request=None, responses={204: None})
    def delete(self, request, pk: int):
        exception = AvailabilityException.objects.select_related("tutor").filter(pk=pk).first()
        if exception is None or not schedule_editor_is(
            viewer=_viewer(request), tutor=exception.tutor
        ):
            raise Http404
        services.availability_exception_delete(
            actor=_viewer(request), exception=exception, request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PolicyView(APIView):
    """The agency's defaults: any member reads them, owners and admins change them."""

    permission_classes = [IsManagerToWrite]

    @extend_schema(operation_id="scheduling_policy", responses={200: AgencyPolicyOutput})
    def get(self, request):
        return Response(AgencyPolicyOutput(SchedulingSettings.current()).data)

    @extend_schema(
        operation_id="scheduling_policy_update",
        request=PolicyInput,
        responses={200: AgencyPolicyOutput},
    )
    def patch(self, request):
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = services.scheduling_settings_update(
            actor=_viewer(request), request=request, **data.validated_data
        )
        return Response(AgencyPolicyOutput(row).data)


class TutorPolicyView(APIView):
    """The policy in force for one tutor, as a student sees it before booking."""

    permission_classes = [IsTenantMember]

    @extend_schema(operation_id="scheduling_tutor_policy", responses={200: TutorPolicyOutput})
    def get(self, request, pk: int):
        tutor = _tutor(request, pk)
        policy = policy_for(tutor)
        schedule = schedule_for(tutor)
        return Response(
            TutorPolicyOutput(
                {
                    "tutor_id": tutor.pk,
                    "request_expiry_hours": policy.request_expiry_hours,
                    "free_cancellation_hours": policy.free_cancellation_hours,
                    "late_cancellation_fee_percent": policy.late_cancellation_fee_percent,
                    "no_show_fee_percent": policy.no_show_fee_percent,
                    "max_reschedules": policy.max_reschedules,
                    "overridden": sorted(policy.overridden),
                    "instant_booking": schedule.instant_booking,
                    "minimum_notice_minutes": schedule.minimum_notice_minutes,
                    "booking_horizon_days": schedule.booking_horizon_days,
                    "time_zone": schedule.zone.key,
                }
            ).data
        )


class TutorSlotsView(APIView):
    """Free slots of a tutor over a date range, in the viewer's zone."""

    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_tutor_slots",
        parameters=[SlotQuery],
        responses={200: SlotsOutput},
    )
    def get(self, request, pk: int):
        tutor = _tutor(request, pk)
        query = SlotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        values = query.validated_data
        zone = zoneinfo.ZoneInfo(values.get("tz") or request.user.time_zone or "UTC")
        slots = slot_list(
            tutor=tutor,
            start=local_instant(values["start"], 0, zone),
            end=local_instant(values["end"] + dt.timedelta(days=1), 0, zone),
            duration_minutes=values["duration"],
        )
        return Response(
            SlotsOutput(
                {
                    "tutor_id": tutor.pk,
                    "time_zone": zone.key,
                    "start": values["start"],
                    "end": values["end"],
                    "duration": values["duration"],
                    "slots": [
                        {
                            "starts_at": slot.starts_at.astimezone(zone).isoformat(),
                            "ends_at": slot.ends_at.astimezone(zone).isoformat(),
                        }
                        for slot in slots
                    ],
                }
            ).data
        )


urlpatterns = [
    path(
        "scheduling/availability/me/",
        MyAvailabilityView.as_view(),
        name="scheduling_my_availability",
    ),
    path(
        "scheduling/availability/me/exceptions/",
        MyExceptionListView.as_view(),
        name="scheduling_my_exceptions",
    ),
    path(
        "scheduling/availability/me/exceptions/<int:pk>/",
        MyExceptionDetailView.as_view(),
        name="scheduling_my_exception",
    ),
    path(
        "scheduling/availability/exceptions/<int:pk>/",
        ExceptionDetailView.as_view(),
        name="scheduling_exception",
    ),
    path(
        "scheduling/tutors/<int:pk>/availability/",
        TutorAvailabilityView.as_view(),
        name="scheduling_tutor_availability",
    ),
    path(
        "scheduling/tutors/<int:pk>/exceptions/",
        TutorExceptionListView.as_view(),
        name="scheduling_tutor_exceptions",
    ),
    path(
        "scheduling/tutors/<int:pk>/slots/",
        TutorSlotsView.as_view(),
        name="scheduling_tutor_slots",
    ),
    path(
        "scheduling/tutors/<int:pk>/policy/",
        TutorPolicyView.as_view(),
        name="scheduling_tutor_policy",
    ),
    path("scheduling/policy/", PolicyView.as_view(), name="scheduling_policy"),
]
