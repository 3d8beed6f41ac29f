"""Binds a web session to the member it belongs to in the current tenant."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth import logout
from django.utils import timezone, translation

from accounts.models import Membership
from accounts.sessions import SESSION_TENANT_KEY


class TenantMembershipMiddleware:
    """Sets ``request.membership``; ends the session of someone who lost access.

    A session belongs to the host it was signed in on: cookies are per host, so one
    presented elsewhere was carried there by hand and is ended. On a tenant's host a
    signed-in user must also hold an active membership there. When a manager
    deactivates them, the very next request finds none and logs them out.
    Also renders times in the viewer's zone and pages in their language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        tenant = getattr(request, "tenant", None)
        if request.user.is_authenticated and tenant is not None:
            signed_in_on = request.session.get(SESSION_TENANT_KEY)
            if signed_in_on is not None and signed_in_on != tenant.schema_name:
                logout(request)
        if request.user.is_authenticated and tenant is not None and not tenant.is_public:
            request.membership = (
                Membership.objects.select_related("tenant")
                .filter(user=request.user, tenant=tenant, is_active=True)
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
