"""Agency sign-up and the signed-in user's memberships (root domain)."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import membership_list_for_user
from api.permissions import OnPublicHost
from api.views.auth import TIME_ZONES
from tenants.signup import agency_signup


class TenantOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    time_zone = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, tenant) -> str:
        return tenant.absolute_url("/")


class AgencySignupView(APIView):
    """Create an agency at <slug>.<root domain>, and its owner's account if needed.

    Signed in: the caller becomes the owner. Otherwise the owner's details are
    required and a verification email is sent before they can sign in.
    """

    permission_classes = [AllowAny, OnPublicHost]

    class InputSerializer(serializers.Serializer):
        agency_name = serializers.CharField(max_length=120)
        slug = serializers.CharField(max_length=40, help_text="The subdomain: acme → acme.<domain>")
        time_zone = serializers.ChoiceField(choices=TIME_ZONES, default="UTC")
        email = serializers.EmailField(required=False)
        password = serializers.CharField(max_length=128, required=False, trim_whitespace=False)
        first_name = serializers.CharField(max_length=150, required=False)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        locale = serializers.ChoiceField(choices=settings.LANGUAGES, default="en")

    @extend_schema(request=InputSerializer, responses={201: TenantOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        owner = request.user if request.user.is_authenticated else None
        tenant = agency_signup(**data.validated_data, owner=owner, request=request)
        return Response(TenantOutput(tenant).data, status=status.HTTP_201_CREATED)


class MembershipOutput(serializers.Serializer):
    role = serializers.CharField()
    tenant = TenantOutput()


class MyMembershipsView(APIView):
    """Where the signed-in user can act: one entry per active membership."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MembershipOutput(many=True)})
    def get(self, request):
        memberships = membership_list_for_user(user=request.user)
        return Response(MembershipOutput(memberships, many=True).data)
