"""Reads of the crm domain: learning goals, progress towards them, and students' documents.

Everything here is reached through a student the viewer may see
(``crm.selectors.students.student_list``), so another tenant's or another family's ids
are simply not found.
"""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from accounts.models import Membership
from crm.models import (
    LearningGoal,
    ProgressEntry,
    StudentDocument,
    StudentProfile,
    TutorAssignment,
)
from crm.selectors.students import student_list

__all__ = [
    "goal_get",
    "goal_list",
    "progress_editor_is",
    "progress_entry_get",
    "progress_entry_list",
    "progress_series",
    "student_document_get",
    "student_document_list",
]


def progress_editor_is(*, viewer: Membership, student: StudentProfile) -> bool:
    """Whether ``viewer`` may set goals and record progress: staff, or an assigned tutor."""
    if viewer.is_agency_staff:
        return True
    return (
        viewer.role == Membership.Role.TUTOR
        and student.is_active
        and TutorAssignment.objects.filter(student=student, tutor_id=viewer.user_id).exists()
    )


def _latest_progress() -> Subquery:
    latest = ProgressEntry.objects.filter(goal=OuterRef("pk")).order_by("-recorded_on", "-id")
    return Subquery(latest.values("progress")[:1])


def _goals() -> QuerySet[LearningGoal]:
    return LearningGoal.objects.select_related("subject", "student").annotate(
        latest_progress=_latest_progress()
    )


def goal_list(*, viewer: Membership, student: StudentProfile) -> QuerySet[LearningGoal]:
    """The goals of ``student`` (one the viewer may see), with ``latest_progress`` (or None)."""
    visible = student_list(viewer=viewer).filter(pk=student.pk)
    return _goals().filter(student__in=visible)


def goal_get(*, viewer: Membership, pk: int) -> LearningGoal | None:
    """One goal of a student ``viewer`` may see, or None."""
    return _goals().filter(pk=pk, student__in=student_list(viewer=viewer)).first()


def progress_entry_list(*, viewer: Membership, goal: LearningGoal) -> QuerySet[ProgressEntry]:
    """The entries of ``goal``, oldest first, with who recorded them."""
    return (
        ProgressEntry.objects.filter(goal=goal, goal__student__in=student_list(viewer=viewer))
        .select_related("recorded_by")
        .order_by("recorded_on", "id")
    )


def progress_entry_get(*, viewer: Membership, pk: int) -> ProgressEntry | None:
    return (
        ProgressEntry.objects.select_related("goal__student", "recorded_by")
        .filter(pk=pk, goal__student__in=student_list(viewer=viewer))
        .first()
    )


def progress_series(*, viewer: Membership, student: StudentProfile) -> list[dict]:
    """Per goal of ``student``: its facts and its entries as ``[{date, progress}]``, oldest
    first. Two queries, however many goals and entries.
    """
    entries = ProgressEntry.objects.select_related("recorded_by").order_by("recorded_on", "id")
    goals = goal_list(viewer=viewer, student=student).prefetch_related(
        Prefetch("entries", queryset=entries, to_attr="entry_list")
    )
    return [
        {
            "goal": goal,
            "points": [
                {"date": entry.recorded_on, "progress": entry.progress} for entry in goal.entry_list
            ],
        }
        for goal in goals
    ]


def student_document_list(
    *, viewer: Membership, student: StudentProfile
) -> QuerySet[StudentDocument]:
    """Documents shared on ``student``'s profile, newest first."""
    return StudentDocument.objects.select_related("document", "shared_by").filter(
        student=student, student__in=student_list(viewer=viewer)
    )


def student_document_get(*, viewer: Membership, pk: int) -> StudentDocument | None:
    return (
        StudentDocument.objects.select_related("document", "shared_by", "student")
        .filter(pk=pk, student__in=student_list(viewer=viewer))
        .first()
    )
