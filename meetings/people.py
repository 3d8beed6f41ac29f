"""The people of a session and the part each plays in its meeting."""

from __future__ import annotations

from dataclasses import dataclass

from crm.models import ParentLink
from meetings.models import AttendanceRole
from scheduling.models import Session

__all__ = ["Person", "session_people", "session_person_by_email"]


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    name: str
    role: str  # an AttendanceRole


def _name(user) -> str:
    return user.get_full_name() or user.email


def session_people(session: Session) -> list[Person]:
    """The tutor, the student (when they have an account) and the student's linked parents.

    Agency staff are not listed: they may observe (a tenant setting) but are no party.
    """
    people = [
        Person(
            session.tutor.user_id,
            session.tutor.user.email,
            _name(session.tutor.user),
            AttendanceRole.TUTOR,
        )
    ]
    student = session.student
    if student.user_id is not None:
        people.append(
            Person(student.user_id, student.user.email, _name(student.user), AttendanceRole.STUDENT)
        )
    links = ParentLink.objects.filter(student_id=student.pk, parent__isnull=False).select_related(
        "parent"
    )
    for link in links:
        people.append(
            Person(link.parent_id, link.parent.email, _name(link.parent), AttendanceRole.PARENT)
        )
    return people


def session_person_by_email(session: Session, email: str) -> Person | None:
    """The party of ``session`` whose account uses ``email`` (case-insensitive), if any."""
    wanted = (email or "").strip().lower()
    if not wanted:
        return None
    return next((p for p in session_people(session) if p.email.lower() == wanted), None)
