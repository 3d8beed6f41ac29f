"""Student pages under /crm/students/: the list (scoped to the viewer), adding a student,
the profile with its parents, consent and tutors, and editing it.

Staff see every student and act on them; a tutor sees "My students"; a parent sees their
children; a student sees themself. Objects are looked up through the viewer-scoped
selectors, so someone else's student is a 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from accounts.models import Membership
from config.errors import ApplicationError
from crm import minors, selectors, services
from crm.models import (
    LearningStyle,
    ParentalConsent,
    ParentLink,
    StudentProfile,
    Subject,
    TutorAssignment,
)
from crm.pages import agency_staff_required, member_required
from web.forms import form_apply_errors

Role = Membership.Role

LIST_TITLES = {
    Role.TUTOR: "My students",
    Role.PARENT: "My children",
    Role.STUDENT: "My profile",
}


# Forms -------------------------------------------------------------------------------------


def _active_subjects():
    return Subject.objects.filter(is_active=True)


class StudentFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    subject = forms.ModelChoiceField(
        label="Subject", required=False, queryset=Subject.objects.none(), empty_label="Any subject"
    )
    grade_level = forms.CharField(label="Grade level", required=False, max_length=40)
    tutor = forms.ModelChoiceField(
        label="Tutor", required=False, queryset=None, empty_label="Any tutor"
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), ("active", "Active"), ("archived", "Archived")],
    )
    consent = forms.ChoiceField(
        label="Consent",
        required=False,
        choices=[("", "Any"), ("needed", "Consent needed"), ("given", "Consent given")],
    )
    age = forms.ChoiceField(
        label="Age",
        required=False,
        choices=[("", "Any age"), ("minor", "Under 18"), ("adult", "18 or older")],
    )
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("name", "Name (A to Z)"),
            ("-name", "Name (Z to A)"),
            ("-created", "Newest first"),
            ("created", "Oldest first"),
            ("date_of_birth", "Oldest student first"),
            ("-date_of_birth", "Youngest student first"),
        ],
    )

    def __init__(self, *args, viewer: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = Subject.objects.all()
        if viewer.is_agency_staff:
            self.fields["tutor"].queryset = selectors.tutor_choices(viewer=viewer)
            self.fields["tutor"].label_from_instance = lambda user: user.full_name or user.email
        else:
            for name in ("tutor", "status", "consent", "age", "grade_level", "subject"):
                del self.fields[name]


class StudentForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.CharField(
        label="Email",
        max_length=254,
        required=False,
        help_text="We invite the student at this address. Leave empty for a young child.",
    )
    date_of_birth = forms.DateField(
        label="Date of birth", widget=forms.DateInput(attrs={"type": "date"})
    )
    grade_level = forms.CharField(label="Grade level", max_length=40, required=False)
    subjects = forms.ModelMultipleChoiceField(
        label="Subjects",
        required=False,
        queryset=Subject.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    learning_style = forms.ChoiceField(
        label="Learning style", required=False, choices=[("", "Not set"), *LearningStyle.choices]
    )
    preferred_session_minutes = forms.IntegerField(
        label="Preferred session length (minutes)", required=False
    )
    preferences = forms.CharField(
        label="Preferences", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subjects"].queryset = _active_subjects()

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["subject_ids"] = [subject.pk for subject in data.pop("subjects", [])]
        return {name: data[name] for name in services.STAFF_FIELDS if name in data}


class PreferencesForm(forms.Form):
    """What a student or their parent may change themself."""

    learning_style = forms.ChoiceField(
        label="Learning style", required=False, choices=[("", "Not set"), *LearningStyle.choices]
    )
    preferred_session_minutes = forms.IntegerField(
        label="Preferred session length (minutes)", required=False
    )
    preferences = forms.CharField(
        label="Preferences", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ParentForm(forms.Form):
    email = forms.CharField(label="Parent's email", max_length=254)
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    relationship = forms.ChoiceField(
        label="Relationship",
        required=False,
        choices=[("", "Not said"), *ParentLink.Relationship.choices],
    )


PARENT_SLOTS = (1, 2)
PARENT_FIELDS = ("email", "first_name", "last_name", "relationship")


def _parent_fields(slot: int) -> dict[str, forms.Field]:
    return {
        f"parent{slot}_email": forms.CharField(
            label=f"Parent {slot}: email", max_length=254, required=False
        ),
        f"parent{slot}_first_name": forms.CharField(
            label=f"Parent {slot}: first name", max_length=150, required=False
        ),
        f"parent{slot}_last_name": forms.CharField(
            label=f"Parent {slot}: last name", max_length=150, required=False
        ),
        f"parent{slot}_relationship": forms.ChoiceField(
            label=f"Parent {slot}: relationship",
            required=False,
            choices=[("", "Not said"), *ParentLink.Relationship.choices],
        ),
    }


class StudentCreateForm(StudentForm):
    """The student and up to two parents (one is needed under 18)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for slot in PARENT_SLOTS:
            self.fields.update(_parent_fields(slot))

    def parents(self) -> list[dict[str, str]]:
        parents = []
        for slot in PARENT_SLOTS:
            entry = {
                name: self.cleaned_data.get(f"parent{slot}_{name}") or "" for name in PARENT_FIELDS
            }
            if any(entry.values()):
                parents.append(entry)
        return parents

    def apply_errors(self, error: ValidationError) -> None:
        """Service errors about ``parents`` ("Parent 2: ...") go next to that parent."""
        for field, field_messages in error.message_dict.items():
            for message in field_messages:
                if field == "parents":
                    slot = 2 if message.startswith("Parent 2:") else 1
                    self.add_error(f"parent{slot}_email", message)
                else:
                    self.add_error(field if field in self.fields else None, message)


class AssignTutorForm(forms.Form):
    tutor = forms.ModelChoiceField(label="Tutor", queryset=None, empty_label="Choose a tutor")
    subject = forms.ModelChoiceField(
        label="Subject", required=False, queryset=Subject.objects.none(), empty_label="Any subject"
    )

    def __init__(self, *args, viewer: Membership, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tutor"].queryset = selectors.tutor_choices(viewer=viewer)
        self.fields["tutor"].label_from_instance = lambda user: user.full_name or user.email
        self.fields["subject"].queryset = _active_subjects()


class ConsentGiveForm(forms.Form):
    agree = forms.BooleanField(label="I agree to the statement above")


class ConsentRecordForm(forms.Form):
    parent_link = forms.ChoiceField(label="Parent who consented")
    method = forms.ChoiceField(
        label="How",
        choices=[
            (ParentalConsent.Method.PAPER_FORM, "Signed form"),
            (ParentalConsent.Method.VERBAL, "Spoken (phone or in person)"),
        ],
    )
    statement = forms.CharField(
        label="What the parent agreed to", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, student: StudentProfile, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent_link"].choices = [
            (
                link.pk,
                f"{link.first_name or link.parent.first_name} "
                f"{link.last_name or link.parent.last_name} ({link.email})".strip(),
            )
            for link in student.parent_links.all()
            if link.parent_id is not None
        ]


# Helpers -----------------------------------------------------------------------------------


def _student_or_404(request, pk: int) -> StudentProfile:
    student = selectors.student_detail_get(viewer=request.membership, pk=pk)
    if student is None:
        raise Http404
    return student


def _detail_context(request, student: StudentProfile, **forms_: forms.Form) -> dict[str, Any]:
    viewer = request.membership
    staff = viewer.is_agency_staff
    linked_parent = viewer.role == Role.PARENT and any(
        link.parent_id == viewer.user_id for link in student.parent_links.all()
    )
    age = minors.student_age(student)
    consent = minors.consent_in_force(student)
    show_history = staff or linked_parent
    context = {
        "student": student,
        "age": age,
        "is_staff": staff,
        "is_linked_parent": linked_parent,
        "can_edit": bool(services.student_editable_fields(student=student, actor=viewer)),
        "consent": consent,
        "consent_status": minors.consent_status(student),
        "consent_history": list(student.consents.all()) if show_history else None,
        "restrictions": minors.student_restrictions(student),
        "statement": minors.consent_statement(student, tenant_name=request.tenant.name),
        "can_give_consent": linked_parent and consent is None and age < minors.CONSENT_AGE,
        "can_withdraw_consent": consent is not None and (staff or linked_parent),
    }
    if staff:
        context["parent_form"] = forms_.get("parent_form") or ParentForm()
        context["assign_form"] = forms_.get("assign_form") or AssignTutorForm(viewer=viewer)
        if consent is None and age < minors.CONSENT_AGE:
            context["record_form"] = forms_.get("record_form") or ConsentRecordForm(
                student=student, initial={"statement": context["statement"]}
            )
    if context["can_give_consent"]:
        context["give_form"] = forms_.get("give_form") or ConsentGiveForm()
    return context


def _render_detail(request, student: StudentProfile, **forms_: forms.Form) -> HttpResponse:
    context = _detail_context(request, student, **forms_)
    return render(request, "crm/students/detail.html", context)


def _apply_errors(form: forms.Form, error: ValidationError, rename: dict[str, str]) -> None:
    """A service's field errors on the form, its field names mapped by ``rename``."""
    for field, field_messages in error.message_dict.items():
        target = rename.get(field, field)
        for message in field_messages:
            form.add_error(target if target in form.fields else None, message)


def _message_of(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return getattr(error, "message", None) or str(error)


def _back(student_pk: int) -> HttpResponse:
    return redirect("crm:student_detail", pk=student_pk)


# Pages -------------------------------------------------------------------------------------


@member_required()
def student_list_page(request) -> HttpResponse:
    viewer = request.membership
    filters = StudentFilterForm(request.GET or None, viewer=viewer)
    criteria: dict[str, Any] = {}
    if filters.is_bound and filters.is_valid():
        data = filters.cleaned_data
        criteria = {
            "q": data.get("q") or "",
            "subject_id": data["subject"].pk if data.get("subject") else None,
            "grade_level": data.get("grade_level") or "",
            "tutor_id": data["tutor"].pk if data.get("tutor") else None,
            "status": data.get("status") or "",
            "consent": data.get("consent") or "",
            "age": data.get("age") or "",
            "sort": data.get("sort") or "name",
        }
    students = Paginator(selectors.student_search(viewer=viewer, **criteria), 25).get_page(
        request.GET.get("page")
    )
    students.object_list = list(students.object_list)
    today = minors.tenant_today()
    for student in students.object_list:
        student.age = minors.student_age(student, today=today)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "students": students,
        "query": query.urlencode(),
        "is_staff": viewer.is_agency_staff,
        "title": "Students" if viewer.is_agency_staff else LIST_TITLES.get(viewer.role),
    }
    if request.htmx:
        return render(request, "crm/students/_results.html", context)
    return render(request, "crm/students/list.html", context)


@member_required(Role.STUDENT)
def student_me(request) -> HttpResponse:
    """A student's own profile (the dashboard links here)."""
    student = selectors.student_list(viewer=request.membership).first()
    if student is None:
        raise Http404
    return _back(student.pk)


@agency_staff_required
def student_create_page(request) -> HttpResponse:
    form = StudentCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            student = services.student_create(
                actor=request.membership,
                request=request,
                parents=form.parents(),
                **form.service_fields(),
            )
        except ValidationError as error:
            form.apply_errors(error)
        except ApplicationError as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, f"{student.full_name} was added.")
            return _back(student.pk)
    return render(request, "crm/students/create.html", {"form": form})


@member_required()
def student_detail_page(request, pk: int) -> HttpResponse:
    return _render_detail(request, _student_or_404(request, pk))


@member_required()
def student_edit_page(request, pk: int) -> HttpResponse:
    student = _student_or_404(request, pk)
    fields = services.student_editable_fields(student=student, actor=request.membership)
    if not fields:
        raise PermissionDenied
    form_class = StudentForm if request.membership.is_agency_staff else PreferencesForm
    initial = {
        name: getattr(student, name) for name in form_class.base_fields if name != "subjects"
    }
    if "subjects" in form_class.base_fields:
        initial["subjects"] = list(student.subjects.all())
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.student_update(
                student=student,
                actor=request.membership,
                request=request,
                **form.service_fields(),
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, "The profile was saved.")
            return _back(student.pk)
    return render(request, "crm/students/edit.html", {"form": form, "student": student})


@agency_staff_required
@require_POST
def student_archive_page(request, pk: int) -> HttpResponse:
    student = services.student_archive(
        student=_student_or_404(request, pk), actor=request.membership, request=request
    )
    messages.success(request, f"{student.full_name} is archived.")
    return _back(pk)


@agency_staff_required
@require_POST
def student_unarchive_page(request, pk: int) -> HttpResponse:
    student = services.student_unarchive(
        student=_student_or_404(request, pk), actor=request.membership, request=request
    )
    messages.success(request, f"{student.full_name} is active again.")
    return _back(pk)


@agency_staff_required
@require_POST
def student_parent_add(request, pk: int) -> HttpResponse:
    student = _student_or_404(request, pk)
    form = ParentForm(request.POST)
    if form.is_valid():
        try:
            link = services.parent_link_add(
                student=student, actor=request.membership, request=request, **form.cleaned_data
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, f"{link.email} is linked as a parent.")
            return _back(pk)
    return _render_detail(request, student, parent_form=form)


@agency_staff_required
@require_POST
def parent_link_remove_page(request, pk: int) -> HttpResponse:
    link = (
        ParentLink.objects.select_related("student")
        .filter(pk=pk, student__in=selectors.student_list(viewer=request.membership))
        .first()
    )
    if link is None:
        raise Http404
    try:
        services.parent_link_remove(link=link, actor=request.membership, request=request)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{link.email} is no longer linked.")
    return _back(link.student_id)


@member_required(Role.PARENT)
@require_POST
def student_consent_give(request, pk: int) -> HttpResponse:
    student = _student_or_404(request, pk)
    form = ConsentGiveForm(request.POST)
    if form.is_valid():
        try:
            services.consent_give(
                student=student,
                actor=request.membership,
                statement=minors.consent_statement(student, tenant_name=request.tenant.name),
                request=request,
            )
        except (ValidationError, ApplicationError) as error:
            messages.error(request, _message_of(error))
        else:
            messages.success(request, "Thank you: your consent is recorded.")
        return _back(pk)
    return _render_detail(request, student, give_form=form)


@agency_staff_required
@require_POST
def student_consent_record(request, pk: int) -> HttpResponse:
    student = _student_or_404(request, pk)
    form = ConsentRecordForm(request.POST, student=student)
    if form.is_valid():
        try:
            services.consent_record(
                student=student,
                actor=request.membership,
                parent_link_id=int(form.cleaned_data["parent_link"]),
                method=form.cleaned_data["method"],
                statement=form.cleaned_data["statement"],
                request=request,
            )
        except ValidationError as error:
            _apply_errors(form, error, {"parent_link_id": "parent_link"})
        except ApplicationError as error:
            messages.error(request, error.message)
            return _back(pk)
        else:
            messages.success(request, "The parent's consent is recorded.")
            return _back(pk)
    return _render_detail(request, student, record_form=form)


@member_required()
@require_POST
def student_consent_withdraw(request, pk: int) -> HttpResponse:
    student = _student_or_404(request, pk)
    try:
        services.consent_withdraw(student=student, actor=request.membership, request=request)
    except (ApplicationError, PermissionDenied) as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(request, "The consent is withdrawn.")
    return _back(pk)


@agency_staff_required
@require_POST
def student_tutor_assign(request, pk: int) -> HttpResponse:
    student = _student_or_404(request, pk)
    form = AssignTutorForm(request.POST, viewer=request.membership)
    if form.is_valid():
        subject = form.cleaned_data.get("subject")
        try:
            assignment = services.tutor_assign(
                student=student,
                actor=request.membership,
                tutor_id=form.cleaned_data["tutor"].pk,
                subject_id=subject.pk if subject else None,
                request=request,
            )
        except ValidationError as error:
            _apply_errors(form, error, {"tutor_id": "tutor", "subject_id": "subject"})
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"{assignment.tutor.full_name} now teaches {student.full_name}."
            )
            return _back(pk)
    return _render_detail(request, student, assign_form=form)


@agency_staff_required
@require_POST
def tutor_assignment_remove(request, pk: int) -> HttpResponse:
    assignment = (
        TutorAssignment.objects.select_related("tutor")
        .filter(pk=pk, student__in=selectors.student_list(viewer=request.membership))
        .first()
    )
    if assignment is None:
        raise Http404
    services.tutor_unassign(assignment=assignment, actor=request.membership, request=request)
    messages.success(request, f"{assignment.tutor.full_name} no longer teaches this student.")
    return _back(assignment.student_id)


urlpatterns = [
    path("students/", student_list_page, name="student_list"),
    path("students/new/", student_create_page, name="student_create"),
    path("students/me/", student_me, name="student_me"),
    path("students/<int:pk>/", student_detail_page, name="student_detail"),
    path("students/<int:pk>/edit/", student_edit_page, name="student_edit"),
    path("students/<int:pk>/archive/", student_archive_page, name="student_archive"),
    path("students/<int:pk>/unarchive/", student_unarchive_page, name="student_unarchive"),
    path("students/<int:pk>/parents/add/", student_parent_add, name="student_parent_add"),
    path("students/<int:pk>/consent/give/", student_consent_give, name="student_consent_give"),
    path(
        "students/<int:pk>/consent/record/",
        student_consent_record,
        name="student_consent_record",
    ),
    path(
        "students/<int:pk>/consent/withdraw/",
        student_consent_withdraw,
        name="student_consent_withdraw",
    ),
    path("students/<int:pk>/tutors/assign/", student_tutor_assign, name="student_tutor_assign"),
    path("parent-links/<int:pk>/remove/", parent_link_remove_page, name="parent_link_remove"),
    path(
        "tutor-assignments/<int:pk>/remove/",
        tutor_assignment_remove,
        name="tutor_assignment_remove",
    ),
]
