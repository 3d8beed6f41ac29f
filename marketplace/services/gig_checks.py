"""The checks of a gig's fields, shared by posting, editing and publishing.

Each adds messages to an ``errors`` dict and returns the cleaned value, so a service
reports every problem of a request at once (as ``crm.validation`` does for profiles).
"""

from __future__ import annotations

from typing import Any

from billing.templatetags.money import money
from crm.models import MAX_HOURLY_RATE_MINOR, Level, Subject, TutorProfile, TutorSubject
from crm.validation import (
    UNSET,
    currency_validate,
    int_in_range_validate,
    level_and_difficulty_validate,
)
from marketplace.models import Gig
from marketplace.selectors.languages import ISO_639_1
from scheduling.models import AvailabilityRule
from scheduling.services.bookings import DURATIONS

TITLE_MAX = 120
DESCRIPTION_MAX = 5000
LANGUAGES_MAX = 5
PACKAGES_MAX = 4
PACKAGE_SESSIONS = (2, 52)
MAX_PACKAGE_PRICE_MINOR = 2**31 - 1  # the column's limit; the per-session rule caps it first
FIELDS = (
    "title",
    "subject_id",
    "level",
    "difficulty",
    "languages",
    "description",
    "price_minor",
    "currency",
    "duration_minutes",
)
NO_AVAILABILITY = "Add your weekly availability first."

Package = tuple[int, int]  # (sessions, total price in minor units)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(errors: dict, field: str, value: Any, *, limit: int, required: str = "") -> str:
    if not isinstance(value, str):
        errors[field] = ["Enter text."]
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = [required]
    elif len(value) > limit:
        errors[field] = [f"Use at most {limit} characters."]
    return value


def _languages(errors: dict, value: Any) -> list[str]:
    """1-5 ISO 639-1 codes, lower case, each once, in the order given."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["languages"] = ['Send a list of ISO 639-1 language codes, like ["en", "fr"].']
        return []
    codes: list[str] = []
    for item in value:
        code = item.strip().lower()
        if code not in ISO_639_1:
            errors["languages"] = [
                f"“{item.strip()[:20]}” is not an ISO 639-1 language code like en or fr."
            ]
            return []
        if code not in codes:
            codes.append(code)
    if not codes:
        errors["languages"] = ["Choose at least one language the gig is taught in."]
    elif len(codes) > LANGUAGES_MAX:
        errors["languages"] = [f"Choose at most {LANGUAGES_MAX} languages."]
    return codes


def _subject(errors: dict, value: Any) -> Subject | None:
    subject = (
        Subject.objects.filter(pk=value, is_active=True).first()
        if _is_whole(value) and 0 < value < 2**31
        else None
    )
    if subject is None:
        errors["subject_id"] = ["Choose an active subject from the catalogue."]
    return subject


def _teaching(errors: dict, *, profile: TutorProfile, subject: Subject, level: str) -> None:
    """The tutor must teach the subject at that level (their crm profile says which)."""
    if not TutorSubject.objects.filter(profile=profile, subject=subject, level=level).exists():
        label = Level(level).label.lower()
        errors["subject_id"] = [
            f"You do not teach {subject.name} at the {label} level: add it to your profile first."
        ]


def _duration(errors: dict, value: Any) -> int:
    if not _is_whole(value) or value not in DURATIONS:
        errors["duration_minutes"] = [
            f"Choose one of {', '.join(str(m) for m in DURATIONS)} minutes."
        ]
        return 0
    return value


def packages_validate(
    errors: dict, value: Any, *, price_minor: int, currency: str
) -> list[Package]:
    """0-4 packages of distinct session counts, none dearer per session than one session."""
    if not isinstance(value, list | tuple) or not all(isinstance(item, dict) for item in value):
        errors["packages"] = ["Send a list of packages, each with sessions and price_minor."]
        return []
    if len(value) > PACKAGES_MAX:
        errors["packages"] = [f"Offer at most {PACKAGES_MAX} packages."]
        return []
    low, high = PACKAGE_SESSIONS
    problems: list[str] = []
    packages: list[Package] = []
    for number, item in enumerate(value, start=1):
        sessions, total = item.get("sessions"), item.get("price_minor")
        if not _is_whole(sessions) or not low <= sessions <= high:
            problems.append(f"Package {number}: choose from {low} to {high} sessions.")
        elif not _is_whole(total) or not 0 < total <= MAX_PACKAGE_PRICE_MINOR:
            problems.append(f"Package {number}: enter a price above zero, in minor units.")
        elif sessions in {seen for seen, _ in packages}:
            problems.append(f"Package {number}: another package already has {sessions} sessions.")
        else:
            if price_minor and total > sessions * price_minor:
                problems.append(
                    f"Package {number}: {sessions} sessions may cost at most what {sessions} "
                    f"single sessions do ({money(sessions * price_minor, currency)})."
                )
            packages.append((sessions, total))
    if problems:
        errors["packages"] = problems
    return sorted(packages)


def gig_validate(errors: dict, *, profile: TutorProfile, values: dict) -> dict:
    """Every field of a gig, cleaned; ``subject_id`` comes back as the Subject too."""
    cleaned: dict[str, Any] = {
        "title": _text(
            errors, "title", values["title"], limit=TITLE_MAX, required="Enter a title."
        ),
        "description": _text(errors, "description", values["description"], limit=DESCRIPTION_MAX),
        "languages": _languages(errors, values["languages"]),
        "price_minor": int_in_range_validate(
            errors,
            "price_minor",
            values["price_minor"],
            low=1,
            high=MAX_HOURLY_RATE_MINOR,
            message="Enter a whole number of minor units (cents) from 1 to "
            f"{MAX_HOURLY_RATE_MINOR}.",
        ),
        "currency": currency_validate(errors, values["currency"]),
        "duration_minutes": _duration(errors, values["duration_minutes"]),
        "level": values["level"],
        # Optional: empty means the gig does not narrow it down.
        "difficulty": values["difficulty"] if values["difficulty"] is not None else "",
    }
    level_and_difficulty_validate(
        errors, cleaned["level"], UNSET if cleaned["difficulty"] == "" else cleaned["difficulty"]
    )
    subject = _subject(errors, values["subject_id"])
    cleaned["subject_id"] = subject.pk if subject else None
    if subject is not None and "level" not in errors:
        _teaching(errors, profile=profile, subject=subject, level=cleaned["level"])
    return cleaned


def publishable_check(errors: dict, *, gig: Gig, cleaned: dict) -> None:
    """What a gig needs to be shown: the fields are all valid (checked already), it says
    what the student gets, and the tutor has weekly hours for the slots to come from."""
    if not cleaned["description"] and "description" not in errors:
        errors["description"] = ["Describe what the student gets before publishing."]
    if not AvailabilityRule.objects.filter(tutor_id=gig.tutor_id).exists():
        errors["availability"] = [NO_AVAILABILITY]
