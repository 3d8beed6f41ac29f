"""Scheduling pages: booking a session, and the tutor's inbox of requests.

Booking goes tutor → subject, length (and, for a parent or the agency, the student) → a
free slot, shown in the viewer's own time zone a week at a time → a confirmation with the
price and the tutor's cancellation policy → ``session_request``. Refusals (the slot was
just taken, consent is missing, ...) come back on the page as errors, never a 500.

Tutors answer their requests (owners and admins answer anyone's) with htmx: the inbox is
re-rendered after each answer.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts.models import Membership
from config.errors import ApplicationError
from crm.minors import student_check
from crm.models import StudentProfile, TutorProfile, TutorSubject
from crm.pages import member_required
from crm.selectors.tutors import tutor_profile_list, tutor_profile_visible_sections
from scheduling.models import Session
from scheduling.policy import policy_for, schedule_for
from scheduling.selectors.sessions import bookable_students, session_get, session_list
from scheduling.selectors.slots import slot_list
from scheduling.services.bookings import (
    DURATIONS,
    session_accept,
    session_decline,
    session_request,
)
from scheduling.services.common import session_price
from web.forms import form_apply_errors

Role = Membership.Role
DEFAULT_DURATION = 60
# No tutor takes bookings further ahead than this (TutorSchedule.booking_horizon_days).
FURTHEST_WEEK = dt.timedelta(days=730)
# Where a service's field errors land on the booking form.
FORM_FIELD_FOR = {"subject": "offer", "level": "offer", "duration_minutes": "duration"}


def _money(minor: int, currency: str) -> str:
    """Minor units shown in major ones (4550 → GBP 45.50); free sessions say so."""
    if not minor:
        return "Free of charge"
    return f"{currency} {Decimal(minor) / 100:.2f}"


def _zone(request) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.user.time_zone or "UTC")


def _booker_required(view):
    """Students, parents and agency staff book; tutors book through the agency."""

    @member_required()
    def wrapper(request, *args, **kwargs):
        if request.membership.role == Role.TUTOR:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _offers(tutor: TutorProfile) -> list[TutorSubject]:
    return [item for item in tutor.subjects.all() if item.subject.is_active]


def _bookable_tutors(viewer: Membership):
    return (
        tutor_profile_list(viewer=viewer)
        .filter(user__isnull=False, subjects__subject__is_active=True)
        .distinct()
    )


def _tutor(request, pk: int) -> TutorProfile:
    tutor = _bookable_tutors(request.membership).filter(pk=pk).first()
    if tutor is None:
        raise Http404
    return tutor


# Choosing a tutor --------------------------------------------------------------------------


@_booker_required
def book(request) -> HttpResponse:
    """The agency's tutors with what they teach."""
    viewer = request.membership
    tutors = []
    for profile in _bookable_tutors(viewer):
        show_rates = "rates" in tutor_profile_visible_sections(profile=profile, viewer=viewer)
        offers = [
            {
                "item": item,
                "rate": _money(item.hourly_rate_minor or 0, item.currency) if show_rates else "",
            }
            for item in _offers(profile)
        ]
        tutors.append({"profile": profile, "offers": offers})
    return render(request, "scheduling/booking/tutors.html", {"tutors": tutors})


# Choosing a slot ---------------------------------------------------------------------------


class SlotsForm(forms.Form):
    offer = forms.TypedChoiceField(label="Subject", coerce=int)
    duration = forms.TypedChoiceField(
        label="Length", coerce=int, choices=[(m, f"{m} minutes") for m in DURATIONS]
    )
    student = forms.ModelChoiceField(
        label="Student", queryset=StudentProfile.objects.none(), empty_label=None
    )
    week = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, tutor: TutorProfile, viewer: Membership, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.offers = {item.pk: item for item in _offers(tutor)}
        self.fields["offer"].choices = [
            (item.pk, f"{item.subject.name} ({item.get_level_display()})")
            for item in self.offers.values()
        ]
        students = bookable_students(viewer=viewer).order_by("first_name", "last_name", "id")
        self.fields["student"].queryset = students
        self.fields["student"].label_from_instance = lambda student: student.full_name
        # A student books for themself: the choice is made for them.
        self.chooses_student = viewer.role != Role.STUDENT
        if not self.chooses_student:
            self.fields["student"].widget = forms.HiddenInput()

    def clean_week(self) -> dt.date:
        week = self.cleaned_data.get("week") or self.today
        if week < self.today:
            return self.today
        if week - self.today > FURTHEST_WEEK:
            raise forms.ValidationError("This is too far ahead to book.")
        return week


def _slots_form(request, tutor: TutorProfile) -> SlotsForm:
    """The slot chooser, its blanks filled with defaults (first subject, an hour, today)."""
    viewer = request.membership
    today = timezone.now().astimezone(_zone(request)).date()
    blank = SlotsForm(tutor=tutor, viewer=viewer, today=today)
    first_student = blank.fields["student"].queryset.first()
    data = {
        "offer": next(iter(blank.offers), ""),
        "duration": DEFAULT_DURATION,
        "student": first_student.pk if first_student else "",
        "week": today.isoformat(),
    }
    data.update({key: value for key, value in request.GET.items() if key in data and value})
    return SlotsForm(data, tutor=tutor, viewer=viewer, today=today)


def _days(request, tutor: TutorProfile, form: SlotsForm) -> list[dict]:
    """Seven days from ``week`` in the viewer's zone, each with its free slots."""
    zone = _zone(request)
    week: dt.date = form.cleaned_data["week"]
    start = dt.datetime.combine(week, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(week + dt.timedelta(days=7), dt.time(), tzinfo=zone)
    slots = slot_list(
        tutor=tutor, start=start, end=end, duration_minutes=form.cleaned_data["duration"]
    )
    days = [{"date": week + dt.timedelta(days=n), "slots": []} for n in range(7)]
    confirm = reverse("scheduling:book_confirm", kwargs={"pk": tutor.pk})
    for slot in slots:
        local = slot.starts_at.astimezone(zone)
        index = (local.date() - week).days
        if 0 <= index < 7:
            query = {
                "offer": form.cleaned_data["offer"],
                "duration": form.cleaned_data["duration"],
                "student": form.cleaned_data["student"].pk,
                "starts_at": slot.starts_at.isoformat(),
            }
            days[index]["slots"].append({"slot": slot, "url": f"{confirm}?{urlencode(query)}"})
    return days


@_booker_required
def book_tutor(request, pk: int) -> HttpResponse:
    """A tutor's free slots for a week, in the viewer's time zone."""
    tutor = _tutor(request, pk)
    form = _slots_form(request, tutor)
    days, status = [], 200
    no_students = not form.fields["student"].queryset.exists()
    if not no_students and form.offers:
        if form.is_valid():
            days = _days(request, tutor, form)
        else:
            status = 400
    week = form.cleaned_data.get("week") if form.is_valid() else None
    context = {
        "tutor": tutor,
        "form": form,
        "days": days,
        "no_students": no_students,
        "time_zone": _zone(request).key,
        "week": week,
        "last_day": week + dt.timedelta(days=6) if week else None,
        "previous_week": _week_link(form, week, -7) if week and week > form.today else None,
        "next_week": _week_link(form, week, 7) if week else None,
    }
    template = "scheduling/booking/_slots.html" if request.htmx else "scheduling/booking/slots.html"
    return render(request, template, context, status=status)


def _week_link(form: SlotsForm, week: dt.date, days: int) -> str:
    target = max(week + dt.timedelta(days=days), form.today)
    query = {
        "offer": form.cleaned_data["offer"],
        "duration": form.cleaned_data["duration"],
        "student": form.cleaned_data["student"].pk,
        "week": target.isoformat(),
    }
    return "?" + urlencode(query)


# Confirming --------------------------------------------------------------------------------


class BookingForm(forms.Form):
    offer = forms.TypedChoiceField(coerce=int, widget=forms.HiddenInput())
    duration = forms.TypedChoiceField(
        coerce=int, choices=[(m, str(m)) for m in DURATIONS], widget=forms.HiddenInput()
    )
    student = forms.ModelChoiceField(
        queryset=StudentProfile.objects.none(), widget=forms.HiddenInput()
    )
    starts_at = forms.CharField(max_length=40, widget=forms.HiddenInput())
    message = forms.CharField(
        label="Message to the tutor",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what you would like to work on.",
    )

    def __init__(self, *args, tutor: TutorProfile, viewer: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {item.pk: item for item in _offers(tutor)}
        self.fields["offer"].choices = [(pk, pk) for pk in self.offers]
        self.fields["student"].queryset = bookable_students(viewer=viewer)

    def clean_starts_at(self) -> dt.datetime:
        value = self.cleaned_data["starts_at"].strip().replace(" ", "+")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            raise forms.ValidationError("Choose a time from the list of free times.")
        return parsed

    @property
    def offer_item(self) -> TutorSubject:
        return self.offers[self.cleaned_data["offer"]]


def _apply(form: forms.Form, error: Exception) -> None:
    """A service's errors onto the booking form, its field names mapped to the form's."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        error = ValidationError(
            {FORM_FIELD_FOR.get(name, name): errors for name, errors in error.error_dict.items()}
        )
    form_apply_errors(form, error)


def _problems(form: forms.Form) -> list[str]:
    """Every error of the form, the hidden fields' ones included (the slot was taken...)."""
    return [message for errors in form.errors.values() for message in errors]


def _summary(request, tutor: TutorProfile, form: BookingForm) -> dict:
    """What the confirmation shows: when, with whom, the price, the policy."""
    data = form.cleaned_data
    item = form.offer_item
    starts_at = data["starts_at"].astimezone(_zone(request))
    price, currency = session_price(
        tutor=tutor, subject=item.subject, minutes=data["duration"], level=item.level
    )
    return {
        "item": item,
        "student": data["student"],
        "starts_at": starts_at,
        "ends_at": starts_at + dt.timedelta(minutes=data["duration"]),
        "duration": data["duration"],
        "price": _money(price, currency),
        "policy": policy_for(tutor),
        "instant": schedule_for(tutor).instant_booking,
    }


def _back_to_slots(tutor: TutorProfile, form: BookingForm) -> str:
    url = reverse("scheduling:book_tutor", kwargs={"pk": tutor.pk})
    data = getattr(form, "cleaned_data", {})
    query = {
        key: (value.pk if hasattr(value, "pk") else value)
        for key, value in (
            ("offer", data.get("offer")),
            ("duration", data.get("duration")),
            ("student", data.get("student")),
        )
        if value
    }
    starts_at = data.get("starts_at")
    if isinstance(starts_at, dt.datetime):
        query["week"] = starts_at.date().isoformat()
    return f"{url}?{urlencode(query)}" if query else url


@_booker_required
def book_confirm(request, pk: int) -> HttpResponse:
    """Confirm one slot (GET shows the price and policy; POST books it)."""
    tutor = _tutor(request, pk)
    viewer = request.membership
    data = request.POST if request.method == "POST" else request.GET
    form = BookingForm(data, tutor=tutor, viewer=viewer)
    summary, status = None, 200
    if form.is_valid():
        try:
            summary = _summary(request, tutor, form)
            if request.method != "POST":
                # Say before the click what the booking would refuse (a child's consent).
                student_check(form.cleaned_data["student"], "book")
        except (ValidationError, ApplicationError) as error:
            _apply(form, error)
            status = getattr(error, "status", 400)
        if summary is not None and request.method == "POST":
            item = form.offer_item
            try:
                session = session_request(
                    actor=viewer,
                    tutor=tutor,
                    student=form.cleaned_data["student"],
                    subject=item.subject,
                    level=item.level,
                    starts_at=form.cleaned_data["starts_at"],
                    duration_minutes=form.cleaned_data["duration"],
                    message=form.cleaned_data["message"],
                    request=request,
                )
            except (ValidationError, ApplicationError) as error:
                _apply(form, error)
                status = getattr(error, "status", 400)
            else:
                return redirect("scheduling:book_done", pk=session.pk)
    if form.errors and status == 200:
        status = 400
    context = {
        "tutor": tutor,
        "form": form,
        "summary": summary,
        # Only a message to fix: the same slot can still be booked.
        "can_book": summary is not None and set(form.errors) <= {"message"},
        "problems": _problems(form),
        "time_zone": _zone(request).key,
        "back_url": _back_to_slots(tutor, form),
    }
    template = (
        "scheduling/booking/_confirm.html"
        if request.htmx and request.method == "GET"
        else "scheduling/booking/confirm.html"
    )
    return render(request, template, context, status=status)


@member_required()
def book_done(request, pk: int) -> HttpResponse:
    """After booking: requested (the tutor will answer) or confirmed (instant booking)."""
    session = session_get(viewer=request.membership, pk=pk)
    if session is None:
        raise Http404
    return render(
        request,
        "scheduling/booking/done.html",
        {"session": session, "time_zone": _zone(request).key},
    )


# Requests inbox ----------------------------------------------------------------------------


def _answerer_required(view):
    """The inbox is for tutors (their own requests) and owners and admins (everyone's)."""

    @member_required()
    def wrapper(request, *args, **kwargs):
        viewer = request.membership
        if not (viewer.role == Role.TUTOR or viewer.is_manager):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _pending(viewer: Membership):
    now = timezone.now()
    return (
        session_list(viewer=viewer)
        .filter(status=Session.Status.REQUESTED)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("tutor__user", "student", "subject", "requested_by")
        .order_by("starts_at", "id")
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.TextInput(attrs={"required": True}),
        help_text="The student sees this.",
    )


def _inbox(
    request, *, errors: dict[int, list[str]] | None = None, status: int = 200
) -> HttpResponse:
    viewer = request.membership
    rows = []
    for session in _pending(viewer):
        rows.append(
            {
                "session": session,
                "price": _money(session.price_minor, session.currency),
                "errors": (errors or {}).get(session.pk, []),
                "decline_form": DeclineForm(prefix=f"session-{session.pk}"),
            }
        )
    template = (
        "scheduling/requests/_inbox.html" if request.htmx else "scheduling/requests/inbox.html"
    )
    return render(
        request,
        template,
        {"rows": rows, "time_zone": _zone(request).key, "all_tutors": viewer.is_manager},
        status=status,
    )


def _request_session(request, pk: int) -> Session:
    session = (
        session_list(viewer=request.membership)
        .select_related("tutor__user", "student", "subject")
        .filter(pk=pk)
        .first()
    )
    if session is None:
        raise Http404
    return session


def _answered(request, message: str) -> HttpResponse:
    messages.success(request, message)
    if request.htmx:
        return _inbox(request)
    return redirect("scheduling:requests")


def _refused(request, session: Session, error: Exception) -> HttpResponse:
    if isinstance(error, ValidationError):
        problems, status = error.messages, 400
    elif isinstance(error, ApplicationError):
        problems, status = [error.message], error.status
    else:
        problems, status = [str(error) or "You cannot answer this request."], 403
    if not request.htmx:
        for problem in problems:
            messages.error(request, problem)
        return redirect("scheduling:requests")
    return _inbox(request, errors={session.pk: problems}, status=status)


@_answerer_required
def requests_inbox(request) -> HttpResponse:
    """Pending requests, soonest first, each with Accept and Decline."""
    return _inbox(request)


@_answerer_required
@require_POST
def request_accept(request, pk: int) -> HttpResponse:
    session = _request_session(request, pk)
    try:
        session_accept(actor=request.membership, session=session, request=request)
    except (ValidationError, ApplicationError, PermissionDenied) as error:
        return _refused(request, session, error)
    return _answered(request, f"Accepted: {session.subject.name} with {session.student.full_name}.")


@_answerer_required
@require_POST
def request_decline(request, pk: int) -> HttpResponse:
    session = _request_session(request, pk)
    form = DeclineForm(request.POST, prefix=f"session-{session.pk}")
    reason = form.data.get(form.add_prefix("reason"), "")
    try:
        session_decline(actor=request.membership, session=session, reason=reason, request=request)
    except (ValidationError, ApplicationError, PermissionDenied) as error:
        return _refused(request, session, error)
    return _answered(request, f"Declined: {session.subject.name} with {session.student.full_name}.")


urlpatterns = [
    path("book/", book, name="book"),
    path("book/<int:pk>/", book_tutor, name="book_tutor"),
    path("book/<int:pk>/confirm/", book_confirm, name="book_confirm"),
    path("book/done/<int:pk>/", book_done, name="book_done"),
    path("requests/", requests_inbox, name="requests"),
    path("requests/<int:pk>/accept/", request_accept, name="request_accept"),
    path("requests/<int:pk>/decline/", request_decline, name="request_decline"),
]
