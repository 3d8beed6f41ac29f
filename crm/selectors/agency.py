"""Reads of the crm domain for agency management: the tutor list, and the CSV exports."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import Membership
from crm.models import (
    ParentLink,
    TutorAssignment,
    TutorProfile,
    TutorSubject,
    Visibility,
)
from crm.selectors.students import student_list
from crm.selectors.tutors import tutor_profile_list

__all__ = [
    "TUTOR_SORTS",
    "TUTOR_STATUSES",
    "student_export_rows",
    "tutor_export_rows",
    "tutor_profile_search",
]

TUTOR_SORTS = {
    "name": ("sort_first_name", "sort_last_name", "id"),
    "-name": ("-sort_first_name", "-sort_last_name", "-id"),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
}
TUTOR_STATUSES = ("active", "invited")


def _matches(word: str, *, staff: bool) -> Q:
    found = (
        Q(user__first_name__icontains=word)
        | Q(user__last_name__icontains=word)
        | Q(invited_first_name__icontains=word)
        | Q(invited_last_name__icontains=word)
        | Q(headline__icontains=word)
    )
    if staff:  # other members do not see tutors' addresses
        found |= Q(user__email__icontains=word) | Q(invited_email__icontains=word)
    return found


def tutor_profile_search(
    *,
    viewer: Membership,
    q: str = "",
    subject_id: int | None = None,
    level: str = "",
    verification: str = "",
    status: str = "",
    sort: str = "name",
) -> QuerySet[TutorProfile]:
    """The tutor profiles ``viewer`` may see (``tutor_profile_list``), narrowed and sorted.

    ``q`` matches every word against names and headline (and email, for agency staff);
    ``subject_id`` and ``level`` match one subject row of the tutor together. For members
    who are not staff, a tutor's subjects count only when that section is not private,
    and ``verification`` and ``status`` (active, or invited: recorded, not yet joined)
    narrow nothing beyond what they may see.
    """
    staff = viewer.is_agency_staff
    profiles = tutor_profile_list(viewer=viewer).prefetch_related("credentials")
    for word in q.split()[:10]:
        profiles = profiles.filter(_matches(word, staff=staff))
    if subject_id is not None or level:
        taught = TutorSubject.objects.filter(profile=OuterRef("pk"))
        if subject_id is not None:
            taught = taught.filter(subject_id=subject_id)
        if level:
            taught = taught.filter(level=level)
        profiles = profiles.filter(Exists(taught))
        if not staff:
            profiles = profiles.exclude(
                Q(subjects_visibility=Visibility.PRIVATE) & ~Q(user_id=viewer.user_id)
            )
    if staff and verification:
        profiles = profiles.filter(verification_status=verification)
    if status == "invited":
        profiles = profiles.filter(user__isnull=True)
    elif status == "active":
        profiles = profiles.filter(user__isnull=False)
    return profiles.order_by(*TUTOR_SORTS.get(sort, TUTOR_SORTS["name"]))


# Exports: the import's columns (crm.csv_io), in the same order -----------------------------


def _slugs(subjects) -> str:
    return ";".join(subject.slug for subject in subjects)


def student_export_rows(*, viewer: Membership) -> Iterator[list]:
    """One row per student ``viewer`` may see: ``STUDENT_COLUMNS`` then the summaries.

    The first parent fills the parent columns (an import takes one parent per row);
    ``parents`` lists every parent's address and ``tutors`` the assigned tutors.
    """
    students = (
        student_list(viewer=viewer)
        .prefetch_related(
            "subjects",
            Prefetch("parent_links", queryset=ParentLink.objects.order_by("created_at", "id")),
            Prefetch("assignments", queryset=TutorAssignment.objects.select_related("tutor")),
        )
        .order_by("last_name", "first_name", "id")
    )
    for student in students.iterator(chunk_size=500):
        links = list(student.parent_links.all())
        first = links[0] if links else None
        yield [
            student.first_name,
            student.last_name,
            student.email,
            student.date_of_birth.isoformat(),
            student.grade_level,
            _slugs(student.subjects.all()),
            student.learning_style,
            first.email if first else "",
            first.first_name if first else "",
            first.last_name if first else "",
            first.relationship if first else "",
            "; ".join(link.email for link in links),
            "; ".join(a.tutor.full_name or a.tutor.email for a in student.assignments.all()),
        ]


def _tutor_subjects_cell(profile: TutorProfile) -> str:
    entries = []
    for taught in profile.subjects.all():
        entry = f"{taught.subject.slug}:{taught.level}:{taught.proficiency}"
        if taught.hourly_rate_minor is not None:
            entry += f":{taught.hourly_rate_minor}"
        entries.append(entry)
    return ";".join(entries)


def tutor_export_rows(*, viewer: Membership) -> Iterator[list]:
    """One row per tutor ``viewer`` may see (agency staff: invited ones too), ``TUTOR_COLUMNS``.

    Rates are exported without their currency: the import uses the tenant's.
    """
    for profile in tutor_profile_list(viewer=viewer).iterator(chunk_size=500):
        yield [
            profile.user.email if profile.user_id else profile.invited_email,
            profile.first_name,
            profile.last_name,
            profile.headline,
            "" if profile.years_of_experience is None else profile.years_of_experience,
            ";".join(profile.languages),
            _tutor_subjects_cell(profile),
        ]
