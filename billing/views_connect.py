"""Payout accounts: the agency's (owners, admins) and a tutor's own, set up on Stripe.

``connect`` shows each account the viewer looks after, what Stripe still needs, and the
buttons to start or continue onboarding (a POST that sends the browser to Stripe) or to
open the Express dashboard. Stripe sends the browser back to ``connect_return`` when the
person leaves its pages (the account is re-read from Stripe and shown), or to
``connect_refresh`` when the link has expired or was used (a new link, straight away).
Both carry ``?owner=agency|me``; who may use which account is the service's rule.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Membership
from config.errors import ApplicationError
from connect import services
from connect.gateway import GatewayError
from connect.models import ConnectedAccount
from crm.pages import member_required

OWNER_LABELS = {
    services.OWNER_AGENCY: "The agency's payout account",
    services.OWNER_ME: "Your payout account",
}


def _visible(membership: Membership) -> list[str]:
    """The accounts shown to ``membership``; a tutor paid by the agency sees an explanation."""
    owners = services.account_owners(membership)
    if not owners and membership.role != Membership.Role.TUTOR:
        raise PermissionDenied
    return owners


def _card(owner: str, account: ConnectedAccount | None) -> dict:
    return {
        "owner": owner,
        "label": OWNER_LABELS[owner],
        "account": account,
        "requirements": services.requirement_labels(account.requirements_due) if account else [],
        "dashboard": bool(
            account
            and account.details_submitted
            and account.status != ConnectedAccount.Status.REJECTED
        ),
    }


def _page(
    request,
    *,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    membership = request.membership
    owners = _visible(membership)
    cards = [_card(owner, services.account_for(actor=membership, owner=owner)) for owner in owners]
    context = {
        "cards": cards,
        "error": error,
        "paid_by_agency": membership.role == Membership.Role.TUTOR and not owners,
        "is_agency": request.tenant.kind == request.tenant.Kind.AGENCY,
    }
    return render(request, "billing/connect.html", context, status=status)


def _refused(request, error: Exception) -> HttpResponse:
    if isinstance(error, ValidationError):
        message = " ".join(error.messages)
        return _page(request, status=400, error=message)
    if isinstance(error, PermissionDenied):
        raise error
    return _page(request, status=error.status, error=error.message)


@never_cache
@member_required()
@require_safe
def connect(request) -> HttpResponse:
    return _page(request)


def _to_stripe(request, owner: str, make) -> HttpResponse:
    try:
        url = make(actor=request.membership, owner=owner)
    except (ValidationError, ApplicationError) as error:
        return _refused(request, error)
    return HttpResponseRedirect(url)


@member_required()
@require_POST
def connect_start(request) -> HttpResponse:
    """Start or continue onboarding: off to Stripe's pages."""
    return _to_stripe(request, request.POST.get("owner", ""), services.account_start)


@member_required()
@require_POST
def connect_dashboard(request) -> HttpResponse:
    """Open the account's Express dashboard on Stripe."""
    return _to_stripe(request, request.POST.get("owner", ""), services.login_link)


@never_cache
@member_required()
@require_safe
def connect_refresh(request) -> HttpResponse:
    """Stripe's link expired or was used: make a new one and go straight back."""
    return _to_stripe(request, request.GET.get("owner", ""), services.account_start)


@never_cache
@member_required()
@require_safe
def connect_return(request) -> HttpResponse:
    """Back from Stripe: re-read the account and say where it stands."""
    owner = request.GET.get("owner", "")
    try:
        account = services.account_for(actor=request.membership, owner=owner)
    except ValidationError as error:
        return _refused(request, error)
    if account is None:
        return _page(
            request,
            status=404,
            error="There is no payout account to show yet: start the onboarding first.",
        )
    warning = ""
    try:
        account = services.account_sync(account)
    except GatewayError:
        warning = "Stripe could not be reached just now: the status shown may be out of date."
    context = {"card": _card(owner, account), "warning": warning}
    return render(request, "billing/connect_return.html", context)


urlpatterns = [
    path("connect/", connect, name="connect"),
    path("connect/start/", connect_start, name="connect_start"),
    path("connect/dashboard/", connect_dashboard, name="connect_dashboard"),
    path("connect/return/", connect_return, name="connect_return"),
    path("connect/refresh/", connect_refresh, name="connect_refresh"),
]
