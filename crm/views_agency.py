"""CRM pages for agency management: the tutor list, and CSV import and export."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path

from config.errors import ApplicationError
from crm import csv_io, selectors, services
from crm.models import Level, VerificationStatus
from crm.pages import agency_staff_required, member_required


class TutorFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    subject = forms.TypedChoiceField(label="Subject", required=False, coerce=int, empty_value=None)
    level = forms.ChoiceField(
        label="Level", required=False, choices=[("", "Any level"), *Level.choices]
    )
    verification = forms.ChoiceField(
        label="Verification",
        required=False,
        choices=[("", "Any"), *VerificationStatus.choices],
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Everyone"), ("active", "Joined"), ("invited", "Invited")],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("name", "Name, A to Z"),
            ("-name", "Name, Z to A"),
            ("-updated", "Recently updated"),
            ("updated", "Least recently updated"),
        ],
    )

    def __init__(self, *args, viewer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = [
            ("", "Any subject"),
            *((s.pk, s.name) for s in selectors.subject_list(viewer=viewer).filter(is_active=True)),
        ]
        if not viewer.is_agency_staff:  # only staff see verification and invitations
            del self.fields["verification"]
            del self.fields["status"]


@member_required()
def tutor_list(request) -> HttpResponse:
    viewer = request.membership
    filters = TutorFilterForm(request.GET or None, viewer=viewer)
    criteria = {}
    if filters.is_valid():
        data = filters.cleaned_data
        criteria = {
            "q": data.get("q") or "",
            "subject_id": data.get("subject"),
            "level": data.get("level") or "",
            "verification": data.get("verification") or "",
            "status": data.get("status") or "",
            "sort": data.get("sort") or "name",
        }
    profiles = Paginator(selectors.tutor_profile_search(viewer=viewer, **criteria), 25).get_page(
        request.GET.get("page")
    )
    rows = [
        {"profile": p, "completion": selectors.tutor_profile_completion(profile=p).percent}
        for p in profiles
    ]
    context = {
        "filters": filters,
        "profiles": profiles,
        "rows": rows,
        "query": _page_query(request),
    }
    template = "crm/agency/_tutors.html" if request.htmx else "crm/agency/tutors.html"
    return render(request, template, context)


def _page_query(request) -> str:
    """The filters of this request, to keep in the pagination links."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# Import and export ---------------------------------------------------------------------------

IMPORTS = {
    "students": {
        "service": services.students_import,
        "required": csv_io.STUDENT_REQUIRED,
        "optional": tuple(c for c in csv_io.STUDENT_COLUMNS if c not in csv_io.STUDENT_REQUIRED),
        "ignored": csv_io.STUDENT_SUMMARY_COLUMNS,
    },
    "tutors": {
        "service": services.tutors_import,
        "required": csv_io.TUTOR_REQUIRED,
        "optional": tuple(c for c in csv_io.TUTOR_COLUMNS if c not in csv_io.TUTOR_REQUIRED),
        "ignored": (),
    },
}


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("students", "Students"), ("tutors", "Tutors")],
        widget=forms.RadioSelect,
        initial="students",
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 CSV, at most 1 MB and 2,000 rows; the first row names the columns.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label="Only check the file (import nothing)", required=False, initial=False
    )


@agency_staff_required
def import_page(request) -> HttpResponse:
    """Managers upload a CSV of students or tutors; every agency staff member exports."""
    viewer = request.membership
    if request.method == "POST" and not viewer.is_manager:
        raise PermissionDenied
    form = ImportForm(request.POST or None, request.FILES or None)
    problems: list[dict] = []
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        dry_run = form.cleaned_data["dry_run"]
        spec = IMPORTS[kind]
        try:
            rows = csv_io.csv_read(
                form.cleaned_data["file"],
                required=spec["required"],
                optional=spec["optional"],
                ignored=spec["ignored"],
            )
            count = spec["service"](actor=viewer, rows=rows, dry_run=dry_run, request=request)
        except ApplicationError as error:
            fields = error.extra.get("fields", {})
            problems = fields.get("rows", [])
            for message in fields.get("file", []):
                form.add_error("file", message)
            form.add_error(None, error.message)
        else:
            noun = kind if count != 1 else kind.removesuffix("s")
            if dry_run:
                messages.success(request, f"All {count} rows are valid; nothing was imported.")
            else:
                messages.success(request, f"Imported {count} {noun}; invitations are on their way.")
            return redirect("crm:import")
    return render(
        request,
        "crm/agency/import.html",
        {
            "form": form,
            "problems": problems,
            "student_columns": csv_io.STUDENT_COLUMNS,
            "tutor_columns": csv_io.TUTOR_COLUMNS,
        },
        status=400 if form.errors else 200,
    )


urlpatterns = [
    path("tutors/", tutor_list, name="tutor_list"),
    path("import/", import_page, name="import"),
]
