"""CRM pages: a student's progress (goals, entries, a chart) and their shared documents.

The student, their linked parents, their assigned tutors and the agency's staff open
these pages; staff and tutors also add goals and progress here. Forms post with htmx and
get back the refreshed section (with field errors and a 4xx status when input was bad);
without JavaScript they post normally and are redirected back.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from crm import selectors, services
from crm.minors import tenant_today
from crm.models import LearningGoal, StudentDocument, StudentProfile, Subject
from crm.pages import member_required
from web.forms import form_apply_errors

# Forms: they only shape the input; the services hold the rules. --------------------------


class GoalForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    subject = forms.ModelChoiceField(
        queryset=Subject.objects.none(), required=False, empty_label="Any subject"
    )
    target_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Target date"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = Subject.objects.filter(is_active=True)


class GoalStatusForm(forms.Form):
    status = forms.ChoiceField(choices=LearningGoal.Status.choices)


class EntryForm(forms.Form):
    progress = forms.IntegerField(
        label="Progress (%)", widget=forms.NumberInput(attrs={"min": 0, "max": 100, "step": 1})
    )
    recorded_on = forms.DateField(
        label="Recorded on", widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )


class DocumentForm(forms.Form):
    title = forms.CharField(max_length=200)
    category = forms.ChoiceField(choices=StudentDocument.Category.choices)
    file = forms.FileField(
        help_text="PDF, JPEG or PNG, up to 20 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


def _entry_form(goal: LearningGoal, data=None) -> EntryForm:
    return EntryForm(data, prefix=f"goal-{goal.pk}", initial={"recorded_on": tenant_today()})


# Lookups through what the viewer may see: anything else is a 404. -------------------------


def _student(request, pk: int) -> StudentProfile:
    student = selectors.student_get(viewer=request.membership, pk=pk)
    if student is None:
        raise Http404
    return student


def _goal(request, pk: int) -> LearningGoal:
    goal = selectors.goal_get(viewer=request.membership, pk=pk)
    if goal is None:
        raise Http404
    return goal


# Progress ----------------------------------------------------------------------------------


def _chart_data(series: list[dict]) -> dict:
    """One line per goal over the union of the dates recorded (gaps bridged by the chart)."""
    dates = sorted({point["date"] for item in series for point in item["points"]})
    index = {day: position for position, day in enumerate(dates)}
    datasets = []
    for item in series:
        values: list[int | None] = [None] * len(dates)
        for point in item["points"]:
            values[index[point["date"]]] = point["progress"]
        if item["points"]:
            datasets.append({"label": item["goal"].title, "data": values})
    return {"labels": [day.isoformat() for day in dates], "datasets": datasets}


def _progress_section(
    request,
    student: StudentProfile,
    *,
    goal_form: GoalForm | None = None,
    bound_entry: tuple[int, EntryForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    viewer = request.membership
    series = selectors.progress_series(viewer=viewer, student=student)
    can_edit = selectors.progress_editor_is(viewer=viewer, student=student)
    for item in series:
        goal = item["goal"]
        item["entry_form"] = (
            bound_entry[1] if bound_entry and bound_entry[0] == goal.pk else _entry_form(goal)
        )
        item["status_form"] = GoalStatusForm(
            initial={"status": goal.status}, prefix=f"goal-{goal.pk}"
        )
        item["suggest_achieved"] = goal.latest_progress == 100 and goal.status in (
            LearningGoal.Status.NOT_STARTED,
            LearningGoal.Status.IN_PROGRESS,
        )
    context = {
        "student": student,
        "series": series,
        "chart": _chart_data(series),
        "can_edit": can_edit,
        "goal_form": goal_form or (GoalForm() if can_edit else None),
    }
    template = "crm/progress/_progress.html" if request.htmx else "crm/progress/progress.html"
    return render(request, template, context, status=status)


def _back_to_progress(request, student: StudentProfile, message: str) -> HttpResponse:
    if request.htmx:
        return _progress_section(request, student)
    messages.success(request, message)
    return redirect("crm:student_progress", pk=student.pk)


@member_required()
def student_progress(request, pk: int) -> HttpResponse:
    return _progress_section(request, _student(request, pk))


@member_required()
@require_POST
def student_goal_add(request, pk: int) -> HttpResponse:
    student = _student(request, pk)
    form = GoalForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.goal_create(
                actor=request.membership,
                student=student,
                title=data["title"],
                description=data["description"],
                subject_id=data["subject"].pk if data["subject"] else None,
                target_date=data["target_date"],
                request=request,
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            return _back_to_progress(request, student, f"Goal “{data['title']}” added.")
    return _progress_section(request, student, goal_form=form, status=400)


@member_required()
@require_POST
def goal_status(request, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    form = GoalStatusForm(request.POST, prefix=f"goal-{goal.pk}")
    if not form.is_valid():
        return _progress_section(request, goal.student, status=400)
    services.goal_update(
        actor=request.membership, goal=goal, status=form.cleaned_data["status"], request=request
    )
    return _back_to_progress(request, goal.student, f"“{goal.title}” updated.")


@member_required()
@require_POST
def goal_entry_add(request, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    form = _entry_form(goal, request.POST)
    if form.is_valid():
        try:
            services.progress_entry_record(
                actor=request.membership, goal=goal, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            return _back_to_progress(request, goal.student, f"Progress on “{goal.title}” saved.")
    return _progress_section(request, goal.student, bound_entry=(goal.pk, form), status=400)


@member_required()
@require_POST
def progress_entry_delete(request, pk: int) -> HttpResponse:
    entry = selectors.progress_entry_get(viewer=request.membership, pk=pk)
    if entry is None:
        raise Http404
    services.progress_entry_delete(actor=request.membership, entry=entry, request=request)
    return _back_to_progress(request, entry.goal.student, "Progress entry removed.")


# Documents ---------------------------------------------------------------------------------


def _documents_section(
    request, student: StudentProfile, *, form: DocumentForm | None = None, status: int = 200
) -> HttpResponse:
    context = {
        "student": student,
        "documents": selectors.student_document_list(viewer=request.membership, student=student),
        "form": form or DocumentForm(),
    }
    template = "crm/progress/_documents.html" if request.htmx else "crm/progress/documents.html"
    return render(request, template, context, status=status)


@member_required()
def student_documents(request, pk: int) -> HttpResponse:
    student = _student(request, pk)
    if request.method != "POST":
        return _documents_section(request, student)
    form = DocumentForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            services.student_document_share(
                actor=request.membership, student=student, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
            status = getattr(error, "status", 400)
        else:
            if request.htmx:
                return _documents_section(request, student, status=201)
            messages.success(request, f"“{form.cleaned_data['title']}” shared.")
            return redirect("crm:student_documents", pk=student.pk)
    return _documents_section(request, student, form=form, status=status)


@member_required()
@require_POST
def student_document_delete(request, pk: int) -> HttpResponse:
    shared = selectors.student_document_get(viewer=request.membership, pk=pk)
    if shared is None:
        raise Http404
    services.student_document_delete(
        actor=request.membership, student_document=shared, request=request
    )
    if request.htmx:
        return _documents_section(request, shared.student)
    messages.success(request, f"“{shared.title}” removed.")
    return redirect("crm:student_documents", pk=shared.student_id)


urlpatterns = [
    path("students/<int:pk>/progress/", student_progress, name="student_progress"),
    path("students/<int:pk>/progress/goals/", student_goal_add, name="student_goal_add"),
    path("goals/<int:pk>/status/", goal_status, name="goal_status"),
    path("goals/<int:pk>/entries/", goal_entry_add, name="goal_entry_add"),
    path("progress-entries/<int:pk>/delete/", progress_entry_delete, name="progress_entry_delete"),
    path("students/<int:pk>/documents/", student_documents, name="student_documents"),
    path(
        "student-documents/<int:pk>/delete/",
        student_document_delete,
        name="student_document_delete",
    ),
]
