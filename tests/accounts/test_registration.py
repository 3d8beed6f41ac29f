"""Creating an account on the root domain, by page and by API."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.services.registration import user_register
from audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

REGISTER_API = "/api/v1/auth/register/"
VERIFY_PATH = "/accounts/verify/"
# A valid address (64-character local part, labels under 63) longer than the 254 stored.
LONG_EMAIL = "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "c" * 10 + ".test"


@pytest.fixture
def root_api(api_client, public_tenant):
    return api_client()


def test_the_register_page_offers_the_form_on_the_root_domain(root):
    response = root.get(reverse("accounts:register"))
    assert response.status_code == 200
    assert b"Create your account" in response.content
    assert b'name="password"' in response.content


def test_registering_creates_an_unverified_account(root, registration):
    response = root.post(reverse("accounts:register"), registration)

    assert response.status_code == 200
    assert b"Check your email" in response.content
    user = User.objects.get(email="ada@example.test")
    assert user.first_name == "Augusta"
    assert user.time_zone == "Europe/London"
    assert not user.is_email_verified
    assert user.check_password(registration["password"])


def test_registering_emails_a_link_to_confirm_the_address(
    root, registration, sending, mailoutbox, emailed_link
):
    with sending():
        root.post(reverse("accounts:register"), registration)

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ada@example.test"]
    assert message.subject == "Confirm your email address"
    assert "Hi Augusta" in message.body
    link = emailed_link(to="ada@example.test", path_start=VERIFY_PATH)
    assert link in message.alternatives[0][0]  # the HTML part has the same link


def test_no_email_leaves_before_the_account_is_committed(
    root, registration, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks() as queued:
        root.post(reverse("accounts:register"), registration)
    assert mailoutbox == []
    assert len(queued) == 1


def test_the_emailed_link_confirms_the_address_and_lets_the_person_sign_in(
    root, registration, sending, emailed_link
):
    with sending():
        root.post(reverse("accounts:register"), registration)
    link = emailed_link(to="ada@example.test", path_start=VERIFY_PATH)

    response = root.get(link, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert b"ada@example.test is confirmed" in response.content
    assert User.objects.get(email="ada@example.test").is_email_verified
    signed_in = root.post(
        reverse("accounts:login"),
        {"email": "ada@example.test", "password": registration["password"]},
    )
    assert signed_in.status_code == 302


def test_the_email_address_is_stored_lower_case(root, registration):
    registration["email"] = "Ada@Example.TEST"
    root.post(reverse("accounts:register"), registration)
    assert User.objects.filter(email="ada@example.test").exists()


def test_an_address_already_registered_is_refused_whatever_its_case(
    root, registration, sending, mailoutbox
):
    UserFactory(email="ada@example.test")
    registration["email"] = "ADA@example.test"

    with sending():
        response = root.post(reverse("accounts:register"), registration)

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email address already exists."
    ]
    assert User.objects.filter(email__iexact="ada@example.test").count() == 1
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Ab1defg", "too short"),
        ("alllowercase1", "an upper-case letter"),
        ("ALLUPPERCASE1", "a lower-case letter"),
        ("NoDigitsHere", "a digit"),
        ("Password123", "too common"),
        ("Ada.Byron1@gmail.com", "must not be an email address"),
        ("Lovelace1815", "too similar to the last name"),
        ("Aa1" + "x" * 126, "at most 128 characters"),
    ],
)
def test_each_password_rule_is_named_on_the_register_page(root, registration, password, problem):
    registration["password"] = password

    response = root.post(reverse("accounts:register"), registration)

    assert response.status_code == 200
    assert problem in " ".join(response.context["form"].errors["password"])
    assert not User.objects.filter(email="ada@example.test").exists()


def test_the_register_page_accepts_a_128_character_password(root, registration):
    registration["password"] = "Aa1" + "x" * 125
    response = root.post(reverse("accounts:register"), registration)
    assert response.status_code == 200
    assert User.objects.get(email="ada@example.test").check_password(registration["password"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("time_zone", "Mars/Olympus_Mons"),
        ("locale", "xx"),
        ("email", "not-an-address"),
        ("first_name", ""),
    ],
)
def test_bad_details_are_field_errors_on_the_register_page(root, registration, field, value):
    registration[field] = value

    response = root.post(reverse("accounts:register"), registration)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not User.objects.exists()


def test_an_address_too_long_to_store_is_a_field_error_on_the_page(root, registration):
    registration["email"] = LONG_EMAIL
    response = root.post(reverse("accounts:register"), registration)
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert not User.objects.exists()


def test_the_service_refuses_an_address_too_long_to_store(public_tenant, registration):
    """validate_email allows 320 characters; the column holds 254 (was a server error)."""
    registration["email"] = LONG_EMAIL
    with pytest.raises(ValidationError) as error:
        user_register(**registration)
    assert error.value.message_dict["email"] == ["Use at most 254 characters."]


def test_a_registration_that_loses_a_race_for_the_address_gets_the_field_error(root, registration):
    """Two submits of the same form: the second finds the address taken only on saving."""

    def taken_meanwhile(*args, **kwargs):
        UserFactory(email="ada@example.test")

    with mock.patch(
        "accounts.services.registration.password_validation.validate_password",
        side_effect=taken_meanwhile,
    ):
        response = root.post(reverse("accounts:register"), registration)

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "An account with this email address already exists."
    ]


def test_registering_is_recorded_in_the_audit_log(root, registration):
    root.post(reverse("accounts:register"), registration)
    user = User.objects.get(email="ada@example.test")
    entry = AuditEntry.objects.get(action="auth.registered")
    assert entry.actor == user
    assert entry.target_id == str(user.pk)
    assert entry.ip_address == "127.0.0.1"


def test_the_register_page_on_an_agency_host_sends_people_to_the_root_domain(web_client, acme):
    response = web_client(acme).get(reverse("accounts:register"))
    assert response.status_code == 302
    assert response["Location"] == "http://localhost/accounts/register/"


def test_posting_a_registration_to_an_agency_host_creates_nothing(web_client, acme, registration):
    response = web_client(acme).post(reverse("accounts:register"), registration)
    assert response.status_code == 302
    assert not User.objects.filter(email="ada@example.test").exists()


# API ---------------------------------------------------------------------------------


def test_registering_by_api_returns_the_new_account_and_emails_a_link(
    root_api, registration, sending, emailed_link
):
    with sending():
        response = root_api.post(REGISTER_API, registration)

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.test"
    assert body["is_email_verified"] is False
    assert body["two_factor_enabled"] is False
    assert "password" not in body
    link = emailed_link(to="ada@example.test", path_start=VERIFY_PATH)
    assert root_api.get(link).status_code == 302  # the page confirms, then asks to sign in
    assert User.objects.get(email="ada@example.test").is_email_verified


def test_the_api_refuses_an_address_already_registered_whatever_its_case(root_api, registration):
    UserFactory(email="ada@example.test")
    registration["email"] = "Ada@Example.test"

    response = root_api.post(REGISTER_API, registration)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"]["email"] == ["An account with this email address already exists."]


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Ab1defg", "too short"),
        ("alllowercase1", "an upper-case letter"),
        ("NoDigitsHere", "a digit"),
        ("Password123", "too common"),
        ("someone9@Example.org", "must not be an email address"),
        ("Augusta123", "too similar to the first name"),
        ("Aa1" + "x" * 126, "no more than 128 characters"),
    ],
)
def test_each_password_rule_is_a_field_error_in_the_api(root_api, registration, password, problem):
    registration["password"] = password

    response = root_api.post(REGISTER_API, registration)

    assert response.status_code == 400
    assert problem in " ".join(response.json()["error"]["fields"]["password"])
    assert not User.objects.exists()


def test_the_api_accepts_a_128_character_password(root_api, registration):
    registration["password"] = "Aa1" + "x" * 125
    response = root_api.post(REGISTER_API, registration)
    assert response.status_code == 201


@pytest.mark.parametrize(("field", "value"), [("time_zone", "Mars/Base"), ("locale", "klingon")])
def test_the_api_refuses_an_unknown_time_zone_or_language(root_api, registration, field, value):
    registration[field] = value

    response = root_api.post(REGISTER_API, registration)

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not User.objects.exists()


def test_the_api_does_not_register_on_an_agency_host(api_client, acme, registration):
    response = api_client(acme).post(REGISTER_API, registration)
    assert response.status_code == 404
    assert not User.objects.filter(email="ada@example.test").exists()
