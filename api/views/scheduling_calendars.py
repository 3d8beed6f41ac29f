"""Scheduling API: connecting Google Calendar or Outlook for two-way sync.

A connection belongs to the person who made it, in this tenant: nobody else (staff
included) lists or removes it. Tokens never leave the server. Connecting is an OAuth
flow in the browser: ``connect`` returns the provider's authorization URL; the provider
then sends the browser to the platform's callback, which finishes on this tenant's host
(the person signs in there if they have not).
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Membership
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantMember
from scheduling.calendars import selectors, services
from scheduling.models import CalendarConnection


def _viewer(request) -> Membership:
    return request._request.membership


class CalendarConnectionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.ChoiceField(choices=CalendarConnection.Provider.choices)
    provider_name = serializers.CharField(source="get_provider_display")
    account_email = serializers.EmailField(allow_blank=True)
    status = serializers.ChoiceField(
        choices=CalendarConnection.Status.choices,
        help_text="active: in sync; error: access was lost, connect again.",
    )
    last_error = serializers.CharField(allow_blank=True)
    busy_synced_at = serializers.DateTimeField(
        allow_null=True, help_text="When busy times were last read (tutors only)."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class CalendarAuthorizationOutput(serializers.Serializer):
    provider = serializers.ChoiceField(choices=CalendarConnection.Provider.choices)
    authorization_url = serializers.URLField(
        help_text="Open this in the person's browser to ask the provider for access."
    )
    expires_in = serializers.IntegerField(help_text="Seconds the flow stays valid.")


class CalendarConnectionListView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_calendars_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(CalendarConnectionOutput)},
    )
    def get(self, request):
        connections = selectors.connection_list(viewer=_viewer(request))
        return paginated_response(
            request=request, view=self, queryset=connections, output=CalendarConnectionOutput
        )


class CalendarConnectView(APIView):
    permission_classes = [IsTenantMember]

    @extend_schema(
        operation_id="scheduling_calendars_connect",
        parameters=[
            OpenApiParameter(
                "provider",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=CalendarConnection.Provider.values,
                description="The calendar provider (only configured ones are offered).",
            )
        ],
        request=None,
        responses={200: CalendarAuthorizationOutput},
    )
    def post(self, request, provider: str):
        if provider not in CalendarConnection.Provider.values:
            raise Http404
        url = services.connection_start(actor=_viewer(request), provider=provider)
        body = {
            "provider": provider,
            "authorization_url": url,
            "expires_in": settings.CALENDAR_OAUTH_STATE_MAX_AGE,
        }
        return Response(CalendarAuthorizationOutput(body).data)


class CalendarConnectionDetailView(APIView):
    permission_classes = [IsTenantMember]

    def _connection(self, request, pk: int) -> CalendarConnection:
        connection = selectors.connection_get(viewer=_viewer(request), pk=pk)
        if connection is None:
            raise Http404
        return connection

    @extend_schema(
        operation_id="scheduling_calendars_get", responses={200: CalendarConnectionOutput}
    )
    def get(self, request, pk: int):
        return Response(CalendarConnectionOutput(self._connection(request, pk)).data)

    @extend_schema(operation_id="scheduling_calendars_delete", request=None, responses={204: None})
    def delete(self, request, pk: int):
        services.connection_delete(
            actor=_viewer(request), connection=self._connection(request, pk), request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path(
        "scheduling/calendars/",
        CalendarConnectionListView.as_view(),
        name="scheduling_calendars",
    ),
    path(
        "scheduling/calendars/<str:provider>/connect/",
        CalendarConnectView.as_view(),
        name="scheduling_calendar_connect",
    ),
    path(
        "scheduling/calendars/<int:pk>/",
        CalendarConnectionDetailView.as_view(),
        name="scheduling_calendar",
    ),
]
