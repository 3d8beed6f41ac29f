"""Membership-based permissions: a role in the tenant of the request."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.models import Membership


class IsTenantMember(BasePermission):
    message = "You are not a member of this tenant."

    def has_permission(self, request, view) -> bool:
        return getattr(request._request, "membership", None) is not None


class IsTenantManager(IsTenantMember):
    message = "Only the owners and admins of this tenant can do this."

    def has_permission(self, request, view) -> bool:
        membership = getattr(request._request, "membership", None)
        return membership is not None and membership.role in Membership.MANAGER_ROLES


class IsPlatformStaff(BasePermission):
    message = "Only platform staff can do this."

    def has_permission(self, request, view) -> bool:
        return bool(
            request.user and request.user.is_authenticated and request.user.is_platform_staff
        )


class OnPublicHost(BasePermission):
    message = "Use the platform's root domain for this."

    def has_permission(self, request, view) -> bool:
        return request._request.tenant.is_public
