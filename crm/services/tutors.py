"""Writes of the crm domain: the subjects catalogue and tutor profiles.

Every function takes the acting ``Membership`` and checks it: managers (owners and
admins) edit the catalogue; a tutor edits only their own profile.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import Membership
from audit.services import audit_record
from crm.guards import require_here, require_manager
from crm.models import (
    Difficulty,
    Subject,
    TutorProfile,
    TutorSubject,
)
from crm.validation import (
    MAX_YEARS_OF_EXPERIENCE,
    UNSET,
    currency_validate,
    hourly_rate_validate,
    int_in_range_validate,
    languages_validate,
    level_and_difficulty_validate,
    ordering_validate,
    proficiency_validate,
    text_validate,
    video_url_validate,
    visibility_validate,
)


def _require_manager(actor: Membership | None) -> Membership:
    return require_manager(actor, "Only the agency's owners and admins can edit the subjects.")


def _require_own_profile(actor: Membership | None, profile: TutorProfile) -> Membership:
    actor = require_here(actor)
    if actor.role != Membership.Role.TUTOR or actor.user_id != profile.user_id:
        raise PermissionDenied("Tutors can edit only their own profile.")
    return actor


# Subjects catalogue ------------------------------------------------------------------------


def _subject_name(errors: dict, value: Any, *, exclude_pk: int | None = None) -> str:
    name = text_validate(errors, "name", value)
    if "name" in errors:
        return name
    if not name:
        errors["name"] = ["Enter the subject's name."]
    elif len(name) > 80:
        errors["name"] = ["Use at most 80 characters."]
    elif Subject.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        errors["name"] = ["There is already a subject with this name."]
    return name


@transaction.atomic
def subject_create(*, actor: Membership, name: str, slug: str = "", ordering: int = 0) -> Subject:
    """Add a subject to the catalogue; its slug comes from the name unless given."""
    _require_manager(actor)
    errors: dict[str, list[str]] = {}
    name = _subject_name(errors, name)
    ordering = ordering_validate(errors, ordering)
    slug = slugify(slug or name, allow_unicode=True)[:80]
    if "name" not in errors:
        if not slug:
            errors["slug"] = ["Enter a slug of letters, digits and hyphens."]
        elif Subject.objects.filter(slug=slug).exists():
            errors["slug"] = ["There is already a subject with this slug."]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Subject.objects.create(name=name, slug=slug, ordering=ordering)
    except IntegrityError as error:  # a concurrent create took the name or slug
        raise ValidationError({"name": ["There is already a subject with this name."]}) from error


@transaction.atomic
def subject_update(
    *,
    subject: Subject,
    actor: Membership,
    name: str = UNSET,
    is_active: bool = UNSET,
    ordering: int = UNSET,
) -> Subject:
    """Rename, reorder, deactivate or reactivate a subject (its slug stays stable)."""
    _require_manager(actor)
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    errors: dict[str, list[str]] = {}
    if name is not UNSET:
        subject.name = _subject_name(errors, name, exclude_pk=subject.pk)
    if ordering is not UNSET:
        subject.ordering = ordering_validate(errors, ordering)
    if is_active is not UNSET:
        if not isinstance(is_active, bool):
            errors["is_active"] = ["Send true or false."]
        else:
            subject.is_active = is_active
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            subject.save()
    except IntegrityError as error:
        raise ValidationError({"name": ["There is already a subject with this name."]}) from error
    return subject


# Tutor profiles ----------------------------------------------------------------------------


@transaction.atomic
def tutor_profile_ensure(*, actor: Membership) -> TutorProfile:
    """The acting tutor's profile in this tenant, made empty on first use."""
    actor = require_here(actor)
    if actor.role != Membership.Role.TUTOR:
        raise PermissionDenied("Only tutors have a tutor profile.")
    profile, _ = TutorProfile.objects.get_or_create(user_id=actor.user_id)
    return profile


@transaction.atomic
def tutor_profile_update(
    *,
    profile: TutorProfile,
    actor: Membership,
    headline: str = UNSET,
    bio: str = UNSET,
    years_of_experience: int | None = UNSET,
    languages: list[str] = UNSET,
    intro_video_url: str = UNSET,
    availability_summary: str = UNSET,
    visibility: dict[str, str] = UNSET,
    request=None,
) -> TutorProfile:
    """Change the tutor's own profile; only the fields given change."""
    _require_own_profile(actor, profile)
    profile = TutorProfile.objects.select_for_update().get(pk=profile.pk)
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for field, value in (
        ("headline", headline),
        ("bio", bio),
        ("availability_summary", availability_summary),
    ):
        if value is not UNSET:
            changes[field] = text_validate(errors, field, value)
    if years_of_experience is not UNSET:
        changes["years_of_experience"] = (
            None
            if years_of_experience is None
            else int_in_range_validate(
                errors,
                "years_of_experience",
                years_of_experience,
                low=0,
                high=MAX_YEARS_OF_EXPERIENCE,
                message=f"Enter a whole number of years from 0 to {MAX_YEARS_OF_EXPERIENCE}.",
            )
        )
    if languages is not UNSET:
        changes["languages"] = languages_validate(errors, languages)
    if intro_video_url is not UNSET:
        changes["intro_video_url"] = video_url_validate(errors, intro_video_url)
    if visibility is not UNSET:
        for section, level in visibility_validate(errors, visibility).items():
            changes[f"{section}_visibility"] = level
    if errors:
        raise ValidationError(errors)

    changed = sorted(field for field, value in changes.items() if getattr(profile, field) != value)
    if changed:
        for field in changed:
            setattr(profile, field, changes[field])
        profile.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="crm.tutor_profile.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=profile,
            data={"fields": changed},
            request=request,
        )
    return profile


def _save_tutor_subject(tutor_subject: TutorSubject) -> TutorSubject:
    try:
        with transaction.atomic():
            tutor_subject.save()
    except IntegrityError as error:  # a concurrent request added the same subject and level
        raise ValidationError(
            {"level": ["You already teach this subject at this level."]}
        ) from error
    return tutor_subject


def _duplicate(tutor_subject: TutorSubject) -> bool:
    return (
        TutorSubject.objects.filter(
            profile_id=tutor_subject.profile_id,
            subject_id=tutor_subject.subject_id,
            level=tutor_subject.level,
        )
        .exclude(pk=tutor_subject.pk)
        .exists()
    )


@transaction.atomic
def tutor_subject_add(
    *,
    profile: TutorProfile,
    actor: Membership,
    subject_id: int,
    level: str,
    proficiency: int,
    difficulty: str = Difficulty.BEGINNER,
    hourly_rate_minor: int | None = None,
    currency: str | None = None,
    request=None,
) -> TutorSubject:
    """Add a subject at a level to the tutor's own profile, with an optional hourly rate.

    The currency defaults to the tenant's.
    """
    _require_own_profile(actor, profile)
    errors: dict[str, list[str]] = {}
    subject = Subject.objects.filter(pk=subject_id, is_active=True).first()
    if subject is None:
        errors["subject_id"] = ["Choose an active subject from the catalogue."]
    level_and_difficulty_validate(errors, level, difficulty)
    proficiency = proficiency_validate(errors, proficiency)
    hourly_rate_minor = hourly_rate_validate(errors, hourly_rate_minor)
    currency = currency_validate(
        errors, actor.tenant.default_currency if currency is None else currency
    )
    if errors:
        raise ValidationError(errors)
    tutor_subject = TutorSubject(
        profile=profile,
        subject=subject,
        level=level,
        difficulty=difficulty,
        proficiency=proficiency,
        hourly_rate_minor=hourly_rate_minor,
        currency=currency,
    )
    if _duplicate(tutor_subject):
        raise ValidationError({"level": ["You already teach this subject at this level."]})
    _save_tutor_subject(tutor_subject)
    audit_record(
        action="crm.tutor_subject.added",
        actor=actor.user,
        tenant=actor.tenant,
        target=tutor_subject,
        data={
            "subject": subject.slug,
            "level": level,
            "rate": hourly_rate_minor,
            "currency": currency,
        },
        request=request,
    )
    return tutor_subject


@transaction.atomic
def tutor_subject_update(
    *,
    tutor_subject: TutorSubject,
    actor: Membership,
    level: str = UNSET,
    difficulty: str = UNSET,
    proficiency: int = UNSET,
    hourly_rate_minor: int | None = UNSET,
    currency: str = UNSET,
    request=None,
) -> TutorSubject:
    """Change level, difficulty, proficiency or rate of one of the tutor's own subjects."""
    _require_own_profile(actor, tutor_subject.profile)
    tutor_subject = (
        TutorSubject.objects.select_for_update().select_related("subject").get(pk=tutor_subject.pk)
    )
    errors: dict[str, list[str]] = {}
    level_and_difficulty_validate(errors, level, difficulty)
    changes: dict[str, Any] = {}
    if level is not UNSET:
        changes["level"] = level
    if difficulty is not UNSET:
        changes["difficulty"] = difficulty
    if proficiency is not UNSET:
        changes["proficiency"] = proficiency_validate(errors, proficiency)
    if hourly_rate_minor is not UNSET:
        changes["hourly_rate_minor"] = hourly_rate_validate(errors, hourly_rate_minor)
    if currency is not UNSET:
        changes["currency"] = currency_validate(errors, currency)
    if errors:
        raise ValidationError(errors)
    changed = sorted(f for f, v in changes.items() if getattr(tutor_subject, f) != v)
    if not changed:
        return tutor_subject
    for field in changed:
        setattr(tutor_subject, field, changes[field])
    if "level" in changed and _duplicate(tutor_subject):
        raise ValidationError({"level": ["You already teach this subject at this level."]})
    _save_tutor_subject(tutor_subject)
    audit_record(
        action="crm.tutor_subject.updated",
        actor=actor.user,
        tenant=actor.tenant,
        target=tutor_subject,
        data={"fields": changed},
        request=request,
    )
    return tutor_subject


@transaction.atomic
def tutor_subject_remove(*, tutor_subject: TutorSubject, actor: Membership, request=None) -> None:
    """Take a subject off the tutor's own profile."""
    _require_own_profile(actor, tutor_subject.profile)
    audit_record(
        action="crm.tutor_subject.removed",
        actor=actor.user,
        tenant=actor.tenant,
        target=tutor_subject,
        data={"subject": tutor_subject.subject_id, "level": tutor_subject.level},
        request=request,
    )
    tutor_subject.delete()
