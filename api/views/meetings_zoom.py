"""Meetings API: the agency's Zoom account (owners and admins only).

Connecting is an OAuth flow in the browser: ``connect`` returns Zoom's authorization URL;
Zoom then sends the browser to the platform's callback on the root domain, which hands it
on to this tenant's host, where the person who started it must be signed in. Tokens never
leave the server.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.permissions import IsTenantManager
from api.views.scheduling_sessions import MAX_ID
from meetings.models import ZoomConnection
from meetings.zoom import selectors, services


def _viewer(request) -> Membership:
    return request._request.membership


class ZoomConnectionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField(allow_blank=True, help_text="The Zoom user's address.")
    zoom_user_id = serializers.CharField()
    status = serializers.ChoiceField(
        choices=ZoomConnection.Status.choices,
        help_text="active: working; revoked: access was lost, connect it again.",
    )
    last_error = serializers.CharField(allow_blank=True)
    connected_by = serializers.EmailField(source="connected_by.email")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class ZoomStatusOutput(serializers.Serializer):
    connections = ZoomConnectionOutput(many=True)
    in_use = serializers.IntegerField(
        source="in_use.pk",
        allow_null=True,
        default=None,
        help_text="The connection new meetings are made under; null: the platform's account.",
    )
    in_use_active = serializers.BooleanField(
        help_text="False when the chosen connection needs reconnecting (the platform's "
        "account is used meanwhile)."
    )
    platform_available = serializers.BooleanField(
        help_text="Whether the platform's own Zoom account is available as a fallback."
    )
    can_connect = serializers.BooleanField(help_text="Whether Zoom accounts can be connected.")
    provider_is_zoom = serializers.BooleanField(
        help_text="Whether the agency's classes use Zoom at present."
    )


class ZoomAuthorizationOutput(serializers.Serializer):
    authorization_url = serializers.URLField(
        help_text="Open this in the person's browser to ask Zoom for access."
    )
    expires_in = serializers.IntegerField(help_text="Seconds the flow stays valid.")


def _status(request) -> Response:
    return Response(ZoomStatusOutput(selectors.zoom_overview(viewer=_viewer(request))).data)


class ZoomStatusView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(operation_id="meetings_zoom_status", responses={200: ZoomStatusOutput})
    def get(self, request):
        return _status(request)


class ZoomConnectView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(
        operation_id="meetings_zoom_connect",
        request=None,
        responses={200: ZoomAuthorizationOutput},
        description="Begin connecting a Zoom account: the URL of Zoom's consent page.",
    )
    def post(self, request):
        url = services.connection_start(actor=_viewer(request))
        body = {"authorization_url": url, "expires_in": settings.CALENDAR_OAUTH_STATE_MAX_AGE}
        return Response(ZoomAuthorizationOutput(body).data)


class ZoomUseView(APIView):
    permission_classes = [IsTenantManager]

    class InputSerializer(serializers.Serializer):
        connection = serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            allow_null=True,
            help_text="The connection to make new meetings under; null: the platform's account.",
        )

    @extend_schema(
        operation_id="meetings_zoom_use",
        request=InputSerializer,
        responses={200: ZoomStatusOutput},
        description="Choose the Zoom account the agency's new meetings are made under.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chosen = data.validated_data["connection"]
        connection = None
        if chosen is not None:
            connection = selectors.connection_get(viewer=_viewer(request), pk=chosen)
            if connection is None:
                raise Http404
        services.connection_use(actor=_viewer(request), connection=connection, request=request)
        return _status(request)


class ZoomConnectionView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(
        operation_id="meetings_zoom_disconnect",
        request=None,
        responses={204: None},
        description=(
            "Disconnect a Zoom account: its tokens are forgotten and the grant is revoked at "
            "Zoom. Meetings already made stay in that account."
        ),
    )
    def delete(self, request, pk: int):
        connection = (
            selectors.connection_get(viewer=_viewer(request), pk=pk) if pk <= MAX_ID else None
        )
        if connection is None:
            raise Http404
        services.connection_delete(actor=_viewer(request), connection=connection, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("meetings/zoom/", ZoomStatusView.as_view(), name="meetings_zoom"),
    path("meetings/zoom/connect/", ZoomConnectView.as_view(), name="meetings_zoom_connect"),
    path("meetings/zoom/use/", ZoomUseView.as_view(), name="meetings_zoom_use"),
    path(
        "meetings/zoom/connections/<int:pk>/",
        ZoomConnectionView.as_view(),
        name="meetings_zoom_connection",
    ),
]
