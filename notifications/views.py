"""The notifications list, and the local outbox for development."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django_tenants.utils import schema_context

from notifications.models import OutboxEmail
from notifications.selectors import notification_list, notification_unread_count
from notifications.services import notification_mark_read


@login_required
def notification_list_page(request) -> HttpResponse:
    page = Paginator(notification_list(user=request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request) -> HttpResponse:
    """Mark the posted ``id``s read, or every notification when none is posted."""
    posted = request.POST.getlist("id")
    # Ids that are not numbers match nothing; they must not widen to "all".
    ids = [int(value) for value in posted if value.isdigit()] if posted else None
    notification_mark_read(user=request.user, notification_ids=ids)
    if request.htmx:
        unread = notification_unread_count(user=request.user)
        return render(request, "notifications/_badge.html", {"unread_notifications": unread})
    return redirect("notifications:list")


def _outbox_allowed() -> None:
    if not settings.OUTBOX_PAGE_ENABLED:
        raise Http404


def outbox_list(request) -> HttpResponse:
    """Emails the outbox backend kept instead of sending (development only)."""
    _outbox_allowed()
    with schema_context("public"):
        emails = list(OutboxEmail.objects.all()[:100])
    return render(request, "notifications/outbox_list.html", {"emails": emails})


def outbox_detail(request, pk: int) -> HttpResponse:
    _outbox_allowed()
    with schema_context("public"):
        email = get_object_or_404(OutboxEmail, pk=pk)
    return render(request, "notifications/outbox_detail.html", {"email": email})
