"""Scheduling pages: the calendars (everyone's own, the agency's) and the agency's utilization.

The calendars are FullCalendar (vendored, no CDN) fed by the calendar events API
(``api:scheduling_calendar_events``) through ``static/scheduling/calendar.js``; times are
in the viewer's own time zone. Utilization is a plain table rendered on the server.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path, reverse

from accounts.models import Membership
from crm.minors import tenant_today
from crm.pages import agency_staff_required, member_required
from crm.selectors.tutors import tutor_profile_list
from scheduling.models import SessionStatus
from scheduling.selectors.sessions import tutor_profile_for
from scheduling.selectors.utilization import MAX_WEEKS, utilization, week_monday

__all__ = ["STATUS_COLOURS", "TUTOR_COLOURS", "tutor_colour"]

# Dark enough for white text (WCAG AA at the calendar's font size).
STATUS_COLOURS = {
    SessionStatus.REQUESTED: "#92400e",
    SessionStatus.CONFIRMED: "#1d4ed8",
    SessionStatus.COMPLETED: "#047857",
    SessionStatus.NO_SHOW: "#b91c1c",
    SessionStatus.CANCELLED: "#4b5563",
    SessionStatus.DECLINED: "#4b5563",
    SessionStatus.EXPIRED: "#4b5563",
}
AVAILABILITY_COLOUR = "#86efac"
TUTOR_COLOURS = (
    "#1d4ed8",
    "#b91c1c",
    "#047857",
    "#7c3aed",
    "#b45309",
    "#0e7490",
    "#be185d",
    "#4d7c0f",
    "#9f1239",
    "#334155",
)
# Statuses a calendar shows: what was never agreed (declined, expired) is left out.
CALENDAR_STATUSES = (
    SessionStatus.REQUESTED,
    SessionStatus.CONFIRMED,
    SessionStatus.COMPLETED,
    SessionStatus.NO_SHOW,
    SessionStatus.CANCELLED,
)


def tutor_colour(tutor_id: int) -> str:
    """A tutor's colour on the agency's calendar, the same on every page and request."""
    return TUTOR_COLOURS[tutor_id % len(TUTOR_COLOURS)]


def _status_legend() -> list[tuple[str, str]]:
    return [(SessionStatus(status).label, STATUS_COLOURS[status]) for status in CALENDAR_STATUSES]


def _time_zone(request) -> str:
    return request.user.time_zone or "UTC"


# Calendars ---------------------------------------------------------------------------------


@member_required()
def calendar(request) -> HttpResponse:
    """The viewer's own sessions; a tutor also sees their availability behind them."""
    viewer = request.membership
    tutor = None
    if viewer.role == Membership.Role.TUTOR:
        tutor = tutor_profile_for(user_id=viewer.user_id)
    return render(
        request,
        "scheduling/calendar/calendar.html",
        {
            "events_url": reverse("api:scheduling_calendar_events"),
            "time_zone": _time_zone(request),
            "tutor": tutor,
            "legend": _status_legend(),
            "availability_colour": AVAILABILITY_COLOUR,
        },
    )


@agency_staff_required
def agency_calendar(request) -> HttpResponse:
    """Every tutor's sessions, one colour per tutor; filtering by a tutor adds their
    availability behind their sessions."""
    tutors = [
        {"profile": profile, "colour": tutor_colour(profile.pk)}
        for profile in tutor_profile_list(viewer=request.membership).filter(user__isnull=False)
    ]
    return render(
        request,
        "scheduling/calendar/agency.html",
        {
            "events_url": reverse("api:scheduling_calendar_events"),
            "time_zone": _time_zone(request),
            "tutors": tutors,
            "legend": _status_legend(),
            "availability_colour": AVAILABILITY_COLOUR,
        },
    )


# Utilization -------------------------------------------------------------------------------

WEEK_CHOICES = [(1, "1 week"), (2, "2 weeks"), (4, "4 weeks"), (8, "8 weeks"), (12, "12 weeks")]


class UtilizationForm(forms.Form):
    week = forms.DateField(
        label="Week of", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    weeks = forms.TypedChoiceField(
        label="Weeks shown", choices=WEEK_CHOICES, coerce=int, required=False
    )

    def clean_week(self) -> dt.date | None:
        week = self.cleaned_data.get("week")
        if week is not None and not 1970 <= week.year <= 2999:
            raise forms.ValidationError("Choose a date between the years 1970 and 2999.")
        return week

    def clean_weeks(self) -> int:
        weeks = self.cleaned_data.get("weeks") or 4
        if not 1 <= weeks <= MAX_WEEKS:
            raise forms.ValidationError(f"Choose between 1 and {MAX_WEEKS} weeks.")
        return weeks


@agency_staff_required
def agency_utilization(request) -> HttpResponse:
    """Booked over available hours per tutor per ISO week (the agency's time zone)."""
    form = UtilizationForm(request.GET or None)
    status = 200
    week, weeks = week_monday(tenant_today()), 4
    if form.is_bound:
        if form.is_valid():
            week = week_monday(form.cleaned_data["week"] or week)
            weeks = form.cleaned_data["weeks"]
        else:
            status = 400
    rows = utilization(viewer=request.membership, week_start=week, weeks=weeks)
    mondays = [week + dt.timedelta(weeks=n) for n in range(weeks)]
    return render(
        request,
        "scheduling/calendar/utilization.html",
        {
            "form": form if form.is_bound else UtilizationForm(initial={"week": week, "weeks": 4}),
            "rows": rows,
            "mondays": mondays,
            "week": week,
            "weeks": weeks,
            "previous_week": week - dt.timedelta(weeks=weeks),
            "next_week": week + dt.timedelta(weeks=weeks),
            "this_week": week_monday(tenant_today()),
            "tenant_time_zone": request.membership.tenant.time_zone,
        },
        status=status,
    )


urlpatterns = [
    path("calendar/", calendar, name="calendar"),
    path("agency/calendar/", agency_calendar, name="agency_calendar"),
    path("agency/utilization/", agency_utilization, name="agency_utilization"),
]
