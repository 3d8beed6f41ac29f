"""Rate limits on signing in, registering, password resets and codes: per IP and per account."""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import get_user
from django.urls import reverse

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Ten seconds into an hour, which is also the start of every shorter window.
WINDOW_START = 1_800_000_000 // 3600 * 3600 + 10
TOKEN_API = "/api/v1/auth/token/"


@pytest.fixture(autouse=True)
def _steady_clock():
    """Fixed windows must not roll over halfway through a test."""
    with mock.patch("accounts.ratelimits.time", mock.Mock(time=lambda: WINDOW_START)):
        yield


def from_ip(address: str) -> dict[str, str]:
    return {"REMOTE_ADDR": address}


def assert_rate_limited(response, *, retry_after: int) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)


def test_the_limits_are_the_documented_ones():
    assert settings.AUTH_RATE_LIMITS == {
        "login": {"ip": (20, 300), "account": (5, 900)},
        "register": {"ip": (20, 3600), "account": (5, 3600)},
        "password_reset": {"ip": (5, 3600), "account": (3, 3600)},
        "otp": {"ip": (10, 300), "account": (5, 300)},
    }


# Signing in on the page ------------------------------------------------------------------


def test_twenty_sign_ins_from_one_ip_are_allowed_then_it_pauses(root, user, password, sign_in):
    for attempt in range(19):
        sign_in(root, f"guess{attempt}@example.test", "Wrong-Horse-9")
    assert sign_in(root, user.email, password).status_code == 302  # the 20th still works

    response = sign_in(root, user.email, password)

    assert_rate_limited(response, retry_after=290)
    assert b"Too many attempts" in response.content
    assert b"try again in 290 seconds" in response.content


def test_another_ip_is_not_held_back_by_a_busy_one(
    web_client, user, password, public_tenant, sign_in
):
    busy = web_client()
    for attempt in range(21):
        sign_in(busy, f"guess{attempt}@example.test", "Wrong-Horse-9", REMOTE_ADDR="10.0.0.1")
    quiet = web_client()
    assert sign_in(quiet, user.email, password, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_five_wrong_passwords_lock_the_account_even_from_other_ips(
    web_client, user, password, public_tenant, sign_in
):
    for attempt in range(5):
        response = sign_in(
            web_client(), user.email, "Wrong-Horse-9", REMOTE_ADDR=f"10.0.0.{attempt}"
        )
        assert response.status_code == 200

    client = web_client()
    response = sign_in(client, user.email, password, REMOTE_ADDR="10.0.1.1")

    assert_rate_limited(response, retry_after=890)
    assert not get_user(client).is_authenticated


def test_four_wrong_passwords_do_not_stop_the_right_one(root, user, password, sign_in):
    for _ in range(4):
        sign_in(root, user.email, "Wrong-Horse-9")
    assert sign_in(root, user.email, password).status_code == 302
    assert get_user(root) == user


def test_successful_sign_ins_do_not_lock_the_account(
    web_client, user, password, public_tenant, sign_in
):
    for _ in range(6):
        assert sign_in(web_client(), user.email, password).status_code == 302


def test_a_locked_account_is_locked_on_every_host(web_client, acme, member, password, sign_in):
    tutor = member(acme, "tutor").user
    for _ in range(5):
        sign_in(web_client(acme), tutor.email, "Wrong-Horse-9")

    assert sign_in(web_client(), tutor.email, password).status_code == 429


def test_the_account_is_counted_whatever_the_case_of_the_address(root, user, password, sign_in):
    for typed in ("ann@example.test", "ANN@example.test", "Ann@Example.Test", "aNN@example.TEST"):
        sign_in(root, typed, "Wrong-Horse-9")
    sign_in(root, "ann@EXAMPLE.test", "Wrong-Horse-9")
    assert sign_in(root, user.email, password).status_code == 429


# Signing in by API -----------------------------------------------------------------------


def test_the_token_endpoint_pauses_an_account_after_five_failures(api_client, user, password):
    client = api_client()
    for _ in range(5):
        assert (
            client.post(TOKEN_API, {"email": user.email, "password": "Nope-1234"}).status_code
            == 401
        )

    response = client.post(TOKEN_API, {"email": user.email, "password": password})

    assert_rate_limited(response, retry_after=890)
    assert response.json()["error"]["code"] == "throttled"


def test_the_token_endpoint_pauses_an_ip_after_twenty_attempts(api_client, user, password):
    client = api_client()
    for attempt in range(20):
        client.post(TOKEN_API, {"email": f"guess{attempt}@example.test", "password": "Nope-1234"})

    response = client.post(TOKEN_API, {"email": user.email, "password": password})

    assert_rate_limited(response, retry_after=290)


def test_web_and_api_sign_in_share_one_allowance_per_account(
    api_client, root, sign_in, user, password
):
    client = api_client()
    for _ in range(3):
        client.post(TOKEN_API, {"email": user.email, "password": "Nope-1234"})
    for _ in range(2):
        sign_in(root, user.email, "Nope-1234")

    response = client.post(TOKEN_API, {"email": user.email, "password": password})

    assert response.status_code == 429


# Registering -----------------------------------------------------------------------------


def test_twenty_registrations_from_one_ip_work_then_it_pauses(root, registration):
    for number in range(20):
        registration["email"] = f"person{number}@example.test"
        assert root.post(reverse("accounts:register"), registration).status_code == 200
    assert User.objects.count() == 20

    registration["email"] = "one-more@example.test"
    response = root.post(reverse("accounts:register"), registration)

    assert_rate_limited(response, retry_after=3590)
    assert not User.objects.filter(email="one-more@example.test").exists()


def test_the_register_api_pauses_an_ip_after_twenty(api_client, public_tenant, registration):
    client = api_client()
    for number in range(20):
        registration["email"] = f"person{number}@example.test"
        assert client.post("/api/v1/auth/register/", registration).status_code == 201

    registration["email"] = "one-more@example.test"
    response = client.post("/api/v1/auth/register/", registration)

    assert_rate_limited(response, retry_after=3590)
    assert response.json()["error"]["code"] == "throttled"


def test_asking_again_and_again_for_a_confirmation_email_pauses(root, unverified_user):
    for attempt in range(5):
        root.post(
            reverse("accounts:verify_resend"),
            {"email": unverified_user.email},
            **from_ip(f"10.0.0.{attempt}"),
        )
    response = root.post(
        reverse("accounts:verify_resend"), {"email": unverified_user.email}, **from_ip("10.0.1.1")
    )
    assert_rate_limited(response, retry_after=3590)


# Password resets -------------------------------------------------------------------------


def test_password_reset_requests_pause_an_ip_after_five(root, user):
    for number in range(5):
        response = root.post(reverse("accounts:password_reset"), {"email": f"p{number}@x.test"})
        assert response.status_code == 200

    response = root.post(reverse("accounts:password_reset"), {"email": user.email})

    assert_rate_limited(response, retry_after=3590)


def test_password_reset_requests_pause_an_address_after_three_from_any_ip(
    root, user, sending, mailoutbox
):
    with sending():
        for attempt in range(3):
            root.post(
                reverse("accounts:password_reset"),
                {"email": user.email},
                **from_ip(f"10.0.0.{attempt}"),
            )
        response = root.post(
            reverse("accounts:password_reset"), {"email": user.email}, **from_ip("10.0.1.1")
        )

    assert_rate_limited(response, retry_after=3590)
    assert len(mailoutbox) == 3


def test_an_unknown_address_is_paused_just_like_a_known_one(root, user):
    """Otherwise the limit itself would tell which addresses have accounts."""
    for _ in range(3):
        root.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    response = root.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})
    assert response.status_code == 429


def test_the_password_reset_api_answers_429_with_retry_after(api_client, user):
    client = api_client()
    for _ in range(3):
        assert client.post("/api/v1/auth/password-reset/", {"email": user.email}).status_code == 202

    response = client.post("/api/v1/auth/password-reset/", {"email": user.email})

    assert_rate_limited(response, retry_after=3590)


# Two-factor codes -------------------------------------------------------------------------


def test_five_wrong_codes_pause_the_code_step(root, user, password, with_two_factor, sign_in):
    account = with_two_factor(user)
    sign_in(root, user.email, password)
    for _ in range(5):
        refused = root.post(reverse("accounts:login_second_factor"), {"code": "000000"})
        assert refused.status_code == 200

    response = root.post(reverse("accounts:login_second_factor"), {"code": account.code()})

    assert_rate_limited(response, retry_after=290)
    assert not get_user(root).is_authenticated


def test_four_wrong_codes_do_not_stop_the_right_one(root, user, password, with_two_factor, sign_in):
    account = with_two_factor(user)
    sign_in(root, user.email, password)
    for _ in range(4):
        root.post(reverse("accounts:login_second_factor"), {"code": "000000"})

    root.post(reverse("accounts:login_second_factor"), {"code": account.code()})

    assert get_user(root) == user


def test_wrong_codes_by_api_pause_the_account(api_client, user, password, with_two_factor):
    account = with_two_factor(user)
    client = api_client()
    for _ in range(5):
        client.post(TOKEN_API, {"email": user.email, "password": password, "otp": "000000"})

    response = client.post(
        TOKEN_API, {"email": user.email, "password": password, "otp": account.code()}
    )

    assert_rate_limited(response, retry_after=290)


def test_wrong_codes_from_one_ip_pause_it_across_accounts(
    api_client, with_two_factor, password, public_tenant
):
    people = [with_two_factor(UserFactory()) for _ in range(3)]
    client = api_client()
    for attempt in range(10):
        person = people[attempt % 3].user
        client.post(TOKEN_API, {"email": person.email, "password": password, "otp": "000000"})
    fresh = with_two_factor(UserFactory())

    response = client.post(
        TOKEN_API, {"email": fresh.user.email, "password": password, "otp": fresh.code()}
    )

    assert_rate_limited(response, retry_after=290)


def test_wrong_codes_on_the_settings_page_count_too(web_client, user, with_two_factor):
    account = with_two_factor(user)
    client = web_client(user=user)
    for _ in range(5):
        client.post("/accounts/two-factor/", {"action": "disable", "code": "000000"})

    response = client.post("/accounts/two-factor/", {"action": "disable", "code": account.code()})

    assert_rate_limited(response, retry_after=290)
