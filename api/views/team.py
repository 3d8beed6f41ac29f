"""A tenant's team: members and invitations (owners and admins manage; members read)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Invitation, Membership
from accounts.selectors import invitation_list_open, member_list
from accounts.services import invitations, memberships
from api.pagination import PAGE_PARAMETERS, paginated, paginated_response
from api.permissions import IsTenantManager, IsTenantMember
from api.views.auth import TIME_ZONES, UserOutput


class MemberOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    user = serializers.SerializerMethodField()

    def get_user(self, membership) -> dict:
        user = membership.user
        return {
            "id": user.pk,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
        }


class InvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class MemberListView(APIView):
    permission_classes = [IsTenantManager]

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, allow_blank=True, max_length=100)
        role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)
        active = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(
        operation_id="team_members_list",
        parameters=[FilterSerializer, *PAGE_PARAMETERS],
        responses={200: paginated(MemberOutput)},
    )
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        members = member_list(tenant=request._request.tenant, **filters.validated_data)
        return paginated_response(request=request, view=self, queryset=members, output=MemberOutput)


def _member_in_tenant(request, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "tenant"),
        pk=pk,
        tenant=request._request.tenant,
    )


class MemberDetailView(APIView):
    permission_classes = [IsTenantManager]

    class InputSerializer(serializers.Serializer):
        role = serializers.ChoiceField(choices=Membership.Role.choices)

    @extend_schema(responses={200: MemberOutput})
    def get(self, request, pk: int):
        return Response(MemberOutput(_member_in_tenant(request, pk)).data)

    @extend_schema(request=InputSerializer, responses={200: MemberOutput})
    def patch(self, request, pk: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = memberships.membership_change_role(
            membership=_member_in_tenant(request, pk),
            role=data.validated_data["role"],
            actor=request._request.membership,
            request=request,
        )
        return Response(MemberOutput(membership).data)


class MemberDeactivateView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(request=None, responses={200: MemberOutput})
    def post(self, request, pk: int):
        membership = memberships.membership_deactivate(
            membership=_member_in_tenant(request, pk),
            actor=request._request.membership,
            request=request,
        )
        return Response(MemberOutput(membership).data)


class MemberReactivateView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(request=None, responses={200: MemberOutput})
    def post(self, request, pk: int):
        membership = memberships.membership_reactivate(
            membership=_member_in_tenant(request, pk),
            actor=request._request.membership,
            request=request,
        )
        return Response(MemberOutput(membership).data)


class InvitationListView(APIView):
    permission_classes = [IsTenantManager]

    class InputSerializer(serializers.Serializer):
        email = serializers.EmailField()
        role = serializers.ChoiceField(choices=Membership.Role.choices)

    @extend_schema(
        operation_id="team_invitations_list",
        parameters=PAGE_PARAMETERS,
        responses={200: paginated(InvitationOutput)},
    )
    def get(self, request):
        pending = invitation_list_open(tenant=request._request.tenant)
        return paginated_response(
            request=request, view=self, queryset=pending, output=InvitationOutput
        )

    @extend_schema(request=InputSerializer, responses={201: InvitationOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, _ = invitations.invitation_create(
            tenant=request._request.tenant,
            actor=request._request.membership,
            request=request,
            **data.validated_data,
        )
        return Response(InvitationOutput(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeView(APIView):
    permission_classes = [IsTenantManager]

    @extend_schema(request=None, responses={200: InvitationOutput})
    def post(self, request, pk: int):
        invitation = get_object_or_404(Invitation, pk=pk, tenant=request._request.tenant)
        invitation = invitations.invitation_revoke(
            invitation=invitation, actor=request._request.membership, request=request
        )
        return Response(InvitationOutput(invitation).data)


class InvitationAcceptView(APIView):
    """Accept an invitation: signed in as, or with the password of, the invited account,
    or creating that account."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        token = serializers.CharField()
        first_name = serializers.CharField(max_length=150, required=False, default="")
        last_name = serializers.CharField(
            max_length=150, required=False, default="", allow_blank=True
        )
        password = serializers.CharField(
            max_length=128,
            required=False,
            default="",
            trim_whitespace=False,
            help_text="A new account's password, or the password of the invited account.",
        )
        otp = serializers.CharField(
            max_length=32,
            required=False,
            default="",
            allow_blank=True,
            help_text="The invited account's authenticator or recovery code, when 2FA is on.",
        )
        time_zone = serializers.ChoiceField(choices=TIME_ZONES, default="UTC")

    @extend_schema(request=InputSerializer, responses={201: MemberOutput})
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user if request.user.is_authenticated else None
        membership = invitations.invitation_accept(
            tenant=request._request.tenant, user=user, request=request, **data.validated_data
        )
        return Response(MemberOutput(membership).data, status=status.HTTP_201_CREATED)


class MyMembershipView(APIView):
    """The caller's own membership in this tenant, with their account."""

    permission_classes = [IsTenantMember]

    @extend_schema(responses={200: MemberOutput})
    def get(self, request):
        membership = request._request.membership
        body = MemberOutput(membership).data
        body["user"] = UserOutput(request.user).data
        return Response(body)
