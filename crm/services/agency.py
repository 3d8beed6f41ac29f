"""Writes of the crm domain: the agency's CSV import of students and tutors.

An import is all or nothing. Every row is checked (each one written inside its own
savepoint, so later rows see the earlier ones and are still checked when one fails);
if any row is at fault the whole import is rolled back, invitations and their emails
included (emails leave on commit), and the caller gets every problem as
``{row, column, message}``. A dry run checks the same way and then rolls back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import Membership, UserManager
from audit.services import audit_record
from config.errors import ApplicationError
from crm.csv_io import CsvRow
from crm.guards import require_manager
from crm.models import Level, ParentLink, Subject, TutorProfile, TutorSubject
from crm.services.students import _invite_unless_pending, student_create
from crm.validation import (
    MAX_YEARS_OF_EXPERIENCE,
    currency_validate,
    hourly_rate_validate,
    int_in_range_validate,
    languages_validate,
    proficiency_validate,
    text_validate,
)

__all__ = ["students_import", "tutors_import"]

Role = Membership.Role
NAME_LIMIT = 150

# Where student_create's field errors belong in the file.
STUDENT_ERROR_COLUMNS = {
    "subject_ids": "subjects",
    "parents": "parent_email",
    "non_field_errors": "",
}


class _Problems:
    """The import's problems, in file order: ``{row, column, message}``."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, row: int, column: str, messages: Sequence[str]) -> None:
        for message in messages:
            self.items.append({"row": row, "column": column, "message": str(message)})

    def raise_if_any(self) -> None:
        if self.items:
            rows = len({item["row"] for item in self.items})
            raise ApplicationError(
                f"{rows} {'row has' if rows == 1 else 'rows have'} problems; nothing was imported.",
                code="invalid",
                status=400,
                extra={"fields": {"rows": self.items}},
            )


def _require_importer(actor: Membership | None) -> Membership:
    return require_manager(actor, "Only the agency's owners and admins can import.")


def _finish(*, actor, kind: str, count: int, dry_run: bool, request) -> int:
    if dry_run:
        transaction.set_rollback(True)
        return count
    audit_record(
        action=f"crm.{kind}.imported",
        actor=actor.user,
        tenant=actor.tenant,
        data={"rows": count},
        request=request,
    )
    return count


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def _active_subjects() -> dict[str, Subject]:
    return {subject.slug: subject for subject in Subject.objects.filter(is_active=True)}


def _first_seen(seen: dict[str, int], key: str, row: int) -> int | None:
    """The row that already had ``key`` in this file, or None (and remember this one)."""
    if key in seen:
        return seen[key]
    seen[key] = row
    return None


# Students ----------------------------------------------------------------------------------


def _student_arguments(
    row: CsvRow, subjects: dict[str, Subject], problems: _Problems
) -> dict[str, Any]:
    """student_create's arguments from one row; faults the service cannot place in a
    column (unknown subject slugs, parent names, relationship) go to ``problems``."""
    values = row.values
    subject_ids = []
    unknown = []
    for slug in _split(values.get("subjects", "")):
        if slug in subjects:
            subject_ids.append(subjects[slug].pk)
        else:
            unknown.append(slug)
    if unknown:
        problems.add(
            row.number,
            "subjects",
            [f"Unknown or inactive subjects: {', '.join(unknown)}. Use the catalogue's slugs."],
        )
    parent = {
        "email": values.get("parent_email", ""),
        "first_name": values.get("parent_first_name", ""),
        "last_name": values.get("parent_last_name", ""),
        "relationship": values.get("parent_relationship", ""),
    }
    for field in ("first_name", "last_name"):
        if len(parent[field]) > NAME_LIMIT:
            problems.add(row.number, f"parent_{field}", [f"Use at most {NAME_LIMIT} characters."])
            parent[field] = ""
    if parent["relationship"] not in ("", *ParentLink.Relationship.values):
        problems.add(
            row.number,
            "parent_relationship",
            [f"Choose one of: {', '.join(ParentLink.Relationship.values)}, or leave it empty."],
        )
        parent["relationship"] = ""
    return {
        "first_name": values.get("first_name", ""),
        "last_name": values.get("last_name", ""),
        "email": values.get("email", ""),
        "date_of_birth": values.get("date_of_birth", ""),
        "grade_level": values.get("grade_level", ""),
        "learning_style": values.get("learning_style", ""),
        "subject_ids": subject_ids,
        "parents": [parent] if any(parent.values()) else [],
    }


@transaction.atomic
def students_import(
    *, actor: Membership, rows: Sequence[CsvRow], dry_run: bool = False, request=None
) -> int:
    """Record every student of ``rows`` (with parents and invitations), or none of them.

    Each row goes through ``student_create``, so the rules are those of adding a student
    by hand. Returns the number of rows imported (or, in a dry run, that would be).
    """
    actor = _require_importer(actor)
    subjects = _active_subjects()
    problems = _Problems()
    emails: dict[str, int] = {}
    for row in rows:
        if row.problem:
            problems.add(row.number, "", [row.problem])
            continue
        arguments = _student_arguments(row, subjects, problems)
        email = arguments["email"].lower()
        earlier = _first_seen(emails, email, row.number) if email else None
        if earlier is not None:
            problems.add(row.number, "email", [f"The same email is on row {earlier}."])
            arguments["email"] = ""  # check the rest of the row all the same
        try:
            with transaction.atomic():
                student_create(actor=actor, request=request, **arguments)
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                column = STUDENT_ERROR_COLUMNS.get(field, field)
                problems.add(row.number, column, [m.removeprefix("Parent 1: ") for m in messages])
    problems.raise_if_any()
    return _finish(actor=actor, kind="students", count=len(rows), dry_run=dry_run, request=request)


# Tutors ------------------------------------------------------------------------------------


def _tutor_email(errors: dict, value: str, tenant, seen: dict[str, int], number: int) -> str:
    email = UserManager.normalize_email(value.strip())
    if not email:
        errors["email"] = ["Enter the tutor's email address."]
        return ""
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
        return email
    earlier = _first_seen(seen, email.lower(), number)
    if earlier is not None:
        errors["email"] = [f"The same email is on row {earlier}."]
        return email
    membership = (
        Membership.objects.filter(tenant=tenant, user__email__iexact=email, is_active=True)
        .only("role")
        .first()
    )
    if membership is not None:
        errors["email"] = [f"This person is already a member here as {membership.role}."]
    elif TutorProfile.objects.filter(user__isnull=True, invited_email__iexact=email).exists():
        errors["email"] = ["A tutor with this email is already recorded and invited here."]
    elif TutorProfile.objects.filter(user__email__iexact=email).exists():
        errors["email"] = ["This person already has a tutor profile here."]
    return email


def _tutor_name(errors: dict, field: str, value: str, *, required: bool) -> str:
    if required and not value:
        errors[field] = ["Enter a name."]
    elif len(value) > NAME_LIMIT:
        errors[field] = [f"Use at most {NAME_LIMIT} characters."]
    return value


def _whole_number(text: str) -> int | str:
    """``text`` as an int when it is one, else unchanged (the validators then refuse it)."""
    return int(text) if text.isascii() and text.isdigit() else text


def _tutor_subjects(
    errors: dict, value: str, subjects: dict[str, Subject], currency: str
) -> list[TutorSubject]:
    """``slug:level:proficiency[:hourly_rate_minor]`` entries separated by ``;``."""
    made: list[TutorSubject] = []
    messages: list[str] = []
    taught: set[tuple[str, str]] = set()
    for entry in _split(value):
        parts = [part.strip() for part in entry.split(":")]
        if len(parts) not in (3, 4):
            messages.append(
                f"“{entry[:40]}”: write slug:level:proficiency or "
                "slug:level:proficiency:hourly_rate_minor."
            )
            continue
        slug, level, proficiency = parts[:3]
        rate = parts[3] if len(parts) == 4 and parts[3] else None
        found: dict[str, list[str]] = {}
        subject = subjects.get(slug)
        if subject is None:
            found["subject"] = [f"unknown or inactive subject “{slug[:40]}”."]
        if level not in Level.values:
            found["level"] = [f"choose a level of: {', '.join(Level.values)}."]
        proficiency = proficiency_validate(found, _whole_number(proficiency))
        rate = hourly_rate_validate(found, None if rate is None else _whole_number(rate))
        if (slug, level) in taught:
            found["subject"] = ["this subject and level are listed twice."]
        taught.add((slug, level))
        if found:
            messages.extend(
                f"“{entry[:40]}”: {m[0].lower()}{m[1:]}" for ms in found.values() for m in ms
            )
            continue
        made.append(
            TutorSubject(
                subject=subject,
                level=level,
                proficiency=proficiency,
                hourly_rate_minor=rate,
                currency=currency,
            )
        )
    if messages:
        errors["subjects"] = messages
    return made


def _tutor_row(
    row: CsvRow, *, tenant, subjects: dict[str, Subject], currency: str, seen: dict[str, int]
) -> tuple[dict[str, Any], list[TutorSubject], dict[str, list[str]]]:
    values = row.values
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {
        "invited_email": _tutor_email(errors, values.get("email", ""), tenant, seen, row.number),
        "invited_first_name": _tutor_name(
            errors, "first_name", values.get("first_name", ""), required=True
        ),
        "invited_last_name": _tutor_name(
            errors, "last_name", values.get("last_name", ""), required=False
        ),
        "headline": text_validate(errors, "headline", values.get("headline", "")),
        "languages": languages_validate(errors, _split(values.get("languages", ""))),
        "years_of_experience": None,
    }
    years = values.get("years_of_experience", "")
    if years:
        fields["years_of_experience"] = int_in_range_validate(
            errors,
            "years_of_experience",
            _whole_number(years),
            low=0,
            high=MAX_YEARS_OF_EXPERIENCE,
            message=f"Enter a whole number of years from 0 to {MAX_YEARS_OF_EXPERIENCE}.",
        )
    taught = _tutor_subjects(errors, values.get("subjects", ""), subjects, currency)
    return fields, taught, errors


def _tutor_record(*, fields: dict[str, Any], taught: list[TutorSubject], actor, request) -> None:
    profile = TutorProfile.objects.create(user=None, **fields)
    for tutor_subject in taught:
        tutor_subject.profile = profile
    TutorSubject.objects.bulk_create(taught)
    _invite_unless_pending(
        email=profile.invited_email, role=Role.TUTOR, actor=actor, request=request
    )


@transaction.atomic
def tutors_import(
    *, actor: Membership, rows: Sequence[CsvRow], dry_run: bool = False, request=None
) -> int:
    """Record every tutor of ``rows`` with their subjects and invite them, or none of them.

    A tutor is recorded before they have an account (``TutorProfile.user`` empty) and
    invited as tutor; accepting links the account (``crm.receivers``). Rates are in the
    tenant's default currency. An address that is already a member here is refused.
    """
    actor = _require_importer(actor)
    subjects = _active_subjects()
    errors_currency: dict[str, list[str]] = {}
    currency = currency_validate(errors_currency, actor.tenant.default_currency)
    if errors_currency:
        raise ApplicationError(
            "Set the agency's default currency before importing tutors.", code="no_currency"
        )
    problems = _Problems()
    seen: dict[str, int] = {}
    for row in rows:
        if row.problem:
            problems.add(row.number, "", [row.problem])
            continue
        fields, taught, errors = _tutor_row(
            row, tenant=actor.tenant, subjects=subjects, currency=currency, seen=seen
        )
        if not errors:
            try:
                with transaction.atomic():
                    _tutor_record(fields=fields, taught=taught, actor=actor, request=request)
            except IntegrityError:  # a concurrent import recorded the same address
                errors["email"] = ["A tutor with this email is already recorded and invited here."]
            except ValidationError as error:
                errors.update(error.message_dict)
        for column, messages in errors.items():
            problems.add(row.number, column, messages)
    problems.raise_if_any()
    return _finish(actor=actor, kind="tutors", count=len(rows), dry_run=dry_run, request=request)
