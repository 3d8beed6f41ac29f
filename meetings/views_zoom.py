"""Zoom pages: the agency's Zoom account (owners and admins), and on the root domain the
OAuth callback and the event notification endpoint Zoom calls.

**Where the OAuth callback lives.** Zoom accepts only redirect URIs registered in advance
and every agency has a host of its own, so the one callback is on the root domain
(``/meetings/zoom/oauth/callback/``, ``oauth_callback`` below). As for calendar sync, it
only reads the signed state (tenant, user, nonce) and sends the browser on, unchanged, to
the same tenant's ``/meetings/zoom/callback/``, where the flow is finished: there the
person must be signed in as the owner or admin who started it (the root domain has no
session of theirs, cookies being per host). That binds the flow to the browser that began
it: a consent link made by someone else cannot attach the visitor's Zoom account to
another agency, and the code is exchanged in the tenant whose account it is for.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Membership
from config.errors import ApplicationError
from crm.pages import member_required
from meetings.zoom import selectors, services
from meetings.zoom.oauth import zoom_state_read
from meetings.zoom.webhooks import (
    URL_VALIDATION,
    event_dispatch,
    signature_valid,
    url_validation_answer,
)
from tenants.models import Tenant

MANAGERS = tuple(Membership.MANAGER_ROLES)
FORWARDED_PARAMETERS = ("code", "state", "error")


def _page(request, *, status: int = 200, error: str = "") -> HttpResponse:
    context = {"overview": selectors.zoom_overview(viewer=request.membership), "error": error}
    template = "meetings/zoom_panel.html" if request.htmx else "meetings/zoom_page.html"
    return render(request, template, context, status=status)


@member_required(*MANAGERS)
@require_GET
def zoom_page(request) -> HttpResponse:
    return _page(request)


@member_required(*MANAGERS)
@require_POST
def zoom_connect(request) -> HttpResponse:
    """Send the browser to Zoom to ask for access."""
    return HttpResponseRedirect(services.connection_start(actor=request.membership))


@never_cache
@member_required(*MANAGERS)
@require_GET
def zoom_callback(request) -> HttpResponse:
    """The end of the flow on the tenant's host (see the module doc)."""
    try:
        connection = services.connection_complete(
            actor=request.membership,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            request=request,
        )
    except ApplicationError as error:
        return _page(request, status=error.status, error=error.message)
    name = connection.email or connection.zoom_user_id
    messages.success(request, f"Zoom account {name} connected.")
    return redirect("meetings:zoom")


@member_required(*MANAGERS)
@require_POST
def zoom_disconnect(request, pk: int) -> HttpResponse:
    connection = selectors.connection_get(viewer=request.membership, pk=pk)
    if connection is None:
        raise Http404
    services.connection_delete(actor=request.membership, connection=connection, request=request)
    if request.htmx:
        return _page(request)
    name = connection.email or connection.zoom_user_id
    messages.success(request, f"Zoom account {name} disconnected.")
    return redirect("meetings:zoom")


@member_required(*MANAGERS)
@require_POST
def zoom_use(request) -> HttpResponse:
    """Choose the account new meetings are made under ("" for the platform's)."""
    chosen = request.POST.get("connection", "")
    connection = None
    if chosen:
        if not chosen.isdigit():
            raise Http404
        connection = selectors.connection_get(viewer=request.membership, pk=int(chosen))
        if connection is None:
            raise Http404
    try:
        services.connection_use(actor=request.membership, connection=connection, request=request)
    except ApplicationError as error:
        return _page(request, status=error.status, error=error.message)
    if request.htmx:
        return _page(request)
    messages.success(request, "New classes will be set up in the chosen Zoom account.")
    return redirect("meetings:zoom")


# Root domain -------------------------------------------------------------------------------


@never_cache
@require_GET
def oauth_callback(request) -> HttpResponse:
    """Zoom's one registered redirect URI, on the root domain: forward its answer to the
    tenant host named in the signed state, unchanged. Nothing is exchanged here."""
    flow = zoom_state_read(request.GET.get("state", ""))
    tenant = (
        Tenant.objects.filter(schema_name=flow.schema_name, is_active=True)
        .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .first()
    )
    if tenant is None:
        raise ApplicationError(
            "This Zoom connection link is not valid.", code="oauth_state_invalid", status=400
        )
    query = urlencode({k: request.GET[k] for k in FORWARDED_PARAMETERS if k in request.GET})
    target = reverse("meetings:zoom_callback", urlconf=settings.ROOT_URLCONF)
    return HttpResponseRedirect(tenant.absolute_url(f"{target}?{query}"))


def _refused(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def webhook(request) -> HttpResponse:
    """Zoom's event notifications (see ``meetings.zoom.webhooks``)."""
    if not signature_valid(
        body=request.body,
        timestamp=request.headers.get("x-zm-request-timestamp", ""),
        signature=request.headers.get("x-zm-signature", ""),
    ):
        return _refused(401, "The request is not signed by Zoom.")
    try:
        payload = json.loads(request.body)
    except ValueError:
        return _refused(400, "The body is not JSON.")
    if not isinstance(payload, dict):
        return _refused(400, "The body is not a JSON object.")
    if payload.get("event") == URL_VALIDATION:
        answer = url_validation_answer(payload)
        if answer is None:
            return _refused(400, "The URL validation has no usable plainToken.")
        return JsonResponse(answer)
    return JsonResponse({"status": event_dispatch(payload)})


urlpatterns = [
    path("zoom/", zoom_page, name="zoom"),
    path("zoom/connect/", zoom_connect, name="zoom_connect"),
    path("zoom/callback/", zoom_callback, name="zoom_callback"),
    path("zoom/use/", zoom_use, name="zoom_use"),
    path("zoom/<int:pk>/disconnect/", zoom_disconnect, name="zoom_disconnect"),
]

public_urlpatterns = [
    path("zoom/oauth/callback/", oauth_callback, name="zoom_oauth_callback"),
    path("zoom/webhook/", webhook, name="zoom_webhook"),
]
