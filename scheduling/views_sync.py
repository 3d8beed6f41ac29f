"""Calendar sync pages: connect Google Calendar or Outlook, see how each connection is
doing, disconnect it.

**Where the OAuth callback lives.** Google and Microsoft accept only redirect URIs
registered in advance, exactly, with no wildcards for subdomains, and every agency has a
host of its own. So each provider has one callback on the root domain
(``/calendars/oauth/<provider>/callback/``, ``oauth_callback`` below). That view only
reads the signed state (which names the tenant, the user, the provider and a nonce) and
sends the browser on to the same path on the tenant's host, where ``calendar_callback``
finishes the flow: there the person must be signed in as the user who started it (the
root domain has no session of theirs, cookies being per host). That binds the flow to
the browser that began it, so a link made by someone else can never attach the visitor's
calendar to another account, and the code is exchanged in the tenant whose data it is for.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from config.errors import ApplicationError
from crm.pages import member_required
from scheduling.calendars import selectors, services
from scheduling.calendars.adapters import providers_offered
from scheduling.calendars.oauth import state_read
from scheduling.models import CalendarConnection
from tenants.models import Tenant

Provider = CalendarConnection.Provider
FORWARDED_PARAMETERS = ("code", "state", "error")


def _provider(provider: str) -> str:
    if provider not in Provider.values:
        raise Http404
    return provider


def _page(request, *, status: int = 200, error: str = "") -> HttpResponse:
    connections = list(selectors.connection_list(viewer=request.membership))
    working = {c.provider for c in connections if c.status == CalendarConnection.Status.ACTIVE}
    offers = [
        {
            "value": value,
            "label": Provider(value).label,
            "reconnect": value in {c.provider for c in connections},
        }
        for value in providers_offered()
        if value not in working
    ]
    context = {"connections": connections, "offers": offers, "error": error}
    template = (
        "scheduling/calendars/_connections.html"
        if request.htmx
        else "scheduling/calendars/list.html"
    )
    return render(request, template, context, status=status)


@member_required()
@require_GET
def calendar_list(request) -> HttpResponse:
    return _page(request)


@member_required()
@require_POST
def calendar_connect(request, provider: str) -> HttpResponse:
    """Send the browser to the provider to ask for access."""
    url = services.connection_start(actor=request.membership, provider=_provider(provider))
    return HttpResponseRedirect(url)


@never_cache
@member_required()
@require_GET
def calendar_callback(request, provider: str) -> HttpResponse:
    """The end of the flow on the tenant's host (see the module doc)."""
    provider = _provider(provider)
    try:
        connection = services.connection_complete(
            actor=request.membership,
            provider=provider,
            state=request.GET.get("state", ""),
            code=request.GET.get("code", ""),
            error=request.GET.get("error", ""),
            request=request,
        )
    except ApplicationError as error:
        return _page(request, status=error.status, error=error.message)
    messages.success(
        request,
        f"{connection.get_provider_display()} connected. Your confirmed sessions will "
        "appear in it and stay up to date.",
    )
    return redirect("scheduling:calendars")


@member_required()
@require_POST
def calendar_disconnect(request, pk: int) -> HttpResponse:
    connection = selectors.connection_get(viewer=request.membership, pk=pk)
    if connection is None:
        raise Http404
    services.connection_delete(actor=request.membership, connection=connection, request=request)
    if request.htmx:
        return _page(request)
    messages.success(request, f"{connection.get_provider_display()} disconnected.")
    return redirect("scheduling:calendars")


@never_cache
@require_GET
def oauth_callback(request, provider: str) -> HttpResponse:
    """The providers' one registered redirect URI, on the root domain: forward the answer to
    the tenant host named in the signed state, unchanged. Nothing is exchanged here.
    """
    provider = _provider(provider)
    flow = state_read(request.GET.get("state", ""))
    tenant = (
        Tenant.objects.filter(schema_name=flow.schema_name, is_active=True)
        .exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
        .first()
    )
    if tenant is None or flow.provider != provider:
        raise ApplicationError(
            "This calendar connection link is not valid.", code="oauth_state_invalid", status=400
        )
    query = urlencode({k: request.GET[k] for k in FORWARDED_PARAMETERS if k in request.GET})
    target = reverse(
        "scheduling:calendar_callback", urlconf=settings.ROOT_URLCONF, kwargs={"provider": provider}
    )
    return HttpResponseRedirect(tenant.absolute_url(f"{target}?{query}"))


urlpatterns = [
    path("calendars/", calendar_list, name="calendars"),
    path("calendars/<str:provider>/connect/", calendar_connect, name="calendar_connect"),
    path("calendars/<str:provider>/callback/", calendar_callback, name="calendar_callback"),
    path("calendars/<int:pk>/disconnect/", calendar_disconnect, name="calendar_disconnect"),
]
