"""Scheduling API for calendars and the agency: calendar events and tutor utilization.

Calendar events are ready for FullCalendar: ``id``, ``title``, ``start``, ``end`` (ISO
8601 in the viewer's zone, with its offset), ``color``, ``url`` and ``display``
(``background`` for availability); any other key lands in FullCalendar's
``extendedProps``. Sessions come from what the viewer may see, so a session of someone
else (or of another tenant) never appears.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import NoReverseMatch, path, reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, PageNumberPagination, paginated
from api.permissions import IsTenantMember
from api.views.crm_agency import IsAgencyStaff
from crm.minors import tenant_today
from crm.models import TutorProfile
from scheduling.models import Session
from scheduling.selectors.availability import availability_windows
from scheduling.selectors.sessions import session_list, tutor_profile_for
from scheduling.selectors.utilization import MAX_WEEKS, utilization, week_monday
from scheduling.views_calendar import (
    AVAILABILITY_COLOUR,
    CALENDAR_STATUSES,
    STATUS_COLOURS,
    tutor_colour,
)
from tenants.validators import validate_time_zone

MAX_ID = 2**31 - 1
MAX_RANGE_DAYS = 62
# Dates far from now only overflow the arithmetic; no calendar needs them.
MIN_YEAR, MAX_YEAR = 1970, 2999
Role = Membership.Role


def _viewer(request) -> Membership:
    return request._request.membership


# Input -------------------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class RangeBoundField(serializers.Field):
    """A date (midnight in the request's zone) or a datetime with a UTC offset.

    Dates are what a calendar asks for; a datetime without an offset is refused, since it
    could mean any instant.
    """

    default_error_messages = {
        "invalid": "Give a date (YYYY-MM-DD) or a datetime with a UTC offset.",
        "naive": "Include a time zone offset, like +01:00 or Z.",
        "range": "Give a date between the years 1970 and 2999.",
    }
    # A "+" left unencoded in a query string arrives as a space.
    _SPACE_OFFSET = re.compile(r"(T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$")

    def to_internal_value(self, data) -> dt.date | dt.datetime:
        if not isinstance(data, str) or len(data) > 40:
            self.fail("invalid")
        value = self._SPACE_OFFSET.sub(r"\1+\2", data.strip())
        if len(value) == 10:
            try:
                parsed = dt.date.fromisoformat(value)
            except ValueError:
                self.fail("invalid")
        else:
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
            if parsed is None:
                self.fail("invalid")
            if parsed.tzinfo is None:
                self.fail("naive")
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail("range")
        return parsed

    def to_representation(self, value) -> str:
        return value.isoformat()


def _instant(value: dt.date | dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.combine(value, dt.time(), tzinfo=zone).astimezone(dt.UTC)


class EventsQuery(serializers.Serializer):
    start = RangeBoundField(
        help_text="Range start: a date (midnight in `tz`) or an ISO 8601 datetime with offset."
    )
    end = RangeBoundField(
        help_text=f"Range end (exclusive), at most {MAX_RANGE_DAYS} days after the start."
    )
    tutor = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="A tutor profile id: agency staff see that tutor only, with their "
        "availability as background events; a tutor may name only themself.",
    )
    tz = serializers.CharField(
        required=False,
        max_length=64,
        help_text="IANA time zone for dates in and out; default: the user's time zone.",
    )

    def validate_tz(self, value: str) -> str:
        try:
            validate_time_zone(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return value

    def validate(self, attrs: dict) -> dict:
        zone = zoneinfo.ZoneInfo(attrs.get("tz") or self.context["time_zone"])
        start, end = _instant(attrs["start"], zone), _instant(attrs["end"], zone)
        if end <= start:
            raise serializers.ValidationError({"end": ["The end must be after the start."]})
        if end - start > dt.timedelta(days=MAX_RANGE_DAYS):
            raise serializers.ValidationError(
                {"end": [f"Ask for at most {MAX_RANGE_DAYS} days at a time."]}
            )
        return {**attrs, "zone": zone, "start": start, "end": end}


# Output ------------------------------------------------------------------------------------


class EventOutput(serializers.Serializer):
    id = serializers.CharField(help_text="`session-<id>`, or `availability-<n>`.")
    title = serializers.CharField()
    start = serializers.CharField(help_text="ISO 8601 in the requested zone, with offset.")
    end = serializers.CharField(help_text="ISO 8601 in the requested zone, with offset.")
    display = serializers.ChoiceField(
        choices=["auto", "background"], help_text="`background` for availability."
    )
    color = serializers.CharField(help_text="Per status, or per tutor on the agency's view.")
    url = serializers.CharField(allow_null=True, help_text="The session's page.")
    status = serializers.CharField(allow_null=True)
    status_label = serializers.CharField(allow_null=True)
    session_id = serializers.IntegerField(allow_null=True)
    tutor_id = serializers.IntegerField(allow_null=True)
    tutor_name = serializers.CharField(allow_null=True)
    student_id = serializers.IntegerField(allow_null=True)
    student_name = serializers.CharField(allow_null=True)
    subject = serializers.CharField(allow_null=True)


class EventsOutput(serializers.Serializer):
    time_zone = serializers.CharField()
    start = serializers.CharField()
    end = serializers.CharField()
    events = EventOutput(many=True)


def _session_url(pk: int) -> str | None:
    try:
        return reverse("scheduling:session_detail", kwargs={"pk": pk})
    except NoReverseMatch:
        return None


def _title(session: Session, viewer: Membership) -> str:
    subject, tutor = session.subject.name, session.tutor.full_name
    student = session.student.full_name
    if viewer.is_agency_staff:
        text = f"{tutor} · {student} · {subject}"
    elif viewer.role == Role.TUTOR:
        text = f"{subject} · {student}"
    elif viewer.role == Role.PARENT:
        text = f"{session.student.first_name}: {subject} with {tutor}"
    else:
        text = f"{subject} with {tutor}"
    if session.status != Session.Status.CONFIRMED:
        text = f"{session.get_status_display()}: {text}"
    return text


def _iso(value: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    return value.astimezone(zone).isoformat(timespec="seconds")


def _shown_tutor(
    viewer: Membership, tutor_id: int | None
) -> tuple[int | None, TutorProfile | None]:
    """The tutor filter and, when one tutor's calendar is shown to them or to the agency,
    the profile whose availability goes behind it. A tutor naming anyone else is a 404."""
    if viewer.role == Role.TUTOR:
        own = tutor_profile_for(user_id=viewer.user_id)
        if tutor_id is not None and (own is None or own.pk != tutor_id):
            raise Http404
        return (own.pk if own else None), own
    if viewer.is_agency_staff and tutor_id is not None:
        profile = TutorProfile.objects.select_related("user").filter(pk=tutor_id).first()
        if profile is None:
            raise Http404
        return profile.pk, profile
    return tutor_id, None


def calendar_events(
    *,
    viewer: Membership,
    start: dt.datetime,
    end: dt.datetime,
    zone: zoneinfo.ZoneInfo,
    tutor_id: int | None = None,
) -> list[dict]:
    """FullCalendar events for the sessions ``viewer`` may see in [start, end), plus one
    tutor's availability behind them (see ``_shown_tutor``)."""
    tutor_id, background_of = _shown_tutor(viewer, tutor_id)
    sessions = (
        session_list(viewer=viewer)
        .filter(starts_at__lt=end, ends_at__gt=start, status__in=CALENDAR_STATUSES)
        .select_related("tutor__user", "student", "subject")
        .order_by("starts_at", "id")
    )
    if tutor_id is not None:
        sessions = sessions.filter(tutor_id=tutor_id)
    by_tutor = viewer.is_agency_staff and background_of is None
    events = [
        {
            "id": f"session-{session.pk}",
            "title": _title(session, viewer),
            "start": _iso(session.starts_at, zone),
            "end": _iso(session.ends_at, zone),
            "display": "auto",
            "color": tutor_colour(session.tutor_id) if by_tutor else STATUS_COLOURS[session.status],
            "url": _session_url(session.pk),
            "status": session.status,
            "status_label": session.get_status_display(),
            "session_id": session.pk,
            "tutor_id": session.tutor_id,
            "tutor_name": session.tutor.full_name,
            "student_id": session.student_id,
            "student_name": session.student.full_name,
            "subject": session.subject.name,
        }
        for session in sessions
    ]
    if background_of is not None:
        for index, (low, high) in enumerate(
            availability_windows(tutor=background_of, start=start, end=end)
        ):
            events.append(
                {
                    "id": f"availability-{index}",
                    "title": "Available",
                    "start": _iso(low, zone),
                    "end": _iso(high, zone),
                    "display": "background",
                    "color": AVAILABILITY_COLOUR,
                    "url": None,
                    "status": None,
                    "status_label": None,
                    "session_id": None,
                    "tutor_id": background_of.pk,
                    "tutor_name": background_of.full_name,
                    "student_id": None,
                    "student_name": None,
                    "subject": None,
                }
            )
    return events


class CalendarEventsView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_calendar_events",
        description=(
            "The sessions the caller may see in a range of at most "
            f"{MAX_RANGE_DAYS} days (declined and expired requests left out), as "
            "FullCalendar events in the caller's time zone. With one tutor shown (a tutor's "
            "own calendar, or agency staff filtering by `tutor`), that tutor's availability "
            "comes as `display: background` events."
        ),
        parameters=[EventsQuery],
        responses={200: EventsOutput},
    )
    def get(self, request):
        viewer = _viewer(request)
        query = EventsQuery(
            data=request.query_params, context={"time_zone": request.user.time_zone or "UTC"}
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        zone = data["zone"]
        events = calendar_events(
            viewer=viewer,
            start=data["start"],
            end=data["end"],
            zone=zone,
            tutor_id=data.get("tutor"),
        )
        body = {
            "time_zone": zone.key,
            "start": _iso(data["start"], zone),
            "end": _iso(data["end"], zone),
            "events": events,
        }
        return Response(EventsOutput(body).data)


# Utilization -------------------------------------------------------------------------------


class WeekUtilizationOutput(serializers.Serializer):
    week_start = serializers.DateField(help_text="The Monday of the ISO week.")
    booked_hours = serializers.FloatField(
        help_text="Confirmed, completed and no-show sessions, in hours."
    )
    available_hours = serializers.FloatField(help_text="Availability windows, in hours.")
    percent = serializers.FloatField(
        allow_null=True, help_text="Booked over available in %; null with no availability."
    )


class TutorUtilizationOutput(serializers.Serializer):
    tutor_id = serializers.IntegerField(source="tutor.pk")
    name = serializers.CharField(source="tutor.full_name")
    weeks = WeekUtilizationOutput(many=True)


class UtilizationView(APIView):
    permission_classes = [IsAgencyStaff]

    class QuerySerializer(serializers.Serializer):
        week = serializers.DateField(
            required=False,
            help_text="A day of the first week (its Monday is used); default: this week, "
            "in the agency's time zone.",
        )
        weeks = serializers.IntegerField(
            required=False, default=4, min_value=1, max_value=MAX_WEEKS
        )

        def validate_week(self, value: dt.date) -> dt.date:
            if not MIN_YEAR <= value.year <= MAX_YEAR:
                raise serializers.ValidationError(
                    f"Give a date between the years {MIN_YEAR} and {MAX_YEAR}."
                )
            return value

    @extend_schema(
        operation_id="scheduling_agency_utilization",
        description=(
            "Per tutor per ISO week (Monday to Monday in the agency's time zone): hours "
            "booked (confirmed, completed and no-show sessions) over hours available "
            "(weekly rules and exceptions). Owners, admins and staff only."
        ),
        parameters=[QuerySerializer, *PAGE_PARAMETERS],
        responses={
            200: paginated(
                TutorUtilizationOutput,
                time_zone=serializers.CharField(),
                weeks=serializers.ListField(child=serializers.DateField()),
            )
        },
    )
    def get(self, request):
        viewer = _viewer(request)
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        week = week_monday(query.validated_data.get("week") or tenant_today())
        weeks = query.validated_data["weeks"]
        rows = utilization(viewer=viewer, week_start=week, weeks=weeks)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        response = paginator.get_paginated_response(TutorUtilizationOutput(page, many=True).data)
        response.data["time_zone"] = viewer.tenant.time_zone
        response.data["weeks"] = [(week + dt.timedelta(weeks=n)).isoformat() for n in range(weeks)]
        return response


urlpatterns = [
    path(
        "scheduling/calendar/events/",
        CalendarEventsView.as_view(),
        name="scheduling_calendar_events",
    ),
    path(
        "scheduling/agency/utilization/",
        UtilizationView.as_view(),
        name="scheduling_agency_utilization",
    ),
]
