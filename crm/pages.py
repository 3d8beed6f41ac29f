"""Helpers shared by the crm's pages."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def member_required(*roles: str):
    """The view needs an active member of this tenant, in one of ``roles`` if given.

    ``request.membership`` is then the caller's membership.
    """

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            membership = getattr(request, "membership", None)
            if membership is None or (roles and membership.role not in roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def agency_staff_required(view):
    """The view needs an owner, admin or staff member of this tenant."""

    @wraps(view)
    @member_required()
    def wrapper(request, *args, **kwargs):
        if not request.membership.is_agency_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper
