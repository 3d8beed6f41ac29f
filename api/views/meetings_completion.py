"""Meetings API for one session: attendance, completion (mark held, confirm, report a
problem) and consent to recording.

Sessions are reached through ``session_get``: one the caller may not see, or of another
tenant, is not found (404). A caller on the wrong side of the session gets 403, an
action the session's state does not allow 409, bad input 400 with field errors. Times
are returned in the viewer's zone (``tz``, else the user's).
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.permissions import IsTenantMember
from api.views.scheduling_common import TZ_PARAMETER
from api.views.scheduling_common import request_zone as _zone
from api.views.scheduling_common import session_or_404 as _session
from meetings.models import MeetingSettings, SessionCompletion
from meetings.selectors import completion_state
from meetings.services import completion, consent
from meetings.services.attendance import attended
from meetings.services.completion import REASON_LIMIT, completion_actions, session_side
from scheduling.models import Session

ERRORS = {
    403: OpenApiResponse(description="The caller's side of the session may not do this."),
    404: OpenApiResponse(description="No such session that the caller may see."),
    409: OpenApiResponse(description="The session's state does not allow it now."),
}
COMPLETION_STATES = [
    ("upcoming", "Not started yet"),
    ("awaiting", "Waiting for confirmation"),
    ("held", "Marked held, waiting for the student's side"),
    ("problem", "Problem reported"),
    ("completed", "Completed"),
    *[(s, label) for s, label in Session.Status.choices if s not in ("confirmed", "completed")],
]


def _viewer(request) -> Membership:
    return request._request.membership


# Output ------------------------------------------------------------------------------------


class MeetingPersonOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user) -> str:
        return user.get_full_name() or user.email


class SessionCompletionActionsOutput(serializers.Serializer):
    mark_held = serializers.BooleanField()
    confirm = serializers.BooleanField()
    report_problem = serializers.BooleanField()


class SessionCompletionOutput(serializers.Serializer):
    session_id = serializers.IntegerField()
    session_status = serializers.ChoiceField(choices=Session.Status.choices)
    state = serializers.ChoiceField(choices=COMPLETION_STATES)
    state_label = serializers.CharField()
    held_marked_at = serializers.DateTimeField(allow_null=True)
    held_marked_by = MeetingPersonOutput(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)
    confirmed_by = MeetingPersonOutput(
        allow_null=True, help_text="Empty when confirmed automatically."
    )
    confirmed_via = serializers.ChoiceField(choices=SessionCompletion.Via.choices, allow_blank=True)
    problem_reported_at = serializers.DateTimeField(allow_null=True)
    problem_reported_by = MeetingPersonOutput(allow_null=True)
    problem_reason = serializers.CharField()
    auto_confirm_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the class is confirmed automatically if both sides attended.",
    )
    actions = SessionCompletionActionsOutput(help_text="What the caller may do now.")


def _completion_data(request, pk: int) -> dict:
    session = (
        Session.objects.select_related(
            "tutor__user",
            "student",
            "subject",
            "completion__held_marked_by",
            "completion__confirmed_by",
            "completion__problem_reported_by",
        )
        .filter(pk=_session(request, pk).pk)
        .get()
    )
    done = getattr(session, "completion", None)
    now = timezone.now()
    state = completion_state(session, done, policy=MeetingSettings.current(), now=now)
    return {
        "session_id": session.pk,
        "session_status": session.status,
        "state": state.key,
        "state_label": state.label,
        "held_marked_at": done and done.held_marked_at,
        "held_marked_by": done and done.held_marked_by,
        "confirmed_at": done and done.confirmed_at,
        "confirmed_by": done and done.confirmed_by,
        "confirmed_via": done.confirmed_via if done else "",
        "problem_reported_at": done and done.problem_reported_at,
        "problem_reported_by": done and done.problem_reported_by,
        "problem_reason": done.problem_reason if done else "",
        "auto_confirm_at": state.auto_confirm_at,
        "actions": completion_actions(
            side=session_side(_viewer(request), session), session=session, completion=done, now=now
        ),
    }


def _completion_response(request, pk: int, code: int = status.HTTP_200_OK) -> Response:
    zone = _zone(request)
    with timezone.override(zone):
        return Response(SessionCompletionOutput(_completion_data(request, pk)).data, status=code)


class AttendeeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.IntegerField(
        allow_null=True, help_text="Empty: not matched to an account."
    )
    role = serializers.CharField(
        help_text="tutor, student, parent or observer; empty for a participant not matched."
    )
    display_name = serializers.CharField()
    first_joined_at = serializers.DateTimeField()
    last_joined_at = serializers.DateTimeField()
    last_left_at = serializers.DateTimeField(allow_null=True)
    join_count = serializers.IntegerField()
    seconds_present = serializers.IntegerField(
        help_text="Between the provider's joined and left events."
    )
    via_platform = serializers.BooleanField(help_text="Joined through the platform's link.")
    via_provider = serializers.BooleanField(help_text="Reported by the meeting provider.")


class SessionAttendanceOutput(serializers.Serializer):
    session_id = serializers.IntegerField()
    tutor_attended = serializers.BooleanField()
    student_attended = serializers.BooleanField(help_text="The student or a linked parent.")
    attendees = AttendeeOutput(many=True)


class RecordingConsentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    session_id = serializers.IntegerField()
    given_by = MeetingPersonOutput()
    given_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_by = MeetingPersonOutput(allow_null=True)


# Views -------------------------------------------------------------------------------------


class CompletionView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="meetings_session_completion",
        parameters=[TZ_PARAMETER],
        responses={200: SessionCompletionOutput, 404: ERRORS[404]},
        description="Whether the class was held: marked, confirmed, or a problem reported.",
    )
    def get(self, request, pk: int):
        return _completion_response(request, pk)


class HeldView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="meetings_session_held",
        parameters=[TZ_PARAMETER],
        request=None,
        responses={200: SessionCompletionOutput, **ERRORS},
        description=(
            "Mark the class held (its tutor, or the agency's staff), once it has started "
            "and while it is confirmed. The student's side is asked to confirm."
        ),
    )
    def post(self, request, pk: int):
        _zone(request)
        completion.session_held_mark(
            actor=_viewer(request), session=_session(request, pk), request=request
        )
        return _completion_response(request, pk)


class ConfirmView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="meetings_session_confirm",
        parameters=[TZ_PARAMETER],
        request=None,
        responses={200: SessionCompletionOutput, **ERRORS},
        description=(
            "Confirm the class took place: the student, a linked parent, or the agency's "
            "staff, once it has started. The session becomes completed (once: a second "
            "confirmation is a 409)."
        ),
    )
    def post(self, request, pk: int):
        _zone(request)
        completion.session_completion_confirm(
            actor=_viewer(request), session=_session(request, pk), request=request
        )
        return _completion_response(request, pk)


class ProblemView(APIView):
    permission_classes = [IsTenantMember]

    class InputSerializer(serializers.Serializer):
        reason = serializers.CharField(
            max_length=REASON_LIMIT, allow_blank=True, help_text="Required: what went wrong."
        )

    @extend_schema(
        operation_id="meetings_session_problem",
        parameters=[TZ_PARAMETER],
        request=InputSerializer,
        responses={
            200: SessionCompletionOutput,
            400: OpenApiResponse(description="No reason."),
            **ERRORS,
        },
        description=(
            "The student's side reports that the class did not happen as it should. It is "
            "then not confirmed automatically; the tutor and the agency's managers are told."
        ),
    )
    def post(self, request, pk: int):
        _zone(request)
        session = _session(request, pk)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        completion.session_problem_report(
            actor=_viewer(request), session=session, request=request, **data.validated_data
        )
        return _completion_response(request, pk)


class AttendanceView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="meetings_session_attendance",
        parameters=[TZ_PARAMETER],
        responses={200: SessionAttendanceOutput, 404: ERRORS[404]},
        description="Who joined the session's meeting, when, and how it was seen.",
    )
    def get(self, request, pk: int):
        zone = _zone(request)
        session = _session(request, pk)
        presence = attended(session)
        attendees = session.attendances.order_by("first_joined_at", "id")
        body = {
            "session_id": session.pk,
            "tutor_attended": presence["tutor"],
            "student_attended": presence["student"],
            "attendees": attendees,
        }
        with timezone.override(zone):
            return Response(SessionAttendanceOutput(body).data)


class RecordingConsentView(APIView):
    permission_classes = [IsTenantMember]

    def _render(self, request, row, code: int) -> Response:
        with timezone.override(_zone(request)):
            return Response(RecordingConsentOutput(row).data, status=code)

    @extend_schema(
        operation_id="meetings_session_recording_consent_give",
        parameters=[TZ_PARAMETER],
        request=None,
        responses={201: RecordingConsentOutput, **ERRORS},
        description=(
            "Consent to recording the class, where the agency records classes: an adult "
            "student, or a linked parent (only a parent for a student under 18), before the "
            "class ends. The caller's address is kept with it."
        ),
    )
    def post(self, request, pk: int):
        _zone(request)
        row = consent.recording_consent_give(
            actor=_viewer(request), session=_session(request, pk), request=request
        )
        return self._render(request, row, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="meetings_session_recording_consent_withdraw",
        parameters=[TZ_PARAMETER],
        request=None,
        responses={200: RecordingConsentOutput, **ERRORS},
        description=(
            "Withdraw the consent in force (the student or a linked parent). The record is "
            "kept, stamped with who withdrew it and when."
        ),
    )
    def delete(self, request, pk: int):
        _zone(request)
        row = consent.recording_consent_withdraw(
            actor=_viewer(request), session=_session(request, pk), request=request
        )
        return self._render(request, row, status.HTTP_200_OK)


urlpatterns = [
    path(
        "meetings/sessions/<int:pk>/completion/",
        CompletionView.as_view(),
        name="meetings_session_completion",
    ),
    path("meetings/sessions/<int:pk>/held/", HeldView.as_view(), name="meetings_session_held"),
    path(
        "meetings/sessions/<int:pk>/confirm/",
        ConfirmView.as_view(),
        name="meetings_session_confirm",
    ),
    path(
        "meetings/sessions/<int:pk>/problem/",
        ProblemView.as_view(),
        name="meetings_session_problem",
    ),
    path(
        "meetings/sessions/<int:pk>/attendance/",
        AttendanceView.as_view(),
        name="meetings_session_attendance",
    ),
    path(
        "meetings/sessions/<int:pk>/recording-consent/",
        RecordingConsentView.as_view(),
        name="meetings_session_recording_consent",
    ),
]
