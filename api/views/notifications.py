"""The signed-in user's notifications in the current tenant (or account-wide on the root)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from notifications.selectors import notification_list, notification_unread_count
from notifications.services import notification_mark_read


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    read_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class NotificationListView(APIView):
    permission_classes = [IsAuthenticated]

    class FilterSerializer(serializers.Serializer):
        unread = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        operation_id="notifications_list",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(NotificationOutput, unread_count=serializers.IntegerField())},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        items = notification_list(user=request.user)
        if filters.validated_data["unread"]:
            items = items.filter(read_at__isnull=True)
        response = paginated_response(
            request=request, view=self, queryset=items, output=NotificationOutput
        )
        response.data["unread_count"] = notification_unread_count(user=request.user)
        return response


class NotificationMarkReadView(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1),
            required=False,
            max_length=500,
            help_text="Leave out to mark everything read.",
        )

    @extend_schema(
        request=InputSerializer,
        responses={200: inline_serializer("MarkedRead", {"marked": serializers.IntegerField()})},
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = notification_mark_read(
            user=request.user, notification_ids=data.validated_data.get("ids")
        )
        return Response({"marked": marked})
