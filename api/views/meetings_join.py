"""Meetings API: a session's meeting as the caller sees it, and joining it.

``GET meetings/sessions/<pk>/`` says whether the caller can join now and, if not, why;
``POST meetings/sessions/<pk>/join/`` runs the same checks, records the join and returns
where to go: the provider's URL (Zoom) or what the meeting page embeds (Jitsi: domain,
room, a token valid only inside the join window). Sessions the caller cannot see are
not found. Times come back in the ``tz`` zone, else the user's; answers are never cached.
"""

from __future__ import annotations

from django.db import connection
from django.urls import path, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsTenantMember
from api.views.scheduling_common import TZ_PARAMETER, request_zone, session_or_404
from config.errors import ApplicationError
from meetings.models import MeetingSettings, MeetingStatus
from meetings.services.joining import join_begin, join_check


class RefusalOutput(serializers.Serializer):
    code = serializers.CharField(
        help_text=(
            "permission_denied, not_confirmed, session_cancelled, too_early, session_ended, "
            "meeting_pending or meeting_failed."
        )
    )
    message = serializers.CharField(help_text="Why, for the person (times in their zone).")


class MeetingStateOutput(serializers.Serializer):
    session = serializers.IntegerField(help_text="The session's id.")
    provider = serializers.CharField(help_text="jitsi or zoom.")
    status = serializers.ChoiceField(
        choices=MeetingStatus.choices,
        allow_null=True,
        help_text="The meeting's state; null while the session has no meeting yet.",
    )
    time_zone = serializers.CharField(help_text="The zone the times are shown in.")
    opens_at = serializers.DateTimeField(help_text="The join window opens (before the start).")
    closes_at = serializers.DateTimeField(help_text="The join window closes (after the end).")
    can_join = serializers.BooleanField(help_text="Whether joining now would succeed.")
    role = serializers.CharField(
        allow_blank=True,
        help_text=(
            "The caller's part in the room: moderator (the tutor), participant or observer; "
            "empty for someone who may not join this class."
        ),
    )
    refusal = RefusalOutput(allow_null=True, help_text="Why the caller cannot join now.")
    join_url = serializers.URLField(help_text="The platform's join page for this session.")


class JoinOutput(serializers.Serializer):
    provider = serializers.CharField()
    role = serializers.CharField(help_text="moderator, participant or observer.")
    redirect_url = serializers.CharField(
        allow_blank=True, help_text="Where to send the person (Zoom); empty for Jitsi."
    )
    embed = serializers.DictField(
        help_text="What the meeting page embeds (Jitsi: domain, room, jwt, ...); empty for Zoom."
    )
    expires_at = serializers.DateTimeField(
        allow_null=True, help_text="When the credential handed out stops working."
    )


def _refusal(refusal: Exception | None) -> dict | None:
    if refusal is None:
        return None
    if isinstance(refusal, ApplicationError):
        return {"code": refusal.code, "message": refusal.message}
    return {"code": "permission_denied", "message": str(refusal)}


class _NoStore(APIView):
    """Answers for one person, now: never stored by a cache; "try later" says when."""

    permission_classes = [IsTenantMember]

    def handle_exception(self, exc):
        response = super().handle_exception(exc)
        retry_after = getattr(exc, "extra", {}).get("retry_after") if response else None
        if isinstance(exc, ApplicationError) and retry_after:
            response["Retry-After"] = str(retry_after)
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response


class MeetingStateView(_NoStore):
    @extend_schema(
        operation_id="meetings_sessions_retrieve",
        parameters=[TZ_PARAMETER],
        responses={200: MeetingStateOutput},
        description=(
            "The session's meeting and its join window, and whether the caller can join "
            "now (and if not, why). Changes nothing."
        ),
    )
    def get(self, request, pk: int):
        zone = request_zone(request)
        session = session_or_404(request, pk)
        policy = MeetingSettings.current()
        check = join_check(
            actor=request._request.membership, session=session, policy=policy, zone=zone
        )
        meeting = check.meeting
        page = reverse("meetings:join", kwargs={"pk": session.pk})
        with timezone.override(zone):
            data = MeetingStateOutput(
                {
                    "session": session.pk,
                    "provider": meeting.provider if meeting else policy.provider,
                    "status": meeting.status if meeting else None,
                    "time_zone": zone.key,
                    "opens_at": check.opens_at,
                    "closes_at": check.closes_at,
                    "can_join": check.allowed,
                    "role": check.role,
                    "refusal": _refusal(check.refusal),
                    "join_url": connection.tenant.absolute_url(page),
                }
            ).data
        return Response(data)


class MeetingJoinView(_NoStore):
    @extend_schema(
        operation_id="meetings_sessions_join",
        parameters=[TZ_PARAMETER],
        request=None,
        responses={
            200: JoinOutput,
            403: OpenApiTypes.OBJECT,
            409: OpenApiTypes.OBJECT,
        },
        description=(
            "Join the session's meeting: its tutor (moderator), student, a linked parent "
            "where the agency allows it, or agency staff as observers where allowed; from "
            "the join window's opening to its close. Records the attendance. 403 "
            "(permission_denied) for someone who may not join; 409 when it cannot be joined now "
            "(too_early, session_ended, session_cancelled, not_confirmed, meeting_pending "
            "and meeting_failed, the last two with Retry-After)."
        ),
    )
    def post(self, request, pk: int):
        zone = request_zone(request)
        session = session_or_404(request, pk)
        participant, target = join_begin(
            actor=request._request.membership, session=session, request=request._request
        )
        with timezone.override(zone):
            data = JoinOutput(
                {
                    "provider": session.meeting.provider,
                    "role": participant.role,
                    "redirect_url": target.redirect_url,
                    "embed": target.embed,
                    "expires_at": target.expires_at,
                }
            ).data
        return Response(data)


urlpatterns = [
    path("meetings/sessions/<int:pk>/", MeetingStateView.as_view(), name="meetings_session"),
    path(
        "meetings/sessions/<int:pk>/join/",
        MeetingJoinView.as_view(),
        name="meetings_session_join",
    ),
]
