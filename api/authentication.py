"""API authentication: JWTs bound to the tenant of the host, and portal sessions."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed as JWTAuthenticationFailed

from accounts.models import Membership
from accounts.services.tokens import FAMILY_CLAIM, TENANT_CLAIM, token_family_is_live


class TenantJWTAuthentication(JWTAuthentication):
    """A bearer token works only on the tenant it was issued for, while its sign-in stands."""

    def authenticate(self, request):
        try:
            result = super().authenticate(request)
        except JWTAuthenticationFailed as error:
            # simplejwt nests its reason in a dict; the API's error format wants a flat
            # message and a code a client can act on (``token_not_valid``).
            raise exceptions.AuthenticationFailed(
                str(error.detail.get("detail", "")), code=str(error.detail.get("code", ""))
            ) from error
        if result is None:
            return None
        user, token = result
        tenant = request._request.tenant
        if token.get(TENANT_CLAIM) != tenant.schema_name:
            raise exceptions.AuthenticationFailed(
                "This token was issued for another tenant.", code="wrong_tenant"
            )
        if not token_family_is_live(
            family_id=token.get(FAMILY_CLAIM), user_id=user.pk, tenant=tenant
        ):
            raise exceptions.AuthenticationFailed(
                "This session has ended. Please sign in again.", code="token_revoked"
            )
        membership = None
        if not tenant.is_public:
            membership = (
                Membership.objects.select_related("tenant")
                .filter(user=user, tenant=tenant, is_active=True)
                .first()
            )
            if membership is None:
                raise exceptions.AuthenticationFailed(
                    "Your access to this tenant has ended.", code="not_a_member"
                )
        request._request.membership = membership
        return user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class TenantSessionAuthentication(SessionAuthentication):
    """Portal pages calling the API with their session (membership already checked)."""
