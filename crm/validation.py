"""Field checks shared by the crm services: each adds messages to an ``errors`` dict.

Services collect every problem of a request before refusing it, so these return the
cleaned value and never raise.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from crm.currencies import ISO_4217_CODES
from crm.models import MAX_HOURLY_RATE_MINOR, Difficulty, Level, TutorProfile, Visibility


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave this field as it is" in partial updates

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MAX_LANGUAGES = 10
MAX_YEARS_OF_EXPERIENCE = 80
TEXT_LIMITS = {
    "headline": 120,
    "bio": 5000,
    "availability_summary": 1000,
    "grade_level": 40,
    "preferences": 2000,
}


def text_validate(errors: dict, field: str, value: Any) -> str:
    if not isinstance(value, str):
        errors[field] = ["Enter text."]
        return ""
    value = value.strip()
    limit = TEXT_LIMITS.get(field)
    if limit is not None and len(value) > limit:
        errors[field] = [f"Use at most {limit} characters."]
    return value


def int_in_range_validate(
    errors: dict, field: str, value: Any, *, low: int, high: int, message: str
) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = [message]
        return 0
    return value


def hourly_rate_validate(errors: dict, value: Any) -> int | None:
    """An hourly rate in minor units: a whole number above 0, at most 100,000.00."""
    if value is None:
        return None
    return int_in_range_validate(
        errors,
        "hourly_rate_minor",
        value,
        low=1,
        high=MAX_HOURLY_RATE_MINOR,
        message=f"Enter a whole number of minor units (cents) from 1 to {MAX_HOURLY_RATE_MINOR}.",
    )


def currency_validate(errors: dict, value: Any) -> str:
    """A currency in circulation, as its ISO 4217 code in capitals (``GBP``)."""
    if not isinstance(value, str) or value not in ISO_4217_CODES:
        errors["currency"] = ["Use a three-letter ISO 4217 currency code in capitals, like GBP."]
        return ""
    return value


def languages_validate(errors: dict, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors["languages"] = ['Send a list of language codes, like ["en", "pt-BR"].']
        return []
    languages: list[str] = []
    for item in value:
        tag = item.strip()
        if not LANGUAGE_TAG.match(tag):
            errors["languages"] = [f"“{tag[:20]}” is not a language code like en or pt-BR."]
            return []
        if tag not in languages:
            languages.append(tag)
    if len(languages) > MAX_LANGUAGES:
        errors["languages"] = [f"List at most {MAX_LANGUAGES} languages."]
    return languages


def video_url_validate(errors: dict, value: Any) -> str:
    value = text_validate(errors, "intro_video_url", value)
    if not value or "intro_video_url" in errors:
        return value
    if len(value) > 500:
        errors["intro_video_url"] = ["Use at most 500 characters."]
        return value
    try:
        URLValidator(schemes=["https"])(value)
    except ValidationError:
        errors["intro_video_url"] = ["Enter a full https:// link to the video."]
    return value


def visibility_validate(errors: dict, value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        errors["visibility"] = ["Send an object of section → visibility."]
        return {}
    unknown = set(value) - set(TutorProfile.SECTIONS)
    if unknown:
        errors["visibility"] = [f"Unknown sections: {', '.join(sorted(map(str, unknown)))}."]
        return {}
    bad = [section for section, level in value.items() if level not in Visibility.values]
    if bad:
        errors["visibility"] = [f"Choose public, agency or private for: {', '.join(sorted(bad))}."]
        return {}
    return dict(value)


def ordering_validate(errors: dict, value: Any) -> int:
    return int_in_range_validate(
        errors,
        "ordering",
        value,
        low=0,
        high=32767,
        message="Enter a whole number from 0 to 32767.",
    )


def level_and_difficulty_validate(errors: dict, level: Any, difficulty: Any) -> None:
    if level is not UNSET and level not in Level.values:
        errors["level"] = [f"Choose one of: {', '.join(Level.values)}."]
    if difficulty is not UNSET and difficulty not in Difficulty.values:
        errors["difficulty"] = [f"Choose one of: {', '.join(Difficulty.values)}."]


def proficiency_validate(errors: dict, value: Any) -> int:
    return int_in_range_validate(
        errors, "proficiency", value, low=1, high=5, message="Rate your proficiency from 1 to 5."
    )
