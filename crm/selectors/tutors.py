"""Reads of the crm domain: the subjects catalogue, tutor profiles, who sees which section."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import Membership
from crm.models import Subject, TutorProfile, Visibility


def subject_list(*, viewer: Membership) -> QuerySet[Subject]:
    """The catalogue: managers see every subject, everyone else the active ones."""
    subjects = Subject.objects.all()
    if not viewer.is_manager:
        subjects = subjects.filter(is_active=True)
    return subjects.order_by("ordering", "name", "id")


def _profiles_of_active_tutors(*, tenant, include_invited: bool = False) -> QuerySet[TutorProfile]:
    """Profiles of the tenant's active tutors, and with ``include_invited`` those recorded
    for people who have not accepted their invitation yet (``user`` empty)."""
    tutor_ids = Membership.objects.filter(
        tenant=tenant, role=Membership.Role.TUTOR, is_active=True
    ).values("user_id")
    shown = Q(user_id__in=tutor_ids)
    if include_invited:
        shown |= Q(user__isnull=True)
    return (
        TutorProfile.objects.filter(shown)
        .select_related("user")
        .prefetch_related("subjects__subject", "credentials")
    )


def tutor_profile_list(*, viewer: Membership) -> QuerySet[TutorProfile]:
    """Profiles of the tenant's active tutors that ``viewer`` may see.

    Agency staff (owner, admin, staff) see every one, invited tutors included; other
    members see those whose basics (the tutor's name and headline) are not private, plus
    their own: a tutor who makes their basics private is unlisted.
    """
    profiles = _profiles_of_active_tutors(
        tenant=viewer.tenant, include_invited=viewer.is_agency_staff
    )
    if not viewer.is_agency_staff:
        profiles = profiles.exclude(
            Q(basics_visibility=Visibility.PRIVATE) & ~Q(user_id=viewer.user_id)
        )
    return profiles.annotate(
        sort_first_name=Coalesce("user__first_name", "invited_first_name"),
        sort_last_name=Coalesce("user__last_name", "invited_last_name"),
    ).order_by("sort_first_name", "sort_last_name", "id")


def tutor_profile_get(*, viewer: Membership, pk: int) -> TutorProfile | None:
    """One profile ``viewer`` may see (by the rules of ``tutor_profile_list``), or None."""
    return tutor_profile_list(viewer=viewer).filter(pk=pk).first()


def tutor_profile_of(*, user_id: int) -> TutorProfile | None:
    """The profile of one user in the current tenant, ready to render, or None."""
    return (
        TutorProfile.objects.select_related("user")
        .prefetch_related("subjects__subject")
        .filter(user_id=user_id)
        .first()
    )


def tutor_profile_visible_sections(*, profile: TutorProfile, viewer: Membership) -> frozenset[str]:
    """The sections of ``profile`` that ``viewer`` may see.

    The tutor and the agency's staff see everything; any other member of the tenant sees
    the sections marked public or agency only, never the private ones. (Public matters
    once profiles are shown outside the tenant, in the marketplace listing.)
    """
    if viewer.is_agency_staff or viewer.user_id == profile.user_id:
        return frozenset(TutorProfile.SECTIONS)
    return frozenset(
        section
        for section in TutorProfile.SECTIONS
        if profile.visibility_of(section) != Visibility.PRIVATE
    )


def tutor_credential_count(*, profile: TutorProfile) -> int:
    """How many credential records the tutor has, verified or not.

    Uses prefetched ``credentials`` when the caller prefetched them (lists), else counts.
    """
    cache = getattr(profile, "_prefetched_objects_cache", {})
    if "credentials" in cache:
        return len(cache["credentials"])
    return profile.credentials.count()


@dataclass(frozen=True)
class TutorProfileCompletion:
    percent: int
    sections: dict[str, bool]


# The wizard's steps and what each is worth; they add up to 100.
COMPLETION_WEIGHTS = {
    "basics": 20,
    "subjects": 20,
    "rates": 15,
    "availability": 15,
    "credentials": 10,
    "bio": 10,
    "intro_video": 10,
}


def tutor_profile_completion(*, profile: TutorProfile) -> TutorProfileCompletion:
    """How complete ``profile`` is, step by step, as the wizard shows it.

    Weights (each step counts fully or not at all; they total 100):

    - basics, 20: a headline, years of experience and at least one language;
    - subjects, 20: at least one subject (each carries its level and proficiency 1-5);
    - rates, 15: at least one subject, and an hourly rate on every subject;
    - availability, 15: an availability summary (free text until scheduling exists);
    - credentials, 10: at least one credential record (``tutor_credential_count``),
      whether the agency has verified it yet or not: completion measures what the tutor
      has filled in, and review is the agency's step, shown by its own status;
    - bio, 10: a biography;
    - intro_video, 10: an introduction video, as a link or an uploaded file.

    Uses ``profile.subjects.all()``, so a prefetched profile costs no query.
    """
    subjects = list(profile.subjects.all())
    sections = {
        "basics": bool(
            profile.headline.strip()
            and profile.years_of_experience is not None
            and profile.languages
        ),
        "subjects": bool(subjects),
        "rates": bool(subjects) and all(s.hourly_rate_minor is not None for s in subjects),
        "availability": bool(profile.availability_summary.strip()),
        "credentials": tutor_credential_count(profile=profile) > 0,
        "bio": bool(profile.bio.strip()),
        "intro_video": bool(profile.intro_video_url or profile.intro_video_id),
    }
    percent = sum(COMPLETION_WEIGHTS[name] for name, done in sections.items() if done)
    return TutorProfileCompletion(percent=percent, sections=sections)
