"""Availability pages: a tutor's weekly hours, exceptions, booking settings, and the
agency's booking policy.

A tutor edits their own at /scheduling/availability/; owners and admins edit any tutor's
at /scheduling/tutors/<id>/availability/ and the agency's policy at /scheduling/policy/.
Every form posts with htmx and gets the whole editor back (field errors and a 400 when
input was bad, with the input kept); without JavaScript it posts normally and is
redirected back. A preview shows the next 7 days' free slots in the tutor's zone.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby, zip_longest

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.models import Membership
from config.errors import ApplicationError
from crm import selectors as crm_selectors
from crm import services as crm_services
from crm.models import TutorProfile
from crm.pages import member_required
from scheduling.forms_availability import ExceptionForm, PolicyForm, ScheduleForm
from scheduling.models import AvailabilityException, SchedulingSettings
from scheduling.policy import schedule_for
from scheduling.selectors.availability import (
    availability_exception_list,
    availability_rule_list,
    schedule_editor_is,
)
from scheduling.selectors.slots import slot_list
from scheduling.services import availability as services
from web.forms import form_apply_errors

WEEKDAYS = services.WEEKDAYS
WORKDAYS = [1, 2, 3, 4]  # "copy Monday to weekdays": Tuesday to Friday
PREVIEW_DAYS = 7
PREVIEW_MINUTES = 60


# Lookups: a tutor the viewer may not see is a 404, one they may see but not edit a 403. ---


def _tutor(request, pk: int) -> TutorProfile:
    tutor = crm_selectors.tutor_profile_get(viewer=request.membership, pk=pk)
    if tutor is None:
        raise Http404
    if not schedule_editor_is(viewer=request.membership, tutor=tutor):
        raise PermissionDenied
    return tutor


def _is_self(request, tutor: TutorProfile) -> bool:
    return (
        request.membership.role == Membership.Role.TUTOR
        and tutor.user_id == request.membership.user_id
    )


def _home(request, tutor: TutorProfile) -> str:
    if _is_self(request, tutor):
        return reverse("scheduling:availability")
    return reverse("scheduling:tutor_availability", kwargs={"pk": tutor.pk})


# The weekly editor: rows of start/end times per weekday. --------------------------------


def _clock(value: dt.time) -> str:
    return f"{value:%H:%M}"


def _saved_week(tutor: TutorProfile) -> dict[int, list[tuple[str, str]]]:
    week: dict[int, list[tuple[str, str]]] = {day: [] for day in range(7)}
    for rule in availability_rule_list(tutor=tutor):
        week[rule.weekday].append((_clock(rule.start_time), _clock(rule.end_time)))
    return week


def _posted_week(post) -> tuple[dict[int, list[tuple[str, str]]], list[str]]:
    """The rows as sent (kept for re-display) and messages for half-filled rows."""
    week: dict[int, list[tuple[str, str]]] = {}
    problems = []
    for day in range(7):
        starts = post.getlist(f"day{day}-start")
        ends = post.getlist(f"day{day}-end")
        rows = []
        for raw_start, raw_end in zip_longest(starts, ends, fillvalue=""):
            start, end = raw_start.strip(), raw_end.strip()
            if start or end:
                rows.append((start, end))
                if not (start and end):
                    problems.append(f"{WEEKDAYS[day]}: enter both a start and an end time.")
        week[day] = rows
    return week, problems


def _week_rows(week: dict[int, list[tuple[str, str]]]) -> list[dict]:
    return [
        {"index": day, "name": WEEKDAYS[day], "rows": [*week.get(day, []), ("", "")]}
        for day in range(7)
    ]


# The editor ------------------------------------------------------------------------------


def _schedule_initial(tutor: TutorProfile) -> dict:
    schedule = schedule_for(tutor)
    return {field: getattr(schedule, field) for field in services.SCHEDULE_FIELDS}


def _preview(tutor: TutorProfile) -> list[dict]:
    """The next days' free one-hour slots, grouped by the tutor's local date."""
    zone = schedule_for(tutor).zone
    now = timezone.now()
    slots = slot_list(
        tutor=tutor,
        start=now,
        end=now + dt.timedelta(days=PREVIEW_DAYS),
        duration_minutes=PREVIEW_MINUTES,
        now=now,
    )
    local = [slot.starts_at.astimezone(zone) for slot in slots]
    return [
        {"date": day, "times": [f"{moment:%H:%M}" for moment in moments]}
        for day, moments in groupby(local, key=lambda moment: moment.date())
    ]


def _editor(
    request,
    tutor: TutorProfile,
    *,
    week: dict | None = None,
    week_errors: list[str] | None = None,
    schedule_form: ScheduleForm | None = None,
    exception_form: ExceptionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    schedule = schedule_for(tutor)
    agency = SchedulingSettings.current()
    today = timezone.now().astimezone(schedule.zone).date()
    context = {
        "tutor": tutor,
        "is_self": _is_self(request, tutor),
        "zone": schedule.zone.key,
        "week": _week_rows(week if week is not None else _saved_week(tutor)),
        "week_errors": week_errors or [],
        "schedule_form": schedule_form
        or ScheduleForm(initial=_schedule_initial(tutor), agency=agency),
        "exception_form": exception_form or ExceptionForm(),
        "exceptions": availability_exception_list(tutor=tutor, first=today),
        "preview": _preview(tutor),
        "preview_minutes": PREVIEW_MINUTES,
    }
    template = (
        "scheduling/availability/_editor.html"
        if request.htmx
        else "scheduling/availability/editor.html"
    )
    return render(request, template, context, status=status)


def _back(request, tutor: TutorProfile, message: str) -> HttpResponse:
    if request.htmx:
        return _editor(request, tutor)
    messages.success(request, message)
    return redirect(_home(request, tutor))


@member_required(Membership.Role.TUTOR)
def availability(request) -> HttpResponse:
    return _editor(request, crm_services.tutor_profile_ensure(actor=request.membership))


@member_required()
def tutor_availability(request, pk: int) -> HttpResponse:
    return _editor(request, _tutor(request, pk))


@member_required()
@require_POST
def weekly_save(request, pk: int) -> HttpResponse:
    """Save the whole week as sent; with "copy", Tuesday to Friday get Monday's rows."""
    tutor = _tutor(request, pk)
    week, problems = _posted_week(request.POST)
    copy = request.POST.get("action") == "copy"
    if copy:
        week.update({day: list(week[0]) for day in WORKDAYS})
    if not problems:
        rules = [
            {"weekday": day, "start_time": start, "end_time": end}
            for day, rows in sorted(week.items())
            for start, end in rows
        ]
        try:
            services.weekly_rules_replace(
                actor=request.membership, tutor=tutor, rules=rules, request=request
            )
        except ValidationError as error:
            problems = [text for texts in error.message_dict.values() for text in texts]
        else:
            done = "Monday's hours copied to Tuesday to Friday." if copy else "Weekly hours saved."
            return _back(request, tutor, done)
    return _editor(request, tutor, week=week, week_errors=problems, status=400)


@member_required()
@require_POST
def schedule_save(request, pk: int) -> HttpResponse:
    tutor = _tutor(request, pk)
    form = ScheduleForm(request.POST, agency=SchedulingSettings.current())
    if form.is_valid():
        try:
            services.tutor_schedule_update(
                actor=request.membership, tutor=tutor, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            return _back(request, tutor, "Booking settings saved.")
    return _editor(request, tutor, schedule_form=form, status=400)


@member_required()
@require_POST
def exception_add(request, pk: int) -> HttpResponse:
    tutor = _tutor(request, pk)
    form = ExceptionForm(request.POST)
    if form.is_valid():
        try:
            services.availability_exception_add(
                actor=request.membership, tutor=tutor, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            return _back(request, tutor, "Exception added.")
    return _editor(request, tutor, exception_form=form, status=400)


@member_required()
@require_POST
def exception_delete(request, pk: int) -> HttpResponse:
    exception = AvailabilityException.objects.select_related("tutor__user").filter(pk=pk).first()
    if exception is None or not schedule_editor_is(
        viewer=request.membership, tutor=exception.tutor
    ):
        raise Http404
    services.availability_exception_delete(
        actor=request.membership, exception=exception, request=request
    )
    return _back(request, exception.tutor, "Exception removed.")


# The agency's policy ---------------------------------------------------------------------


@member_required(Membership.Role.OWNER, Membership.Role.ADMIN)
def policy(request) -> HttpResponse:
    current = SchedulingSettings.current()
    fields = list(PolicyForm.base_fields)
    status = 200
    if request.method == "POST":
        form = PolicyForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.scheduling_settings_update(
                    actor=request.membership, request=request, **form.cleaned_data
                )
            except (ValidationError, ApplicationError) as error:
                form_apply_errors(form, error)
            else:
                if not request.htmx:
                    messages.success(request, "Booking policy saved.")
                    return redirect("scheduling:policy")
                current = SchedulingSettings.current()
                form = PolicyForm(initial={f: getattr(current, f) for f in fields})
                status = 200
    else:
        form = PolicyForm(initial={f: getattr(current, f) for f in fields})
    template = (
        "scheduling/availability/_policy.html"
        if request.htmx
        else "scheduling/availability/policy.html"
    )
    return render(request, template, {"form": form, "saved": current}, status=status)


urlpatterns = [
    path("availability/", availability, name="availability"),
    path("tutors/<int:pk>/availability/", tutor_availability, name="tutor_availability"),
    path("tutors/<int:pk>/availability/weekly/", weekly_save, name="availability_weekly"),
    path("tutors/<int:pk>/availability/settings/", schedule_save, name="availability_settings"),
    path(
        "tutors/<int:pk>/availability/exceptions/",
        exception_add,
        name="availability_exception_add",
    ),
    path(
        "availability/exceptions/<int:pk>/delete/",
        exception_delete,
        name="availability_exception_delete",
    ),
    path("policy/", policy, name="policy"),
]
