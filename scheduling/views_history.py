"""Session pages under /scheduling/: the history list (filters, CSV), one session's page
(people, time in the viewer's zone, policy outcomes, notes, files, the actions the viewer
may take) and the private calendar feed (its settings page and the ICS itself).

Sessions are looked up through ``session_get``, so someone else's is a 404. Actions call
the booking services, which hold the rules; the buttons shown here only mirror them.
The feed's ICS route is public on purpose: its URL carries the secret, nothing else.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Membership
from config.errors import ApplicationError
from crm.csv_io import csv_response
from crm.documents import document_response
from crm.models import StudentProfile, Subject, TutorProfile
from crm.pages import member_required
from scheduling import ics
from scheduling.models import Session
from scheduling.policy import policy_for
from scheduling.selectors import history as selectors
from scheduling.selectors.sessions import session_get, session_list, session_party
from scheduling.selectors.slots import slot_list
from scheduling.services import bookings
from scheduling.services import history as services
from web.forms import date_range_clean, form_apply_errors

Role = Membership.Role
Status = Session.Status
PAGE_SIZE = 25
NO_SHOW_DAYS = 7
RESCHEDULE_DAYS = 7

NOTE_LABELS = {
    "tutor_notes": "Your private notes",
    "student_notes": "Your private notes",
    "summary": "Summary",
    "homework": "Homework",
}
NOTE_HELP = {
    "tutor_notes": "Only you see these; the agency's staff do not.",
    "student_notes": "Only the student and their parents see these.",
    "summary": "Everyone on the session sees this.",
    "homework": "Everyone on the session sees this.",
}


# Forms: they only shape the input; the services hold the rules. --------------------------


class SessionFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tutor = forms.ModelChoiceField(
        label="Tutor", required=False, queryset=TutorProfile.objects.none(), empty_label="Any"
    )
    student = forms.ModelChoiceField(
        label="Student", required=False, queryset=StudentProfile.objects.none(), empty_label="Any"
    )
    subject = forms.ModelChoiceField(
        label="Subject", required=False, queryset=Subject.objects.none(), empty_label="Any"
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), *Status.choices]
    )

    def __init__(self, *args, viewer: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        visible = session_list(viewer=viewer).values("pk")
        seen = Session.objects.filter(pk__in=visible)
        self.fields["tutor"].queryset = TutorProfile.objects.filter(
            pk__in=seen.values("tutor_id")
        ).select_related("user")
        self.fields["tutor"].label_from_instance = lambda tutor: tutor.full_name or "Tutor"
        self.fields["student"].queryset = StudentProfile.objects.filter(
            pk__in=seen.values("student_id")
        ).order_by("last_name", "first_name", "id")
        self.fields["student"].label_from_instance = lambda student: student.full_name
        self.fields["subject"].queryset = Subject.objects.filter(pk__in=seen.values("subject_id"))
        if viewer.role == Role.TUTOR:
            del self.fields["tutor"]
        elif viewer.role == Role.STUDENT:
            del self.fields["student"]

    def clean(self):
        return date_range_clean(self, super().clean())

    def search(self) -> dict:
        data = self.cleaned_data
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "tutor": data.get("tutor"),
            "student": data.get("student"),
            "subject": data.get("subject"),
            "status": data.get("status") or None,
            "q": data.get("q") or "",
        }


class NotesForm(forms.Form):
    def __init__(self, *args, fields: tuple[str, ...], session: Session, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in fields:
            self.fields[name] = forms.CharField(
                label=NOTE_LABELS[name],
                help_text=NOTE_HELP[name],
                required=False,
                max_length=services.NOTE_LIMIT,
                initial=getattr(session, name),
                widget=forms.Textarea(attrs={"rows": 4}),
            )


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="PDF, JPEG or PNG, up to 20 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label="Reason", max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoShowForm(forms.Form):
    absent = forms.ChoiceField(
        label="Who did not attend", choices=[("student", "The student"), ("tutor", "The tutor")]
    )

    def __init__(self, *args, choices: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absent"].choices = [
            choice for choice in self.fields["absent"].choices if choice[0] in choices
        ]


class RescheduleForm(forms.Form):
    starts_at = forms.CharField(widget=forms.HiddenInput)

    def clean_starts_at(self) -> dt.datetime:
        try:
            value = dt.datetime.fromisoformat(self.cleaned_data["starts_at"])
        except ValueError as error:
            raise ValidationError("Choose one of the free times.") from error
        if timezone.is_naive(value):
            raise ValidationError("Choose one of the free times.")
        return value


# Lookups and what the viewer may do ------------------------------------------------------


def _session(request, pk: int) -> Session:
    session = session_get(viewer=request.membership, pk=pk)
    if session is None:
        raise Http404
    return session


def _actions(viewer: Membership, session: Session, party: str | None) -> dict:
    """The buttons to show (the booking services decide; these mirror their rules)."""
    now = timezone.now()
    live = session.status in (Status.REQUESTED, Status.CONFIRMED)
    answerable = session.status == Status.REQUESTED and (
        session.expires_at is None or session.expires_at > now
    )
    absent = []
    if (
        session.status == Status.CONFIRMED
        and session.starts_at <= now <= session.starts_at + dt.timedelta(days=NO_SHOW_DAYS)
    ):
        if party in ("tutor", "agency"):
            absent.append("student")
        if party in ("student", "agency"):
            absent.append("tutor")
    reschedule_note = ""
    can_reschedule = party is not None and live and session.starts_at > now
    if can_reschedule and party == "student":
        policy = policy_for(session.tutor)
        if session.starts_at - now < dt.timedelta(hours=policy.free_cancellation_hours):
            can_reschedule = False
            reschedule_note = (
                f"Sessions can be moved up to {policy.free_cancellation_hours} hours before "
                "they start; ask the tutor or the agency."
            )
        elif session.reschedule_count >= policy.max_reschedules:
            can_reschedule = False
            reschedule_note = (
                f"This session has been moved {session.reschedule_count} times, the most "
                "allowed; ask the tutor or the agency."
            )
    can_cancel = party is not None and live and session.ends_at > now
    return {
        "answer": answerable and (party == "tutor" or viewer.is_manager),
        "cancel": can_cancel,
        "cancel_outcome": (
            selectors.session_cancel_outcome(viewer=viewer, session=session, now=now)
            if can_cancel
            else None
        ),
        "reschedule": can_reschedule,
        "reschedule_note": reschedule_note,
        "no_show": absent,
    }


def _notes_context(viewer: Membership, session: Session, party: str | None, form=None) -> dict:
    visible = selectors.note_fields_visible(party)
    editable = selectors.note_fields_editable(party)
    return {
        "notes_form": form
        or (NotesForm(fields=editable, session=session, prefix="notes") if editable else None),
        "shared_notes": [
            (NOTE_LABELS[field], getattr(session, field))
            for field in ("summary", "homework")
            if field in visible and field not in editable
        ],
    }


def _detail(request, session: Session, *, status: int = 200, **forms_) -> HttpResponse:
    viewer = request.membership
    party = session_party(viewer=viewer, session=session)
    actions = _actions(viewer, session, party)
    context = {
        "session": session,
        "party": party,
        "zone": selectors.viewer_zone(viewer).key,
        "price": selectors.money_text(session.price_minor, session.currency),
        "changes": [
            {
                "change": change,
                "fee": selectors.money_text(change.fee_minor, change.currency),
                "refund": selectors.money_text(change.refund_minor, change.currency),
            }
            for change in selectors.session_change_list(session=session)
        ],
        "attachments": selectors.session_attachment_list(viewer=viewer, session=session),
        "attachment_form": forms_.get("attachment_form") or AttachmentForm(),
        "can_upload": party is not None,
        "actions": actions,
        "decline_form": forms_.get("decline_form") or DeclineForm(prefix="decline"),
        "cancel_form": forms_.get("cancel_form") or CancelForm(prefix="cancel"),
        "no_show_form": forms_.get("no_show_form")
        or (
            NoShowForm(choices=actions["no_show"], prefix="noshow") if actions["no_show"] else None
        ),
        **_notes_context(viewer, session, party, forms_.get("notes_form")),
    }
    return render(request, "scheduling/sessions/detail.html", context, status=status)


# The list and its export -----------------------------------------------------------------


def _query_without_page(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page"])


@member_required()
@require_safe
def sessions(request) -> HttpResponse:
    viewer = request.membership
    form = SessionFilterForm(request.GET or None, viewer=viewer)
    status = 200
    if form.is_bound and not form.is_valid():
        found = Session.objects.none()
        status = 400
    else:
        search = form.search() if form.is_bound else {}
        found = selectors.session_search(viewer=viewer, **search)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    query = _query_without_page(request)
    context = {
        "filters": form,
        "page": page,
        "query": query,
        "zone": selectors.viewer_zone(viewer).key,
        "export_url": reverse("scheduling:sessions_export") + (f"?{query}" if query else ""),
    }
    template = (
        "scheduling/sessions/_results.html" if request.htmx else "scheduling/sessions/list.html"
    )
    return render(request, template, context, status=status)


@member_required()
@require_safe
def sessions_export(request) -> HttpResponse:
    viewer = request.membership
    form = SessionFilterForm(request.GET or None, viewer=viewer)
    if form.is_bound and not form.is_valid():
        errors = "; ".join(f"{field}: {' '.join(m)}" for field, m in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    search = form.search() if form.is_bound else {}
    zone = selectors.viewer_zone(viewer)
    found = selectors.session_search(viewer=viewer, zone=zone, **search)
    return csv_response(
        filename=f"{viewer.tenant.slug}-sessions.csv",
        header=selectors.session_export_header(viewer=viewer),
        rows=selectors.session_export_rows(viewer=viewer, sessions=found, zone=zone),
    )


# One session --------------------------------------------------------------------------------


@member_required()
@require_safe
def session_detail(request, pk: int) -> HttpResponse:
    return _detail(request, _session(request, pk))


@member_required()
@require_POST
def session_notes(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    viewer = request.membership
    party = session_party(viewer=viewer, session=session)
    editable = selectors.note_fields_editable(party)
    form = NotesForm(request.POST, fields=editable, session=session, prefix="notes")
    status = 400
    if editable and form.is_valid():
        try:
            session = services.session_notes_update(
                actor=viewer, session=session, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, "Notes saved.")
                return redirect("scheduling:session_detail", pk=session.pk)
            form, status = None, 200
    if request.htmx:
        context = {"session": session, "saved": status == 200}
        context.update(_notes_context(viewer, session, party, form))
        return render(request, "scheduling/sessions/_notes.html", context, status=status)
    return _detail(request, session, status=status, notes_form=form)


@member_required()
@require_POST
def session_attachment_add(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = AttachmentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.session_attachment_add(
                actor=request.membership, session=session, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
            status = getattr(error, "status", 400)
        else:
            messages.success(request, f"“{form.cleaned_data['file'].name}” shared.")
            return redirect("scheduling:session_detail", pk=session.pk)
    return _detail(request, session, status=status, attachment_form=form)


@member_required()
@require_safe
def session_attachment(request, pk: int) -> HttpResponse:
    attachment = selectors.session_attachment_get(viewer=request.membership, pk=pk)
    if attachment is None:
        raise Http404
    return document_response(attachment.document)


@member_required()
@require_POST
def session_attachment_delete(request, pk: int) -> HttpResponse:
    attachment = selectors.session_attachment_get(viewer=request.membership, pk=pk)
    if attachment is None:
        raise Http404
    name = attachment.document.original_name
    services.session_attachment_delete(
        actor=request.membership, attachment=attachment, request=request
    )
    messages.success(request, f"“{name}” removed.")
    return redirect("scheduling:session_detail", pk=attachment.session_id)


# Actions, through the booking services ----------------------------------------------------


def _acted(request, session: Session, message: str) -> HttpResponse:
    messages.success(request, message)
    return redirect("scheduling:session_detail", pk=session.pk)


def _refused(request, session: Session, error: Exception, form_name: str, form) -> HttpResponse:
    if isinstance(error, ApplicationError):
        messages.error(request, error.message)
        return _detail(request, _session(request, session.pk), status=error.status)
    form_apply_errors(form, error)
    return _detail(request, _session(request, session.pk), status=400, **{form_name: form})


@member_required()
@require_POST
def session_accept(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    try:
        bookings.session_accept(actor=request.membership, session=session, request=request)
    except ApplicationError as error:
        return _refused(request, session, error, "", None)
    return _acted(request, session, "Session accepted.")


@member_required()
@require_POST
def session_decline(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = DeclineForm(request.POST, prefix="decline")
    if not form.is_valid():
        return _detail(request, session, status=400, decline_form=form)
    try:
        bookings.session_decline(
            actor=request.membership,
            session=session,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (ValidationError, ApplicationError) as error:
        return _refused(request, session, error, "decline_form", form)
    return _acted(request, session, "Request declined.")


@member_required()
@require_POST
def session_cancel(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = CancelForm(request.POST, prefix="cancel")
    if not form.is_valid():
        return _detail(request, session, status=400, cancel_form=form)
    try:
        change = bookings.session_cancel(
            actor=request.membership,
            session=session,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except (ValidationError, ApplicationError) as error:
        return _refused(request, session, error, "cancel_form", form)
    message = "Session cancelled."
    if change is not None and change.fee_minor:
        fee = selectors.money_text(change.fee_minor, change.currency)
        message += f" A late-cancellation fee of {fee} applies."
    return _acted(request, session, message)


@member_required()
@require_POST
def session_no_show(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = NoShowForm(request.POST, prefix="noshow", choices=["student", "tutor"])
    if not form.is_valid():
        return _detail(request, session, status=400, no_show_form=form)
    try:
        bookings.session_no_show(
            actor=request.membership,
            session=session,
            absent=form.cleaned_data["absent"],
            request=request,
        )
    except (ValidationError, ApplicationError) as error:
        return _refused(request, session, error, "no_show_form", form)
    return _acted(request, session, "Recorded as missed.")


def _slot_days(request, session: Session) -> dict:
    """Free times for the session's length over a week, by day in the viewer's zone."""
    zone = selectors.viewer_zone(request.membership)
    today = timezone.now().astimezone(zone).date()
    try:
        first = dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        first = today
    first = min(max(first, today), today + dt.timedelta(days=730))
    start = dt.datetime.combine(first, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(first + dt.timedelta(days=RESCHEDULE_DAYS), dt.time.min, tzinfo=zone)
    minutes = int(session.duration.total_seconds() // 60)
    slots = slot_list(
        tutor=session.tutor,
        start=start,
        end=end,
        duration_minutes=minutes,
        exclude_session=session,
    )
    days: dict[dt.date, list] = {
        first + dt.timedelta(days=offset): [] for offset in range(RESCHEDULE_DAYS)
    }
    for slot in slots:
        local = slot.starts_at.astimezone(zone)
        days.setdefault(local.date(), []).append(
            {"slot": slot, "value": slot.starts_at.isoformat(), "local": local}
        )
    here = reverse("scheduling:session_reschedule", kwargs={"pk": session.pk})
    previous = first - dt.timedelta(days=RESCHEDULE_DAYS)
    return {
        "days": [{"date": day, "slots": items} for day, items in sorted(days.items())],
        "first": first,
        "last": first + dt.timedelta(days=RESCHEDULE_DAYS - 1),
        "previous_url": f"{here}?from={max(previous, today).isoformat()}" if first > today else "",
        "next_url": f"{here}?from={(first + dt.timedelta(days=RESCHEDULE_DAYS)).isoformat()}",
        "zone": zone.key,
        "minutes": minutes,
    }


@member_required()
def session_reschedule(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    party = session_party(viewer=request.membership, session=session)
    actions = _actions(request.membership, session, party)
    form = RescheduleForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                bookings.session_reschedule(
                    actor=request.membership,
                    session=session,
                    starts_at=form.cleaned_data["starts_at"],
                    request=request,
                )
            except (ValidationError, ApplicationError) as error:
                form_apply_errors(form, error)
                status = getattr(error, "status", 400)
            else:
                return _acted(request, session, "Session moved.")
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    context = {"session": session, "actions": actions, "form": form}
    if actions["reschedule"]:
        context.update(_slot_days(request, session))
    return render(request, "scheduling/sessions/reschedule.html", context, status=status)


# The calendar feed --------------------------------------------------------------------------


@member_required()
@never_cache
def calendar_feed(request) -> HttpResponse:
    """The feed's settings: make (or replace) the secret URL, or revoke it."""
    viewer = request.membership
    url = ""
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            _, token = ics.calendar_feed_issue(actor=viewer, request=request)
            url = ics.calendar_feed_url(token=token, tenant=request.tenant)
        elif action == "revoke":
            if ics.calendar_feed_revoke(actor=viewer, request=request):
                messages.success(request, "Your calendar feed was revoked; the old URL is dead.")
            return redirect("scheduling:calendar_feed")
        else:
            return HttpResponse("Choose an action.", status=400)
    elif request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405)
    context = {
        "feed": ics.calendar_feed_active(user=request.user),
        "url": url,
        "webcal_url": url.replace("https://", "webcal://").replace("http://", "webcal://"),
    }
    return render(request, "scheduling/feed/settings.html", context)


@require_safe
def calendar_feed_ics(request, token: str) -> HttpResponse:
    """The ICS itself: public, opened by its secret alone (calendar apps send no cookie)."""
    membership = ics.feed_member_for_token(token)
    if membership is None:
        raise Http404
    response = HttpResponse(
        ics.ics_build(membership=membership), content_type=ics.FEED_CONTENT_TYPE
    )
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Robots-Tag"] = "noindex"
    return response


urlpatterns = [
    path("sessions/", sessions, name="sessions"),
    path("sessions/export.csv", sessions_export, name="sessions_export"),
    path("sessions/<int:pk>/", session_detail, name="session_detail"),
    path("sessions/<int:pk>/notes/", session_notes, name="session_notes"),
    path("sessions/<int:pk>/attachments/", session_attachment_add, name="session_attachment_add"),
    path("sessions/<int:pk>/accept/", session_accept, name="session_accept"),
    path("sessions/<int:pk>/decline/", session_decline, name="session_decline"),
    path("sessions/<int:pk>/cancel/", session_cancel, name="session_cancel"),
    path("sessions/<int:pk>/reschedule/", session_reschedule, name="session_reschedule"),
    path("sessions/<int:pk>/no-show/", session_no_show, name="session_no_show"),
    path("session-attachments/<int:pk>/", session_attachment, name="session_attachment"),
    path(
        "session-attachments/<int:pk>/delete/",
        session_attachment_delete,
        name="session_attachment_delete",
    ),
    path("calendar-feed/", calendar_feed, name="calendar_feed"),
    path("calendar/<str:token>.ics", calendar_feed_ics, name="calendar_feed_ics"),
]
