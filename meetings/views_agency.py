"""The agency's meeting pages: every upcoming meeting with its provider, status,
attendance and completion (owners, admins, staff), retrying a meeting that could not be
set up, and the meeting settings (owners, admins).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Membership
from config.errors import ApplicationError
from crm.pages import agency_staff_required, member_required
from meetings.forms import MeetingFilterForm, MeetingSettingsForm
from meetings.models import MeetingSettings, MeetingStatus
from meetings.selectors import NOT_SET_UP, meeting_list, meeting_rows
from meetings.services.settings import meeting_settings_update
from scheduling.models import Session
from scheduling.selectors.history import viewer_zone
from scheduling.selectors.sessions import session_get
from web.forms import form_apply_errors

PAGE_SIZE = 25
SETTINGS_FIELDS = tuple(MeetingSettingsForm.base_fields)


def _query_without_page(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page"])


@agency_staff_required
@require_safe
def agency(request) -> HttpResponse:
    viewer = request.membership
    form = MeetingFilterForm(request.GET or None)
    status = 200
    if form.is_bound and not form.is_valid():
        found = Session.objects.none()
        status = 400
    else:
        search = form.search() if form.is_bound else {}
        found = meeting_list(viewer=viewer, **search)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filters": form,
        "page": page,
        "rows": meeting_rows(sessions=page.object_list),
        "query": _query_without_page(request),
        "zone": viewer_zone(viewer).key,
        "now": timezone.now(),
    }
    template = "meetings/_agency_results.html" if request.htmx else "meetings/agency.html"
    return render(request, template, context, status=status)


@agency_staff_required
@require_POST
def meeting_retry(request, pk: int) -> HttpResponse:
    """Queue the meeting's set-up again: one that failed, or a confirmed session's that
    was never made."""
    from meetings.services.lifecycle import meeting_sync_queue

    session = session_get(viewer=request.membership, pk=pk)
    if session is None:
        raise Http404
    meeting = getattr(session, "meeting", None)
    state = meeting.status if meeting is not None else NOT_SET_UP
    live = session.status == Session.Status.CONFIRMED and session.ends_at > timezone.now()
    if not live or state not in (MeetingStatus.FAILED, NOT_SET_UP):
        messages.error(request, "Only a failed or missing meeting of an upcoming class is retried.")
        return redirect("meetings:agency")
    meeting_sync_queue(session)
    messages.success(request, "The meeting is being set up again.")
    return redirect("meetings:agency")


@member_required(Membership.Role.OWNER, Membership.Role.ADMIN)
def meeting_settings(request) -> HttpResponse:
    current = MeetingSettings.current()
    status = 200
    if request.method == "POST":
        form = MeetingSettingsForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                meeting_settings_update(
                    actor=request.membership, request=request, **form.cleaned_data
                )
            except (ValidationError, ApplicationError) as error:
                form_apply_errors(form, error)
            else:
                if not request.htmx:
                    messages.success(request, "Meeting settings saved.")
                    return redirect("meetings:settings")
                current = MeetingSettings.current()
                form = MeetingSettingsForm(
                    initial={f: getattr(current, f) for f in SETTINGS_FIELDS}
                )
                status = 200
    else:
        form = MeetingSettingsForm(initial={f: getattr(current, f) for f in SETTINGS_FIELDS})
    template = "meetings/_settings.html" if request.htmx else "meetings/settings.html"
    context = {"form": form, "saved": current}
    return render(request, template, context, status=status)


urlpatterns = [
    path("", agency, name="agency"),
    path("settings/", meeting_settings, name="settings"),
    path("sessions/<int:pk>/retry/", meeting_retry, name="meeting_retry"),
]
