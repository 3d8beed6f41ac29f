"""Portal pages that belong to no single domain: home, dashboards, console, errors."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from accounts.models import Membership
from accounts.selectors import member_counts_by_role, membership_list_for_user
from config.errors import error_body
from meetings.services.joining import upcoming_classes
from notifications.selectors import notification_list
from tenants.models import Tenant
from tenants.selectors import tenant_list


def _api_error(request, *, status: int, code: str, message: str) -> JsonResponse | None:
    """API paths answer in the API's error shape, not with an HTML page."""
    if not request.path.startswith("/api/"):
        return None
    body = error_body(status_code=status, code=code, message=message)
    return JsonResponse(body, status=status)


def page_not_found(request, exception=None) -> HttpResponse:
    api = _api_error(request, status=404, code="not_found", message="Not found.")
    return api or render(request, "errors/404.html", status=404)


def server_error(request) -> HttpResponse:
    api = _api_error(
        request,
        status=500,
        code="server_error",
        message="Something went wrong on our side. Please try again.",
    )
    return api or render(request, "500.html", status=500)


@require_GET
def healthz(request) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def home(request) -> HttpResponse:
    """The root domain's front page; signed-in people see where they can go."""
    memberships = []
    if request.user.is_authenticated:
        memberships = list(membership_list_for_user(user=request.user))
    return render(request, "web/home.html", {"memberships": memberships})


def tenant_home(request) -> HttpResponse:
    if request.user.is_authenticated and request.membership is not None:
        return redirect("web:dashboard")
    return render(request, "web/tenant_home.html")


_ROLE_PLURALS = {
    Membership.Role.OWNER: "Owners",
    Membership.Role.ADMIN: "Admins",
    Membership.Role.STAFF: "Staff",
    Membership.Role.TUTOR: "Tutors",
    Membership.Role.STUDENT: "Students",
    Membership.Role.PARENT: "Parents",
}

_DASHBOARD_TITLES = {
    "agency": "Agency dashboard",
    "tutor": "Tutor dashboard",
    "student": "Student dashboard",
    "parent": "Parent dashboard",
}

# Dashboards that list the viewer's next classes with a join button.
_CLASS_DASHBOARDS = frozenset({"tutor", "student", "parent"})

_DASHBOARD_FOR_ROLE = {
    Membership.Role.OWNER: "agency",
    Membership.Role.ADMIN: "agency",
    Membership.Role.STAFF: "agency",
    Membership.Role.TUTOR: "tutor",
    Membership.Role.STUDENT: "student",
    Membership.Role.PARENT: "parent",
}


@login_required
def dashboard(request) -> HttpResponse:
    """Each role lands on its own dashboard."""
    membership = request.membership
    if membership is None:
        raise PermissionDenied
    kind = _DASHBOARD_FOR_ROLE[membership.role]
    context = {
        "dashboard_kind": kind,
        "dashboard_title": _DASHBOARD_TITLES[kind],
        "recent_notifications": notification_list(user=request.user)[:5],
    }
    if kind in _CLASS_DASHBOARDS:
        context["upcoming_classes"] = upcoming_classes(viewer=membership)
    if kind == "agency":
        counts = member_counts_by_role(tenant=request.tenant)
        context["member_counts"] = {
            _ROLE_PLURALS[role] if counts[role] != 1 else role.label: counts[role]
            for role in Membership.Role
        }
    return render(request, f"web/dashboard/{kind}.html", context)


@login_required
def choose_membership(request) -> HttpResponse:
    """People with several memberships pick where to go."""
    from accounts.services.handoff import login_handoff_url

    memberships = list(membership_list_for_user(user=request.user))
    if request.method == "POST":
        chosen = next((m for m in memberships if str(m.pk) == request.POST.get("membership")), None)
        if chosen is None:
            raise PermissionDenied
        return redirect(login_handoff_url(user=request.user, membership=chosen))
    return render(request, "web/choose.html", {"memberships": memberships})


@login_required
def console(request) -> HttpResponse:
    """The platform staff's console."""
    if not request.user.is_platform_staff:
        raise PermissionDenied
    tenants = tenant_list().order_by("-created_at")
    context = {
        "tenants": tenants[:50],
        "agency_count": tenants.filter(kind=Tenant.Kind.AGENCY).count(),
        "member_count": Membership.objects.filter(is_active=True).count(),
    }
    return render(request, "web/dashboard/console.html", context)
