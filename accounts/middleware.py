"""Binds a web session to the member it belongs to in the current tenant."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth import logout
from django.utils import timezone, translation

from accounts.models import Membership


class TenantMembershipMiddleware:
    """Sets ``request.membership``; ends the session of someone who lost access.

    On a tenant's host a signed-in user must hold an active membership there. When a
    manager deactivates them, the very next request finds none and logs them out.
    Also renders times in the viewer's zone and pages in their language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        tenant = getattr(request, "tenant", None)
        user = request.user
        if user.is_authenticated and tenant is not None and not tenant.is_public:
            request.membership = (
                Membership.objects.select_related("tenant")
                .filter(user=user, tenant=tenant, is_active=True)
                .first()
            )
            if request.membership is None:
                logout(request)
        if request.user.is_authenticated:
            timezone.activate(zoneinfo.ZoneInfo(request.user.time_zone))
            translation.activate(request.user.locale)
            request.LANGUAGE_CODE = request.user.locale
        elif tenant is not None and not tenant.is_public:
            timezone.activate(zoneinfo.ZoneInfo(tenant.time_zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
