"""The password rules every new password meets: registration, reset, invitation."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.passwords import (
    CharacterMixValidator,
    MaximumLengthValidator,
    NotAnEmailAddressValidator,
)


def problems(password: str, **user_fields) -> list[str]:
    """What the configured rules say about ``password`` for a person with these details."""
    person = User(
        email=user_fields.get("email", "sam@example.test"),
        first_name=user_fields.get("first_name", "Sam"),
        last_name=user_fields.get("last_name", "Okafor"),
    )
    try:
        password_validation.validate_password(password, person)
    except ValidationError as error:
        return error.messages
    return []


def test_a_good_password_passes_every_rule():
    assert problems("Correct-Horse-9") == []


@pytest.mark.parametrize("length", [8, 64, 128])
def test_any_length_from_8_to_128_is_accepted(length):
    assert problems(("Zq7-" * 40)[:length]) == []


@pytest.mark.parametrize(("length", "problem"), [(7, "too short"), (129, "at most 128")])
def test_lengths_outside_8_to_128_are_refused(length, problem):
    assert problem in " ".join(problems(("Zq7-" * 40)[:length]))


def test_the_length_cap_counts_characters_not_bytes():
    assert problems("Zé9" + "é" * 125) == []


@pytest.mark.parametrize(
    ("password", "missing"),
    [
        ("zebra-crossing-9", "an upper-case letter"),
        ("ZEBRA-CROSSING-9", "a lower-case letter"),
        ("Zebra-Crossing-x", "a digit"),
    ],
)
def test_the_character_mix_names_what_is_missing(password, missing):
    assert problems(password) == [f"Your password needs {missing}."]


def test_every_missing_kind_of_character_is_named_at_once():
    with pytest.raises(ValidationError) as error:
        CharacterMixValidator().validate("--------")
    assert error.value.messages == [
        "Your password needs an upper-case letter, a lower-case letter, a digit."
    ]


def test_letters_beyond_ascii_count_for_the_mix():
    assert problems("Ångström-Éclair-7") == []


@pytest.mark.parametrize("password", ["Someone9@Elsewhere.org", " Zed.Kim42@mail.example "])
def test_a_password_shaped_like_an_email_address_is_refused(password):
    assert "Your password must not be an email address." in problems(password)


def test_a_password_with_an_at_sign_that_is_no_address_is_fine():
    assert problems("Meet@Noon-Sharp9") == []


@pytest.mark.parametrize("password", ["Password123", "Qwerty123", "Iloveyou1", "Welcome1"])
def test_common_passwords_are_refused_whatever_their_case(password):
    assert problems(password) == ["This password is too common."]


@pytest.mark.parametrize(
    ("password", "attribute"),
    [
        ("Bartholomew1", "first name"),
        ("Featherstone9", "last name"),
        ("Margarethe-88", "email"),
    ],
)
def test_a_password_like_the_persons_own_details_is_refused(password, attribute):
    found = problems(
        password,
        first_name="Bartholomew",
        last_name="Featherstone",
        email="margarethe88@example.test",
    )
    assert f"The password is too similar to the {attribute}." in found


def test_the_validators_error_codes_let_clients_tell_the_rules_apart():
    with pytest.raises(ValidationError) as too_long:
        MaximumLengthValidator().validate("x" * 129)
    with pytest.raises(ValidationError) as is_email:
        NotAnEmailAddressValidator().validate("a@b.co")
    assert too_long.value.code == "password_too_long"
    assert is_email.value.code == "password_is_email"


def test_the_rules_are_explained_next_to_the_password_field():
    help_text = " ".join(password_validation.password_validators_help_texts())
    assert "at least 8 characters" in help_text
    assert "up to 128 characters" in help_text
    assert "upper-case and lower-case letters with at least one digit" in help_text
    assert "can't be an email address" in help_text
