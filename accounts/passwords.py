"""Password rules beyond Django's: length cap, character mix, not an email address."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

_EMAIL_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MaximumLengthValidator:
    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user=None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                f"Use at most {self.max_length} characters.", code="password_too_long"
            )

    def get_help_text(self) -> str:
        return f"Your password can be up to {self.max_length} characters."


class CharacterMixValidator:
    """At least one upper-case letter, one lower-case letter and one digit."""

    def validate(self, password: str, user=None) -> None:
        missing = []
        if not any(char.isupper() for char in password):
            missing.append("an upper-case letter")
        if not any(char.islower() for char in password):
            missing.append("a lower-case letter")
        if not any(char.isdigit() for char in password):
            missing.append("a digit")
        if missing:
            raise ValidationError(
                "Your password needs " + ", ".join(missing) + ".", code="password_character_mix"
            )

    def get_help_text(self) -> str:
        return "Mix upper-case and lower-case letters with at least one digit."


class NotAnEmailAddressValidator:
    def validate(self, password: str, user=None) -> None:
        if _EMAIL_SHAPE.match(password.strip()):
            raise ValidationError(
                "Your password must not be an email address.", code="password_is_email"
            )

    def get_help_text(self) -> str:
        return "Your password can't be an email address."
