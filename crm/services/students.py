"""Writes of the crm domain: students, their parents, parental consent and their tutors.

Agency staff (owners, admins, staff) record students and their parents. A student or
parent with an email address is invited; accepting links their account
(``crm.receivers``). The rules for children are in ``crm.minors``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, User, UserManager
from accounts.services.invitations import invitation_issue
from audit.services import audit_record, client_ip
from config.errors import ApplicationError
from crm.guards import require_agency_staff, require_here
from crm.minors import ADULT_AGE, CONSENT_AGE, age_on, student_age, tenant_today
from crm.models import (
    LearningStyle,
    ParentalConsent,
    ParentLink,
    StudentProfile,
    Subject,
    TutorAssignment,
)
from crm.validation import UNSET, text_validate
from notifications.services import notify

__all__ = [
    "PREFERENCE_FIELDS",
    "STAFF_FIELDS",
    "consent_give",
    "consent_record",
    "consent_withdraw",
    "parent_link_add",
    "parent_link_remove",
    "student_archive",
    "student_create",
    "student_editable_fields",
    "student_fields_validate",
    "student_unarchive",
    "student_update",
    "tutor_assign",
    "tutor_unassign",
]

Role = Membership.Role
MIN_STUDENT_AGE = 3
MAX_STUDENT_AGE = 120
MAX_ID = 2**31 - 1
MAX_STATEMENT_LENGTH = 2000
# What a student (or their parent) may change themself; the rest is the agency's record.
PREFERENCE_FIELDS = ("learning_style", "preferred_session_minutes", "preferences")
STAFF_FIELDS = (
    "first_name",
    "last_name",
    "email",
    "date_of_birth",
    "grade_level",
    "subject_ids",
    *PREFERENCE_FIELDS,
)


def _date_of_birth_validate(errors: dict, value: Any, today: dt.date) -> dt.date | None:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            errors["date_of_birth"] = ["Enter a date as YYYY-MM-DD."]
            return None
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        errors["date_of_birth"] = ["Enter a date as YYYY-MM-DD."]
        return None
    if value > today:
        errors["date_of_birth"] = ["The date of birth cannot be in the future."]
    elif not MIN_STUDENT_AGE <= age_on(value, today) <= MAX_STUDENT_AGE:
        errors["date_of_birth"] = [
            f"Students are {MIN_STUDENT_AGE} to {MAX_STUDENT_AGE} years old; check the date."
        ]
    return value


def _email_validate(errors: dict, field: str, value: Any, *, required: bool) -> str:
    if not isinstance(value, str):
        errors[field] = ["Enter a valid email address."]
        return ""
    value = value.strip()
    if not value:
        if required:
            errors[field] = ["Enter an email address."]
        return ""
    value = UserManager.normalize_email(value)
    try:
        validate_email(value)
    except ValidationError:
        errors[field] = ["Enter a valid email address."]
    return value


def _name_validate(errors: dict, field: str, value: Any, *, required: bool) -> str:
    value = text_validate(errors, field, value)
    if field in errors:
        return value
    if required and not value:
        errors[field] = ["Enter a name."]
    elif len(value) > 150:
        errors[field] = ["Use at most 150 characters."]
    return value


def _subjects_validate(errors: dict, value: Any) -> list[Subject]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        errors["subject_ids"] = ["Send a list of subject ids."]
        return []
    subjects = list(Subject.objects.filter(pk__in=set(value), is_active=True))
    if len(subjects) != len(set(value)):
        errors["subject_ids"] = ["Choose active subjects from the catalogue."]
    return subjects


def student_fields_validate(errors: dict, fields: dict[str, Any]) -> dict[str, Any]:
    """Clean the profile fields present in ``fields``; problems go to ``errors``."""
    today = tenant_today()
    cleaned: dict[str, Any] = {}
    for name in ("first_name", "last_name"):
        if name in fields:
            cleaned[name] = _name_validate(
                errors, name, fields[name], required=name == "first_name"
            )
    if "email" in fields:
        cleaned["email"] = _email_validate(errors, "email", fields["email"], required=False)
    if "date_of_birth" in fields:
        cleaned["date_of_birth"] = _date_of_birth_validate(errors, fields["date_of_birth"], today)
    if "grade_level" in fields:
        cleaned["grade_level"] = text_validate(errors, "grade_level", fields["grade_level"])
    if "learning_style" in fields:
        style = fields["learning_style"]
        if style not in ("", *LearningStyle.values):
            errors["learning_style"] = [
                f"Choose one of: {', '.join(LearningStyle.values)}, or leave it empty."
            ]
        cleaned["learning_style"] = style
    if "preferred_session_minutes" in fields:
        minutes = fields["preferred_session_minutes"]
        if minutes is not None and (
            isinstance(minutes, bool) or not isinstance(minutes, int) or not 15 <= minutes <= 240
        ):
            errors["preferred_session_minutes"] = ["Enter a whole number of minutes, 15 to 240."]
        cleaned["preferred_session_minutes"] = minutes
    if "preferences" in fields:
        cleaned["preferences"] = text_validate(errors, "preferences", fields["preferences"])
    if "subject_ids" in fields:
        cleaned["subjects"] = _subjects_validate(errors, fields["subject_ids"])
    return cleaned


def _member_role(email: str, tenant) -> tuple[User | None, str | None]:
    """The account behind ``email`` and its active role in ``tenant`` (None if not a member)."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return None, None
    membership = Membership.objects.filter(user=user, tenant=tenant, is_active=True).first()
    return user, membership.role if membership else None


def _invite_unless_pending(*, email: str, role: str, actor: Membership, request) -> None:
    """Invite ``email`` as ``role`` unless an open invitation for that role is waiting."""
    pending = Invitation.objects.filter(
        tenant=actor.tenant,
        email__iexact=email,
        role=role,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
    )
    if not any(invitation.status == "pending" for invitation in pending):
        invitation_issue(tenant=actor.tenant, email=email, role=role, actor=actor, request=request)


def _parent_validate(errors: dict, index: int | None, parent: Any, tenant) -> dict[str, Any]:
    """One parent entry: email (required), names, relationship; keyed ``parents`` in errors."""
    messages: dict[str, list[str]] = {}
    if not isinstance(parent, dict):
        messages["email"] = ["Send the parent as an object with an email."]
        cleaned: dict[str, Any] = {}
    else:
        cleaned = {
            "email": _email_validate(messages, "email", parent.get("email"), required=True),
            "first_name": _name_validate(
                messages, "first_name", parent.get("first_name", ""), required=False
            ),
            "last_name": _name_validate(
                messages, "last_name", parent.get("last_name", ""), required=False
            ),
            "relationship": parent.get("relationship", "") or "",
        }
        if cleaned["relationship"] not in ("", *ParentLink.Relationship.values):
            messages["relationship"] = [
                f"Choose one of: {', '.join(ParentLink.Relationship.values)}."
            ]
        if "email" not in messages:
            _, role = _member_role(cleaned["email"], tenant)
            if role not in (None, Role.PARENT):
                messages["email"] = [f"This person is already a member here as {role}."]
    for field, field_messages in messages.items():
        prefix = "" if index is None else f"Parent {index + 1}: "
        key = "parents" if index is not None else field
        errors.setdefault(key, []).extend(prefix + m for m in field_messages)
    return cleaned


def _parent_link_create(
    *, student: StudentProfile, parent: dict[str, Any], actor: Membership, request
) -> ParentLink:
    user, role = _member_role(parent["email"], actor.tenant)
    link = ParentLink.objects.create(
        student=student,
        parent=user if role == Role.PARENT else None,
        email=parent["email"],
        first_name=parent["first_name"],
        last_name=parent["last_name"],
        relationship=parent["relationship"],
        created_by=actor.user,
    )
    if link.parent_id is None:
        _invite_unless_pending(email=link.email, role=Role.PARENT, actor=actor, request=request)
    audit_record(
        action="crm.parent_link.added",
        actor=actor.user,
        tenant=actor.tenant,
        target=link,
        data={"student": student.pk, "email": link.email, "linked": link.parent_id is not None},
        request=request,
    )
    return link


def _student_account(errors: dict, email: str, parent_emails: list[str], tenant) -> User | None:
    """The student member already behind ``email``, if any; a clash goes to ``errors``."""
    if StudentProfile.objects.filter(email__iexact=email).exists():
        errors["email"] = ["Another student already has this email address."]
        return None
    if email.lower() in parent_emails:
        errors["email"] = ["A student's email must differ from their parents'."]
        return None
    user, role = _member_role(email, tenant)
    if role not in (None, Role.STUDENT):
        errors["email"] = [f"This person is already a member here as {role}."]
    return user if role == Role.STUDENT else None


@transaction.atomic
def student_create(
    *,
    actor: Membership,
    first_name: str,
    date_of_birth: dt.date | str,
    last_name: str = "",
    email: str = "",
    grade_level: str = "",
    subject_ids: list[int] = (),
    learning_style: str = "",
    preferred_session_minutes: int | None = None,
    preferences: str = "",
    parents: list[dict[str, Any]] = (),
    request=None,
) -> StudentProfile:
    """Record a student, link or invite their parents, and invite the student by email.

    A student under 18 needs at least one parent (by email). A student whose email
    belongs to a student member of this tenant is linked at once; another address is
    invited. Nothing is written unless every field and parent is valid.
    """
    actor = require_agency_staff(actor, "Only the agency's staff can add students.")
    errors: dict[str, list[str]] = {}
    cleaned = student_fields_validate(
        errors,
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "date_of_birth": date_of_birth,
            "grade_level": grade_level,
            "learning_style": learning_style,
            "preferred_session_minutes": preferred_session_minutes,
            "preferences": preferences,
            "subject_ids": list(subject_ids),
        },
    )
    if not isinstance(parents, list | tuple):
        errors["parents"] = ["Send a list of parents."]
        parents = []
    cleaned_parents = [
        _parent_validate(errors, index, parent, actor.tenant)
        for index, parent in enumerate(parents)
    ]
    emails = [p.get("email", "").lower() for p in cleaned_parents if p.get("email")]
    if len(emails) != len(set(emails)):
        errors.setdefault("parents", []).append("Each parent needs a different email address.")
    student_email = cleaned.get("email", "")
    user = None
    if student_email and "email" not in errors:
        user = _student_account(errors, student_email, emails, actor.tenant)
    dob = cleaned.get("date_of_birth")
    if (
        "date_of_birth" not in errors
        and dob is not None
        and age_on(dob, tenant_today()) < ADULT_AGE
        and not parents
    ):
        errors["parents"] = ["A student under 18 needs a parent or guardian: add their email."]
    if errors:
        raise ValidationError(errors)

    subjects = cleaned.pop("subjects")
    try:
        with transaction.atomic():
            student = StudentProfile.objects.create(user=user, created_by=actor.user, **cleaned)
    except IntegrityError as error:  # a concurrent create took the email
        raise ValidationError(
            {"email": ["Another student already has this email address."]}
        ) from error
    student.subjects.set(subjects)
    for parent in cleaned_parents:
        _parent_link_create(student=student, parent=parent, actor=actor, request=request)
    if student_email and user is None:
        _invite_unless_pending(email=student_email, role=Role.STUDENT, actor=actor, request=request)
    audit_record(
        action="crm.student.created",
        actor=actor.user,
        tenant=actor.tenant,
        target=student,
        data={"linked": user is not None, "parents": len(cleaned_parents)},
        request=request,
    )
    return student


@transaction.atomic
def parent_link_add(
    *,
    student: StudentProfile,
    actor: Membership,
    email: str,
    first_name: str = "",
    last_name: str = "",
    relationship: str = "",
    request=None,
) -> ParentLink:
    """Link (or invite) one more parent of ``student``."""
    actor = require_agency_staff(actor, "Only the agency's staff can link parents.")
    errors: dict[str, list[str]] = {}
    parent = _parent_validate(
        errors,
        None,
        {
            "email": email,
            "first_name": first_name,
            "last_name": last_name,
            "relationship": relationship,
        },
        actor.tenant,
    )
    if "email" not in errors:
        if student.parent_links.filter(email__iexact=parent["email"]).exists():
            errors["email"] = ["This parent is already linked to the student."]
        elif student.email and student.email.lower() == parent["email"].lower():
            errors["email"] = ["A student's email must differ from their parents'."]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return _parent_link_create(student=student, parent=parent, actor=actor, request=request)
    except IntegrityError as error:
        raise ValidationError(
            {"email": ["This parent is already linked to the student."]}
        ) from error


# Profile changes ---------------------------------------------------------------------------


def _is_linked_parent(student: StudentProfile, actor: Membership) -> bool:
    return (
        actor.role == Role.PARENT and student.parent_links.filter(parent_id=actor.user_id).exists()
    )


def student_editable_fields(*, student: StudentProfile, actor: Membership) -> tuple[str, ...]:
    """The profile fields ``actor`` may change: staff everything, the student and their
    parents the learning preferences, anyone else nothing."""
    actor = require_here(actor)
    if actor.is_agency_staff:
        return STAFF_FIELDS
    if actor.role == Role.STUDENT and student.user_id == actor.user_id:
        return PREFERENCE_FIELDS
    if _is_linked_parent(student, actor):
        return PREFERENCE_FIELDS
    return ()


def _student_url(tenant, student: StudentProfile) -> str:
    return tenant.absolute_url(
        reverse("crm:student_detail", kwargs={"pk": student.pk}, urlconf=settings.ROOT_URLCONF)
    )


def _locked(student: StudentProfile) -> StudentProfile:
    """The student's row, locked until the transaction ends: writes about one student queue."""
    return StudentProfile.objects.select_for_update().get(pk=student.pk)


def _email_change_validate(
    errors: dict, student: StudentProfile, email: str, tenant
) -> tuple[bool, User | None]:
    """Whether ``email`` is a change, and the student member behind it (if any)."""
    if email.lower() == student.email.lower():
        return False, None
    if student.user_id is not None:
        errors["email"] = ["This student has an account; change the account's email instead."]
        return True, None
    if not email:
        return True, None
    parent_emails = [e.lower() for e in student.parent_links.values_list("email", flat=True)]
    user = _student_account(errors, email, parent_emails, tenant)
    if user is not None and StudentProfile.objects.filter(user=user).exists():
        errors["email"] = ["Another student already has this email address."]
        user = None
    return True, user


@transaction.atomic
def student_update(
    *, student: StudentProfile, actor: Membership, request=None, **changes: Any
) -> StudentProfile:
    """Change a student's profile: staff any field, the student and their parents the
    learning preferences (``PREFERENCE_FIELDS``) only. Fields left out stay as they are.
    """
    changes = {name: value for name, value in changes.items() if value is not UNSET}
    unknown = set(changes) - set(STAFF_FIELDS)
    if unknown:
        raise TypeError(f"student_update() got unexpected fields: {', '.join(sorted(unknown))}")
    allowed = student_editable_fields(student=student, actor=actor)
    if not allowed:
        raise PermissionDenied("You cannot change this student's profile.")
    forbidden = sorted(set(changes) - set(allowed))
    if forbidden:
        raise PermissionDenied(
            f"Only the agency's staff can change {', '.join(forbidden)}; "
            f"you can change {', '.join(allowed)}."
        )
    student = _locked(student)
    errors: dict[str, list[str]] = {}
    cleaned = student_fields_validate(errors, changes)
    email_changed, account = False, None
    if "email" in cleaned and "email" not in errors:
        email_changed, account = _email_change_validate(
            errors, student, cleaned["email"], actor.tenant
        )
    dob = cleaned.get("date_of_birth")
    if (
        dob is not None
        and "date_of_birth" not in errors
        and age_on(dob, tenant_today()) < ADULT_AGE
        and not student.parent_links.exists()
    ):
        errors["date_of_birth"] = ["A student under 18 needs a parent or guardian: link one first."]
    if errors:
        raise ValidationError(errors)

    subjects = cleaned.pop("subjects", None)
    for name, value in cleaned.items():
        setattr(student, name, value)
    if account is not None:
        student.user = account
    try:
        with transaction.atomic():
            student.save()
    except IntegrityError as error:  # a concurrent write took the email (or the account)
        raise ValidationError(
            {"email": ["Another student already has this email address."]}
        ) from error
    if subjects is not None:
        student.subjects.set(subjects)
    if email_changed and student.email and account is None:
        _invite_unless_pending(email=student.email, role=Role.STUDENT, actor=actor, request=request)
    audit_record(
        action="crm.student.updated",
        actor=actor.user,
        tenant=actor.tenant,
        target=student,
        data={"fields": sorted(changes)},
        request=request,
    )
    return student


def _student_set_active(
    *, student: StudentProfile, actor: Membership, active: bool, request
) -> StudentProfile:
    actor = require_agency_staff(actor, "Only the agency's staff can archive students.")
    student = _locked(student)
    if student.is_active != active:
        student.is_active = active
        student.save(update_fields=["is_active", "updated_at"])
        audit_record(
            action="crm.student.unarchived" if active else "crm.student.archived",
            actor=actor.user,
            tenant=actor.tenant,
            target=student,
            request=request,
        )
    return student


@transaction.atomic
def student_archive(*, student: StudentProfile, actor: Membership, request=None) -> StudentProfile:
    """Archive a student: only the agency's staff still see them. Archiving twice is harmless."""
    return _student_set_active(student=student, actor=actor, active=False, request=request)


@transaction.atomic
def student_unarchive(
    *, student: StudentProfile, actor: Membership, request=None
) -> StudentProfile:
    """Bring an archived student back for their tutors, parents and themself."""
    return _student_set_active(student=student, actor=actor, active=True, request=request)


@transaction.atomic
def parent_link_remove(*, link: ParentLink, actor: Membership, request=None) -> None:
    """Unlink a parent. A student under 18 keeps at least one; consent that parent gave
    stops being in force with the link."""
    actor = require_agency_staff(actor, "Only the agency's staff can unlink parents.")
    # Locking the student makes two removals of a child's last two parents queue, so the
    # second sees that only one is left.
    student = _locked(link.student)
    links = list(student.parent_links.all())
    if link.pk not in {other.pk for other in links}:
        return  # already removed by a concurrent request
    if student_age(student) < ADULT_AGE and len(links) == 1:
        raise ApplicationError(
            "A student under 18 needs a parent or guardian: link another one before "
            "removing this one.",
            code="last_parent",
            status=409,
        )
    if link.parent_id is not None:
        student.consents.filter(withdrawn_at__isnull=True, parent_id=link.parent_id).update(
            withdrawn_at=timezone.now(), withdrawn_by=actor.user
        )
    audit_record(
        action="crm.parent_link.removed",
        actor=actor.user,
        tenant=actor.tenant,
        target=link,
        data={"student": student.pk, "email": link.email},
        request=request,
    )
    link.delete()


# Parental consent --------------------------------------------------------------------------


def _parents_with_accounts(student: StudentProfile) -> list[User]:
    return [
        link.parent
        for link in student.parent_links.select_related("parent")
        if link.parent_id is not None
    ]


def _consent_notify(
    *, student: StudentProfile, actor: Membership, event: str, title: str, skip: set[int]
) -> None:
    url = _student_url(actor.tenant, student)
    for parent in _parents_with_accounts(student):
        if parent.pk not in skip:
            notify(user=parent, event=event, title=title, url=url, context={"url": url})


def _consent_create(
    *,
    student: StudentProfile,
    parent: User,
    method: str,
    statement: Any,
    actor: Membership,
    ip_address: str | None,
    request,
) -> ParentalConsent:
    errors: dict[str, list[str]] = {}
    statement = text_validate(errors, "statement", statement)
    if "statement" not in errors:
        if not statement:
            errors["statement"] = ["Enter the statement the parent agrees to."]
        elif len(statement) > MAX_STATEMENT_LENGTH:
            errors["statement"] = [f"Use at most {MAX_STATEMENT_LENGTH} characters."]
    if errors:
        raise ValidationError(errors)
    if student_age(student) >= CONSENT_AGE:
        raise ApplicationError(
            "Parental consent is recorded only for students under 13.",
            code="consent_not_required",
            status=400,
        )
    already = ApplicationError(
        "A parent's consent is already in force for this student.",
        code="consent_already_given",
        status=409,
    )
    if student.consents.filter(withdrawn_at__isnull=True).exists():
        raise already
    try:
        with transaction.atomic():
            consent = ParentalConsent.objects.create(
                student=student,
                parent=parent,
                method=method,
                statement=statement,
                recorded_by=actor.user,
                ip_address=ip_address,
            )
    except IntegrityError as error:  # given at the same moment elsewhere
        raise already from error
    audit_record(
        action="crm.consent.given",
        actor=actor.user,
        tenant=actor.tenant,
        target=consent,
        data={"student": student.pk, "parent": parent.pk, "method": method},
        request=request,
    )
    _consent_notify(
        student=student,
        actor=actor,
        event="crm.consent_given",
        title=f"Consent recorded for {student.full_name}",
        skip={actor.user_id},
    )
    return consent


@transaction.atomic
def consent_give(
    *, student: StudentProfile, actor: Membership, statement: str, request=None
) -> ParentalConsent:
    """A linked parent gives consent online for their child under 13 (recorded with the
    time and the address it came from)."""
    actor = require_here(actor)
    if not _is_linked_parent(student, actor):
        raise PermissionDenied("Only a parent linked to this student can give consent.")
    student = _locked(student)
    return _consent_create(
        student=student,
        parent=actor.user,
        method=ParentalConsent.Method.ONLINE,
        statement=statement,
        actor=actor,
        ip_address=client_ip(request),
        request=request,
    )


@transaction.atomic
def consent_record(
    *,
    student: StudentProfile,
    actor: Membership,
    parent_link_id: Any,
    method: str,
    statement: str,
    request=None,
) -> ParentalConsent:
    """Agency staff record a consent a linked parent gave on paper or by voice."""
    actor = require_agency_staff(
        actor, "Only the agency's staff can record consent on a parent's behalf."
    )
    student = _locked(student)
    errors: dict[str, list[str]] = {}
    link = None
    if isinstance(parent_link_id, int) and not isinstance(parent_link_id, bool):
        link = student.parent_links.select_related("parent").filter(pk=parent_link_id).first()
    if link is None:
        errors["parent_link_id"] = ["Choose a parent linked to this student."]
    elif link.parent_id is None:
        errors["parent_link_id"] = [
            "This parent has not accepted their invitation yet; consent needs their account."
        ]
    offline = (ParentalConsent.Method.PAPER_FORM, ParentalConsent.Method.VERBAL)
    if method not in offline:
        errors["method"] = [f"Choose one of: {', '.join(offline)}."]
    if errors:
        raise ValidationError(errors)
    return _consent_create(
        student=student,
        parent=link.parent,
        method=method,
        statement=statement,
        actor=actor,
        ip_address=None,
        request=request,
    )


@transaction.atomic
def consent_withdraw(
    *, student: StudentProfile, actor: Membership, request=None
) -> ParentalConsent:
    """A linked parent (or staff, on a parent's word) withdraws the consent in force."""
    actor = require_here(actor)
    if not actor.is_agency_staff and not _is_linked_parent(student, actor):
        raise PermissionDenied("Only a parent linked to this student can withdraw consent.")
    student = _locked(student)
    consent = student.consents.select_for_update().filter(withdrawn_at__isnull=True).first()
    if consent is None:
        raise ApplicationError(
            "No consent is in force for this student.", code="no_consent", status=409
        )
    consent.withdrawn_at = timezone.now()
    consent.withdrawn_by = actor.user
    consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        action="crm.consent.withdrawn",
        actor=actor.user,
        tenant=actor.tenant,
        target=consent,
        data={"student": student.pk},
        request=request,
    )
    _consent_notify(
        student=student,
        actor=actor,
        event="crm.consent_withdrawn",
        title=f"Consent withdrawn for {student.full_name}",
        skip={actor.user_id},
    )
    return consent


# Tutor assignments -------------------------------------------------------------------------


def _id_or_none(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


@transaction.atomic
def tutor_assign(
    *,
    student: StudentProfile,
    actor: Membership,
    tutor_id: Any,
    subject_id: Any = None,
    request=None,
) -> TutorAssignment:
    """Assign an active tutor of this tenant to a student (optionally for one subject);
    the tutor then sees the student and is told so."""
    actor = require_agency_staff(actor, "Only the agency's staff can assign tutors.")
    student = _locked(student)
    errors: dict[str, list[str]] = {}
    tutor_membership = None
    if (pk := _id_or_none(tutor_id)) is not None:
        tutor_membership = (
            Membership.objects.select_related("user")
            .filter(tenant=actor.tenant, user_id=pk, role=Role.TUTOR, is_active=True)
            .first()
        )
    if tutor_membership is None:
        errors["tutor_id"] = ["Choose an active tutor of this agency."]
    elif student.assignments.filter(tutor_id=tutor_membership.user_id).exists():
        errors["tutor_id"] = ["This tutor is already assigned to the student."]
    subject = None
    if subject_id is not None:
        pk = _id_or_none(subject_id)
        subject = Subject.objects.filter(pk=pk, is_active=True).first() if pk else None
        if subject is None:
            errors["subject_id"] = ["Choose an active subject from the catalogue."]
    if errors:
        raise ValidationError(errors)
    if not student.is_active:
        raise ApplicationError(
            "This student is archived: unarchive them before assigning tutors.",
            code="student_archived",
            status=409,
        )
    tutor = tutor_membership.user
    try:
        with transaction.atomic():
            assignment = TutorAssignment.objects.create(
                student=student, tutor=tutor, subject=subject, assigned_by=actor.user
            )
    except IntegrityError as error:
        raise ValidationError(
            {"tutor_id": ["This tutor is already assigned to the student."]}
        ) from error
    audit_record(
        action="crm.tutor.assigned",
        actor=actor.user,
        tenant=actor.tenant,
        target=assignment,
        data={"student": student.pk, "tutor": tutor.pk, "subject": subject and subject.pk},
        request=request,
    )
    url = _student_url(actor.tenant, student)
    notify(
        user=tutor,
        event="crm.student_assigned",
        title=f"You now teach {student.full_name}",
        body=f"For {subject.name}." if subject else "",
        url=url,
        context={"url": url, "student": student.full_name},
    )
    return assignment


@transaction.atomic
def tutor_unassign(*, assignment: TutorAssignment, actor: Membership, request=None) -> None:
    """End a tutor's assignment to a student: the tutor no longer sees them."""
    actor = require_agency_staff(actor, "Only the agency's staff can unassign tutors.")
    audit_record(
        action="crm.tutor.unassigned",
        actor=actor.user,
        tenant=actor.tenant,
        target=assignment,
        data={"student": assignment.student_id, "tutor": assignment.tutor_id},
        request=request,
    )
    TutorAssignment.objects.filter(pk=assignment.pk).delete()
