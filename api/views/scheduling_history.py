"""Scheduling API: session history (search, CSV export, notes, attachments) and the ICS feed.

Sessions are reached through ``session_list``, so a session someone may not see (or one
of another tenant) is simply not found. Times come back in the viewer's zone: the ``tz``
query parameter, else the account's time zone.
"""

from __future__ import annotations

import datetime as dt

from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from api.views.scheduling_common import TZ_PARAMETER
from api.views.scheduling_common import request_zone as _zone
from api.views.scheduling_common import session_or_404 as _session
from crm.csv_io import csv_response
from crm.documents import document_response
from scheduling import ics
from scheduling.models import Session, SessionAttachment, SessionStatus
from scheduling.selectors import history as selectors
from scheduling.selectors.sessions import session_party
from scheduling.services import history as services

MAX_ID = 2**31 - 1
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2999, 12, 31)


def _viewer(request) -> Membership:
    return request._request.membership


# Output ------------------------------------------------------------------------------------


class HistoryNamedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class HistorySessionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    starts_at = serializers.DateTimeField(help_text="In the viewer's zone, with its offset.")
    ends_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    subject = HistoryNamedOutput()
    tutor = HistoryNamedOutput(help_text="The tutor profile.")
    student = HistoryNamedOutput(help_text="The student profile.")
    price_minor = serializers.IntegerField()
    currency = serializers.CharField()
    summary = serializers.CharField()
    homework = serializers.CharField()
    attachment_count = serializers.IntegerField()

    def to_representation(self, session: Session) -> dict:
        local = timezone.get_current_timezone()
        return {
            "id": session.pk,
            "status": session.status,
            "starts_at": session.starts_at.astimezone(local).isoformat(),
            "ends_at": session.ends_at.astimezone(local).isoformat(),
            "duration_minutes": int(session.duration.total_seconds() // 60),
            "subject": {"id": session.subject_id, "name": session.subject.name},
            "tutor": {"id": session.tutor_id, "name": session.tutor.full_name},
            "student": {"id": session.student_id, "name": session.student.full_name},
            "price_minor": session.price_minor,
            "currency": session.currency,
            "summary": session.summary,
            "homework": session.homework,
            "attachment_count": getattr(session, "attachment_count", 0),
        }


class HistoryNotesOutput(serializers.Serializer):
    session_id = serializers.IntegerField()
    summary = serializers.CharField(help_text="Shared: written by the tutor or the staff.")
    homework = serializers.CharField(help_text="Shared: written by the tutor or the staff.")
    tutor_notes = serializers.CharField(
        required=False, help_text="Only for the session's tutor: private to them."
    )
    student_notes = serializers.CharField(
        required=False, help_text="Only for the student and their parents: private to them."
    )
    editable = serializers.ListField(
        child=serializers.ChoiceField(choices=selectors.NOTE_FIELDS),
        help_text="The fields you may change.",
    )


def _notes(viewer: Membership, session: Session) -> dict:
    party = session_party(viewer=viewer, session=session)
    body = {"session_id": session.pk}
    for field in selectors.note_fields_visible(party):
        body[field] = getattr(session, field)
    body.setdefault("summary", "")
    body.setdefault("homework", "")
    body["editable"] = list(selectors.note_fields_editable(party))
    return body


class HistoryPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="full_name")


class HistoryAttachmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    original_name = serializers.CharField(source="document.original_name")
    content_type = serializers.CharField(
        source="document.content_type", help_text="What the content is, read from its bytes."
    )
    size = serializers.IntegerField(source="document.size", help_text="Bytes.")
    uploaded_by = HistoryPersonOutput()
    download_url = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_download_url(self, attachment: SessionAttachment) -> str:
        return reverse(
            "api:scheduling_session_attachment",
            kwargs={"session_id": attachment.session_id, "pk": attachment.pk},
        )


# Sessions: search and export --------------------------------------------------------------


class SessionFilters(serializers.Serializer):
    date_from = serializers.DateField(
        required=False, help_text="First day (YYYY-MM-DD, in the viewer's zone)."
    )
    date_to = serializers.DateField(required=False, help_text="Last day, included.")
    tutor = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Tutor profile id."
    )
    student = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Student profile id."
    )
    subject = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=SessionStatus.choices, required=False)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Words in the subject, the names, the summary, homework or your own notes.",
    )

    def validate(self, data: dict) -> dict:
        errors = {}
        for field in ("date_from", "date_to"):
            day = data.get(field)
            if day is not None and not EARLIEST <= day <= LATEST:
                errors[field] = [f"Use a date from {EARLIEST} to {LATEST}."]
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and not errors and end < start:
            errors["date_to"] = ["The last day cannot be before the first."]
        if errors:
            raise serializers.ValidationError(errors)
        return data


def _search(request):
    """Validated filters (a 400 with field errors otherwise), the zone, the sessions."""
    filters = SessionFilters(data=request.query_params)
    errors = {}
    if not filters.is_valid():
        errors.update(filters.errors)
    try:
        zone = _zone(request)
    except serializers.ValidationError as error:
        errors.update(error.detail)
    if errors:
        raise serializers.ValidationError(errors)
    sessions = selectors.session_search(
        viewer=_viewer(request), zone=zone, **filters.validated_data
    )
    return zone, sessions


class SessionSearchMixin:
    """``GET`` of /api/v1/scheduling/sessions/: the search. A mixin: the route's one view
    (``scheduling_sessions.SessionCollectionView``) also takes the booking ``POST``.
    """

    @extend_schema(
        operation_id="scheduling_sessions_search",
        parameters=[SessionFilters, TZ_PARAMETER, *PAGE_PARAMETERS],
        responses={200: paginated(HistorySessionOutput)},
        description="The sessions you may see, newest first: agency staff all, a tutor "
        "theirs, a student theirs, a parent their children's.",
    )
    def get(self, request):
        zone, sessions = _search(request)
        with timezone.override(zone):
            return paginated_response(
                request=request, view=self, queryset=sessions, output=HistorySessionOutput
            )


class SessionHistoryExportView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_sessions_export",
        parameters=[SessionFilters, TZ_PARAMETER],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="A CSV attachment.")
        },
        description="The search's sessions as CSV, times in the viewer's zone. Private notes "
        "appear only as your own (`my_notes`, for tutors, students and parents).",
    )
    def get(self, request):
        zone, sessions = _search(request)
        viewer = _viewer(request)
        return csv_response(
            filename=f"{viewer.tenant.slug}-sessions.csv",
            header=selectors.session_export_header(viewer=viewer),
            rows=selectors.session_export_rows(viewer=viewer, sessions=sessions, zone=zone),
        )


# Notes -------------------------------------------------------------------------------------


class SessionNotesView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        tutor_notes = serializers.CharField(
            required=False, allow_blank=True, max_length=services.NOTE_LIMIT, trim_whitespace=False
        )
        student_notes = serializers.CharField(
            required=False, allow_blank=True, max_length=services.NOTE_LIMIT, trim_whitespace=False
        )
        summary = serializers.CharField(
            required=False, allow_blank=True, max_length=services.NOTE_LIMIT, trim_whitespace=False
        )
        homework = serializers.CharField(
            required=False, allow_blank=True, max_length=services.NOTE_LIMIT, trim_whitespace=False
        )

    @extend_schema(
        operation_id="scheduling_session_notes",
        responses={200: HistoryNotesOutput},
        description="The notes you may read: private notes only of your own side.",
    )
    def get(self, request, pk: int):
        return Response(_notes(_viewer(request), _session(request, pk)))

    @extend_schema(
        operation_id="scheduling_session_notes_update",
        request=InputSerializer,
        responses={200: HistoryNotesOutput},
        description="Change the fields listed in `editable`; any other is refused (403).",
    )
    def patch(self, request, pk: int):
        session = _session(request, pk)
        data = self.InputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.session_notes_update(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return Response(_notes(_viewer(request), _session(request, pk)))


# Attachments -------------------------------------------------------------------------------


class SessionAttachmentListView(APIView):
    permission_classes = [IsTenantMember]
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(
            allow_empty_file=True, help_text="PDF, JPEG or PNG (checked from its content), 20 MB."
        )

    @extend_schema(
        operation_id="scheduling_session_attachments_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(HistoryAttachmentOutput)},
    )
    def get(self, request, pk: int):
        attachments = selectors.session_attachment_list(
            viewer=_viewer(request), session=_session(request, pk)
        )
        return paginated_response(
            request=request, view=self, queryset=attachments, output=HistoryAttachmentOutput
        )

    @extend_schema(
        operation_id="scheduling_session_attachments_create",
        request={"multipart/form-data": InputSerializer},
        responses={201: HistoryAttachmentOutput},
    )
    def post(self, request, pk: int):
        session = _session(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attachment = services.session_attachment_add(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return Response(HistoryAttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


SESSION_ID_PARAMETER = OpenApiParameter(
    "session_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The session's id."
)


class SessionAttachmentDetailView(APIView):
    permission_classes = [IsTenantMember]

    def _attachment(self, request, session_id: str, pk: int) -> SessionAttachment:
        attachment = selectors.session_attachment_get(viewer=_viewer(request), pk=pk)
        if attachment is None or str(attachment.session_id) != session_id:
            raise Http404
        return attachment

    @extend_schema(
        operation_id="scheduling_session_attachment_download",
        parameters=[SESSION_ID_PARAMETER],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The file, with its sniffed content type."
            ),
            404: OpenApiResponse(description="No such file, or not one you may see."),
        },
    )
    def get(self, request, session_id: str, pk: int):
        return document_response(self._attachment(request, session_id, pk).document)

    @extend_schema(
        operation_id="scheduling_session_attachment_delete",
        parameters=[SESSION_ID_PARAMETER],
        request=None,
        responses={204: None},
        description="Whoever shared the file, or the agency's staff.",
    )
    def delete(self, request, session_id: str, pk: int):
        services.session_attachment_delete(
            actor=_viewer(request),
            attachment=self._attachment(request, session_id, pk),
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# The ICS feed ------------------------------------------------------------------------------


class IcsFeedOutput(serializers.Serializer):
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    last_fetched_at = serializers.DateTimeField(allow_null=True)
    url = serializers.URLField(
        allow_null=True,
        help_text="The secret feed URL: only in the answer to POST, never again.",
    )


def _feed_body(feed, url: str | None = None) -> dict:
    return IcsFeedOutput(
        {
            "active": feed is not None,
            "created_at": feed.created_at if feed else None,
            "last_fetched_at": feed.last_fetched_at if feed else None,
            "url": url,
        }
    ).data


class CalendarFeedView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_calendar_feed",
        responses={200: IcsFeedOutput},
        description="Whether you have a working feed (its URL cannot be shown again).",
    )
    def get(self, request):
        return Response(_feed_body(ics.calendar_feed_active(user=request.user)))

    @extend_schema(
        operation_id="scheduling_calendar_feed_issue",
        request=None,
        responses={201: IcsFeedOutput},
        description="Make a new secret feed URL (revoking any earlier one) and show it once.",
    )
    def post(self, request):
        feed, token = ics.calendar_feed_issue(actor=_viewer(request), request=request)
        url = ics.calendar_feed_url(token=token, tenant=request._request.tenant)
        return Response(_feed_body(feed, url), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="scheduling_calendar_feed_revoke",
        request=None,
        responses={204: None},
        description="Stop the feed URL from working (nothing to do if there is none).",
    )
    def delete(self, request):
        ics.calendar_feed_revoke(actor=_viewer(request), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    # GET scheduling/sessions/ (the search) is served by the view of that route in
    # api.views.scheduling_sessions, which also takes the booking POST: SessionSearchMixin.
    path(
        "scheduling/sessions/export.csv",
        SessionHistoryExportView.as_view(),
        name="scheduling_sessions_export",
    ),
    path(
        "scheduling/sessions/<int:pk>/notes/",
        SessionNotesView.as_view(),
        name="scheduling_session_notes",
    ),
    path(
        "scheduling/sessions/<int:pk>/attachments/",
        SessionAttachmentListView.as_view(),
        name="scheduling_session_attachments",
    ),
    # ``session_id`` is matched as text and checked in the view: the route sweeps of the
    # isolation tests fill every parameter but ``pk`` with a word.
    path(
        "scheduling/sessions/<session_id>/attachments/<int:pk>/",
        SessionAttachmentDetailView.as_view(),
        name="scheduling_session_attachment",
    ),
    path("scheduling/calendar-feed/", CalendarFeedView.as_view(), name="scheduling_calendar_feed"),
]
