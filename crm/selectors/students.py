"""Reads of the crm domain: students, and who may see which of them."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Membership, User
from crm.minors import ADULT_AGE, CONSENT_AGE, born_by, tenant_today
from crm.models import ParentalConsent, ParentLink, StudentProfile, TutorAssignment

__all__ = [
    "STUDENT_SORTS",
    "consent_history",
    "consent_history_visible",
    "student_detail_get",
    "student_get",
    "student_list",
    "student_search",
    "tutor_choices",
]

Role = Membership.Role

STUDENT_SORTS = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "date_of_birth": ("date_of_birth", "id"),
    "-date_of_birth": ("-date_of_birth", "-id"),
}


def student_list(*, viewer: Membership) -> QuerySet[StudentProfile]:
    """The students ``viewer`` may see in this tenant.

    Owners, admins and staff see every student (archived ones too); a tutor sees the
    active students assigned to them; a student sees themself; a parent sees their
    linked children. Anyone else sees none.
    """
    students = StudentProfile.objects.all()
    if viewer.is_agency_staff:
        return students
    students = students.filter(is_active=True)
    if viewer.role == Role.TUTOR:
        return students.filter(assignments__tutor_id=viewer.user_id).distinct()
    if viewer.role == Role.STUDENT:
        return students.filter(user_id=viewer.user_id)
    if viewer.role == Role.PARENT:
        return students.filter(parent_links__parent_id=viewer.user_id).distinct()
    return students.none()


def student_get(*, viewer: Membership, pk: int) -> StudentProfile | None:
    """One student ``viewer`` may see (by the rules of ``student_list``), or None."""
    return student_list(viewer=viewer).filter(pk=pk).first()


def _with_profile(students: QuerySet[StudentProfile]) -> QuerySet[StudentProfile]:
    """Everything a student's card shows, in a fixed number of queries."""
    return students.select_related("user").prefetch_related(
        "subjects",
        Prefetch("parent_links", queryset=ParentLink.objects.select_related("parent")),
        Prefetch(
            "assignments", queryset=TutorAssignment.objects.select_related("tutor", "subject")
        ),
        Prefetch(
            "consents",
            queryset=ParentalConsent.objects.select_related(
                "parent", "recorded_by", "withdrawn_by"
            ),
        ),
    )


def _consent_in_force() -> Exists:
    return Exists(ParentalConsent.objects.filter(student=OuterRef("pk"), withdrawn_at__isnull=True))


def student_search(
    *,
    viewer: Membership,
    q: str = "",
    subject_id: int | None = None,
    grade_level: str = "",
    tutor_id: int | None = None,
    status: str = "",
    consent: str = "",
    age: str = "",
    sort: str = "name",
) -> QuerySet[StudentProfile]:
    """The students ``viewer`` may see, narrowed and ordered.

    ``q`` matches every word in the first name, last name or email (any case);
    ``status`` is active/archived, ``consent`` needed/given, ``age`` minor/adult.
    """
    students = student_list(viewer=viewer)
    for word in q.split():
        students = students.filter(
            Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(email__icontains=word)
        )
    if subject_id is not None:
        students = students.filter(
            Exists(
                StudentProfile.subjects.through.objects.filter(
                    studentprofile_id=OuterRef("pk"), subject_id=subject_id
                )
            )
        )
    if grade_level:
        students = students.filter(grade_level__iexact=grade_level.strip())
    if tutor_id is not None:
        students = students.filter(
            Exists(TutorAssignment.objects.filter(student=OuterRef("pk"), tutor_id=tutor_id))
        )
    if status:
        students = students.filter(is_active=status == "active")
    today = tenant_today()
    if consent == "given":
        students = students.filter(_consent_in_force())
    elif consent == "needed":
        students = students.filter(date_of_birth__gt=born_by(CONSENT_AGE, today)).exclude(
            _consent_in_force()
        )
    if age == "minor":
        students = students.filter(date_of_birth__gt=born_by(ADULT_AGE, today))
    elif age == "adult":
        students = students.filter(date_of_birth__lte=born_by(ADULT_AGE, today))
    return _with_profile(students.order_by(*STUDENT_SORTS.get(sort, STUDENT_SORTS["name"])))


def student_detail_get(*, viewer: Membership, pk: int) -> StudentProfile | None:
    """One student ``viewer`` may see, with parents, tutors and consents loaded."""
    return _with_profile(student_list(viewer=viewer).filter(pk=pk)).first()


def consent_history_visible(*, viewer: Membership, student: StudentProfile) -> bool:
    """The agency's staff and the student's linked parents see the consent record."""
    if viewer.is_agency_staff:
        return True
    return (
        viewer.role == Role.PARENT
        and student.parent_links.filter(parent_id=viewer.user_id).exists()
    )


def consent_history(*, viewer: Membership, student: StudentProfile) -> QuerySet[ParentalConsent]:
    """Every consent given for ``student``, newest first (none for viewers not allowed)."""
    consents = ParentalConsent.objects.filter(student=student).select_related(
        "parent", "recorded_by", "withdrawn_by"
    )
    if not consent_history_visible(viewer=viewer, student=student):
        return consents.none()
    return consents


def tutor_choices(*, viewer: Membership) -> QuerySet[User]:
    """The active tutors of the viewer's tenant (for assigning and filtering; staff only)."""
    if not viewer.is_agency_staff:
        return User.objects.none()
    return User.objects.filter(
        memberships__tenant=viewer.tenant,
        memberships__role=Role.TUTOR,
        memberships__is_active=True,
    ).order_by("last_name", "first_name", "id")
