"""Who sees which sessions, and the tutors and students a viewer may book for."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Membership
from crm.models import StudentProfile, TutorProfile
from crm.selectors.students import student_list
from scheduling.models import Session

__all__ = [
    "bookable_students",
    "session_get",
    "session_list",
    "session_party",
    "tutor_profile_for",
]

Role = Membership.Role


def session_list(*, viewer: Membership) -> QuerySet[Session]:
    """The sessions ``viewer`` may see in this tenant.

    Owners, admins and staff see all; a tutor sees their own; a student sees theirs; a
    parent sees their linked children's. Anyone else sees none.
    """
    sessions = Session.objects.all()
    if viewer.is_agency_staff:
        return sessions
    if viewer.role == Role.TUTOR:
        return sessions.filter(tutor__user_id=viewer.user_id)
    if viewer.role == Role.STUDENT:
        return sessions.filter(student__user_id=viewer.user_id)
    if viewer.role == Role.PARENT:
        return sessions.filter(
            student__parent_links__parent_id=viewer.user_id, student__is_active=True
        ).distinct()
    return sessions.none()


def session_get(*, viewer: Membership, pk: int) -> Session | None:
    """One session ``viewer`` may see, with its people, or None (a 404 for anyone else)."""
    return (
        session_list(viewer=viewer)
        .select_related("tutor__user", "student", "subject")
        .filter(pk=pk)
        .first()
    )


def session_party(*, viewer: Membership, session: Session) -> str | None:
    """Which side of ``session`` the viewer is on: "tutor", "student", "agency" or None.

    A linked parent acts on the student's side.
    """
    if session.tutor.user_id == viewer.user_id and viewer.role == Role.TUTOR:
        return "tutor"
    if viewer.role in (Role.STUDENT, Role.PARENT):
        if student_list(viewer=viewer).filter(pk=session.student_id).exists():
            return "student"
        return None
    if viewer.is_agency_staff:
        return "agency"
    return None


def bookable_students(*, viewer: Membership) -> QuerySet[StudentProfile]:
    """The students ``viewer`` may request sessions for: staff any active student, a
    student themself, a parent their linked children. Tutors book through the agency.
    """
    if viewer.role == Role.TUTOR:
        return StudentProfile.objects.none()
    return student_list(viewer=viewer).filter(is_active=True)


def tutor_profile_for(*, user_id: int) -> TutorProfile | None:
    return TutorProfile.objects.filter(Q(user_id=user_id)).select_related("user").first()
