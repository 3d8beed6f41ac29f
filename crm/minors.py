"""The rules for children: who needs a parent, who needs a parent's consent.

- A student under 18 must have a linked parent or guardian.
- A student under 13 cannot book, message or upload until a linked parent has given
  consent that is recorded (who, when, how) and not withdrawn.

Ages are counted on the tenant's calendar date. Other domains ask ``student_check`` before
letting a student act (scheduling for booking, messaging, uploads here).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from config.errors import ApplicationError
from crm.models import ParentalConsent, StudentProfile

ADULT_AGE = 18
CONSENT_AGE = 13
GUARDED_ACTIONS = frozenset({"book", "message", "upload"})


@dataclass(frozen=True)
class Restriction:
    code: str
    message: str


def age_on(date_of_birth: dt.date, day: dt.date) -> int:
    """Completed years on ``day`` (someone born on 29 February turns a year older on 1 March)."""
    before_birthday = (day.month, day.day) < (date_of_birth.month, date_of_birth.day)
    return day.year - date_of_birth.year - before_birthday


def tenant_today() -> dt.date:
    """Today's date where the current tenant is."""
    tenant = getattr(connection, "tenant", None)
    zone = getattr(tenant, "time_zone", None) or "UTC"
    return timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).date()


def born_by(years: int, today: dt.date) -> dt.date:
    """The latest date of birth of someone at least ``years`` old on ``today``.

    ``age_on(d, today) >= years`` exactly when ``d <= born_by(years, today)``; on 29
    February the matching day in a common year is the 28th.
    """
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


def student_age(student: StudentProfile, *, today: dt.date | None = None) -> int:
    return age_on(student.date_of_birth, today or tenant_today())


def consent_in_force(student: StudentProfile) -> ParentalConsent | None:
    """The consent not withdrawn, if any (read from ``consents`` when it was prefetched)."""
    if "consents" in getattr(student, "_prefetched_objects_cache", {}):
        return next((c for c in student.consents.all() if c.withdrawn_at is None), None)
    return student.consents.filter(withdrawn_at__isnull=True).select_related("parent").first()


def consent_status(student: StudentProfile, *, today: dt.date | None = None) -> str:
    """``not_required`` (13 or older), ``given`` (a consent is in force) or ``needed``."""
    if consent_in_force(student) is not None:
        return "given"
    if student_age(student, today=today) >= CONSENT_AGE:
        return "not_required"
    return "needed"


def consent_statement(student: StudentProfile, *, tenant_name: str) -> str:
    """The words a parent agrees to when giving consent online for ``student``."""
    return (
        f"I am a parent or legal guardian of {student.full_name}. I consent to "
        f"{tenant_name} keeping their profile and letting them book sessions, message "
        "their tutors and upload documents. I can withdraw this consent at any time."
    )


def student_restrictions(
    student: StudentProfile, *, today: dt.date | None = None
) -> list[Restriction]:
    """What stops ``student`` from booking, messaging and uploading; empty when nothing."""
    age = student_age(student, today=today)
    restrictions = []
    if age < ADULT_AGE and not student.parent_links.exists():
        restrictions.append(
            Restriction(
                "parent_required",
                "A student under 18 needs a linked parent or guardian.",
            )
        )
    if age < CONSENT_AGE and consent_in_force(student) is None:
        restrictions.append(
            Restriction(
                "consent_required",
                "A parent must give consent before a student under 13 can book, message or upload.",
            )
        )
    return restrictions


def student_check(student: StudentProfile, action: str) -> None:
    """Raise a 403 ``ApplicationError`` when ``student`` may not ``action`` yet."""
    if action not in GUARDED_ACTIONS:
        raise ValueError(f"Unknown guarded action {action!r}")
    restrictions = student_restrictions(student)
    if restrictions:
        raise ApplicationError(restrictions[0].message, code=restrictions[0].code, status=403)
