"""Two-factor authentication: setting it up, signing in with it, recovery codes, turning it off."""

from __future__ import annotations

import hashlib
import time
from unittest import mock

import pytest
from django.contrib.auth import get_user
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCode
from accounts.services import two_factor
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKEN_API = "/api/v1/auth/token/"
PAGE = "/accounts/two-factor/"
BAD_CODE = "That code is not valid. Check your app and try again."


@pytest.fixture
def account(user, with_two_factor):
    """``user`` with an authenticator app confirmed and ten recovery codes."""
    return with_two_factor(user)


@pytest.fixture
def signed_in(web_client, user):
    return web_client(user=user)


def wrong_code_for(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# Setting it up on the page --------------------------------------------------------------


def test_the_page_offers_to_set_it_up_when_it_is_off(signed_in):
    response = signed_in.get(PAGE)
    assert response.status_code == 200
    assert b"<strong>Off.</strong>" in response.content
    assert b'value="begin"' in response.content


def test_the_page_needs_a_signed_in_person(root):
    response = root.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_starting_set_up_shows_a_qr_code_and_the_key(signed_in, user):
    signed_in.post(PAGE, {"action": "begin"})

    response = signed_in.get(PAGE)

    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert b"<svg" in response.content
    assert b"QR code for your authenticator app" in response.content
    secret = device.config_url.split("secret=")[1].split("&")[0]
    assert f"<code>{secret}</code>".encode() in response.content


def test_starting_again_replaces_the_unconfirmed_secret(signed_in, user):
    signed_in.post(PAGE, {"action": "begin"})
    first = TOTPDevice.objects.get(user=user)
    signed_in.post(PAGE, {"action": "begin"})
    assert list(TOTPDevice.objects.filter(user=user)) != [first]
    assert TOTPDevice.objects.filter(user=user).count() == 1


def test_a_valid_code_turns_it_on_and_shows_recovery_codes_once(signed_in, user, totp_code):
    signed_in.post(PAGE, {"action": "begin"})
    device = TOTPDevice.objects.get(user=user)

    response = signed_in.post(PAGE, {"action": "confirm", "code": totp_code(device)})

    codes = response.context["recovery_codes"]
    assert len(codes) == 10
    assert all(code.encode() in response.content for code in codes)
    assert b"<strong>On.</strong>" in response.content
    assert two_factor.second_factor_required(user=user)
    later = signed_in.get(PAGE)
    assert not any(code.encode() in later.content for code in codes)
    assert b"10 recovery codes left" in later.content


def test_recovery_codes_are_stored_only_as_hashes(account):
    stored = set(RecoveryCode.objects.filter(user=account.user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert not stored & set(account.recovery_codes)
    expected = {
        hashlib.sha256(code.replace("-", "").encode()).hexdigest()
        for code in account.recovery_codes
    }
    assert stored == expected


def test_a_wrong_code_does_not_turn_it_on(signed_in, user, totp_code):
    signed_in.post(PAGE, {"action": "begin"})
    device = TOTPDevice.objects.get(user=user)

    response = signed_in.post(
        PAGE, {"action": "confirm", "code": wrong_code_for(totp_code(device))}
    )

    assert response.context["form"].errors["code"] == ["Invalid code."]
    assert not two_factor.second_factor_required(user=user)
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert b"<svg" in response.content  # still set-up, with the same QR code


def test_confirming_before_starting_is_refused(signed_in, user):
    response = signed_in.post(PAGE, {"action": "confirm", "code": "123456"})
    assert b"Start setting up two-factor authentication first." in response.content
    assert not two_factor.second_factor_required(user=user)


def test_starting_again_when_it_is_on_is_refused(web_client, account):
    response = web_client(user=account.user).post(PAGE, {"action": "begin"})
    assert b"Two-factor authentication is already on." in response.content
    assert TOTPDevice.objects.filter(user=account.user).count() == 1


# Signing in on the page -----------------------------------------------------------------


def test_signing_in_asks_for_a_code_before_starting_the_session(root, account, password, sign_in):
    response = sign_in(root, account.user.email, password)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login_second_factor")
    assert not get_user(root).is_authenticated
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_the_code_completes_signing_in(root, account, password, sign_in):
    sign_in(root, account.user.email, password)

    response = root.post(reverse("accounts:login_second_factor"), {"code": account.code()})

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:after_login")
    assert get_user(root) == account.user


def test_a_wrong_code_does_not_sign_in(root, account, password, sign_in):
    sign_in(root, account.user.email, password)

    response = root.post(
        reverse("accounts:login_second_factor"), {"code": wrong_code_for(account.code())}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Invalid code."]
    assert not get_user(root).is_authenticated


def test_the_code_cannot_be_used_twice(root, web_client, account, password, sign_in):
    code = account.code()
    sign_in(root, account.user.email, password)
    root.post(reverse("accounts:login_second_factor"), {"code": code})
    other = web_client()
    sign_in(other, account.user.email, password)

    other.post(reverse("accounts:login_second_factor"), {"code": code})

    assert not get_user(other).is_authenticated


def test_the_code_step_without_the_password_step_goes_back_to_sign_in(root, account):
    response = root.post(reverse("accounts:login_second_factor"), {"code": account.code()})
    assert response["Location"] == reverse("accounts:login")
    assert not get_user(root).is_authenticated


def test_the_code_step_expires_after_five_minutes(root, account, password, sign_in):
    sign_in(root, account.user.email, password)
    now = time.time()

    with mock.patch("accounts.views.time", mock.Mock(time=lambda: now + 301)):
        response = root.post(
            reverse("accounts:login_second_factor"), {"code": account.code()}, follow=True
        )

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert b"Please sign in again." in response.content
    assert not get_user(root).is_authenticated


def test_a_code_typed_with_a_space_as_the_app_shows_it_is_accepted(
    root, account, password, sign_in
):
    code = account.code()
    sign_in(root, account.user.email, password)
    root.post(reverse("accounts:login_second_factor"), {"code": f"{code[:3]} {code[3:]}"})
    assert get_user(root) == account.user


def test_set_up_accepts_a_code_typed_with_a_space(signed_in, user, totp_code):
    signed_in.post(PAGE, {"action": "begin"})
    code = totp_code(TOTPDevice.objects.get(user=user))
    signed_in.post(PAGE, {"action": "confirm", "code": f"{code[:3]} {code[3:]}"})
    assert two_factor.second_factor_required(user=user)


@pytest.mark.parametrize("change", ["deactivated", "deleted"])
def test_an_account_gone_between_password_and_code_goes_back_to_sign_in(
    root, account, password, change, sign_in
):
    sign_in(root, account.user.email, password)
    if change == "deleted":
        account.user.delete()
    else:
        account.user.__class__.objects.filter(pk=account.user.pk).update(is_active=False)

    response = root.post(reverse("accounts:login_second_factor"), {"code": "123456"})

    assert response["Location"] == reverse("accounts:login")
    assert not get_user(root).is_authenticated
    assert not AuditEntry.objects.filter(action="auth.login").exists()


def test_a_safe_next_page_survives_the_code_step(root, account, password, sign_in):
    sign_in(root, account.user.email, password, next="/accounts/two-factor/")
    response = root.post(reverse("accounts:login_second_factor"), {"code": account.code()})
    assert response["Location"] == "/accounts/two-factor/"


def test_a_recovery_code_signs_in_once_only(root, web_client, account, password, sign_in):
    recovery = account.recovery_codes[0]
    sign_in(root, account.user.email, password)

    response = root.post(reverse("accounts:login_second_factor"), {"code": recovery}, follow=True)

    assert get_user(root) == account.user
    assert b"You used a recovery code. 9 remain." in response.content
    again = web_client()
    sign_in(again, account.user.email, password)
    refused = again.post(reverse("accounts:login_second_factor"), {"code": recovery})
    assert refused.context["form"].errors["code"] == ["Invalid code."]
    assert not get_user(again).is_authenticated


def test_a_recovery_code_is_accepted_however_it_is_typed(root, account, password, sign_in):
    typed = account.recovery_codes[1].replace("-", " ").upper()
    sign_in(root, account.user.email, password)
    root.post(reverse("accounts:login_second_factor"), {"code": typed})
    assert get_user(root) == account.user


def test_an_agency_member_with_two_factor_signs_in_on_the_agency_host(
    web_client, owner, with_two_factor, password, sign_in
):
    account = with_two_factor(owner.user)
    client = web_client(owner.tenant)
    sign_in(client, account.user.email, password)
    client.post(reverse("accounts:login_second_factor"), {"code": account.code()})
    assert get_user(client) == account.user


# Turning it off and new recovery codes on the page ----------------------------------------


def test_turning_it_off_needs_a_valid_code(web_client, account):
    client = web_client(user=account.user)

    refused = client.post(PAGE, {"action": "disable", "code": wrong_code_for(account.code())})
    assert refused.context["form"].errors["code"] == ["Invalid code."]
    assert two_factor.second_factor_required(user=account.user)

    client.post(PAGE, {"action": "disable", "code": account.code()})
    assert not two_factor.second_factor_required(user=account.user)
    assert not RecoveryCode.objects.filter(user=account.user).exists()


def test_turning_it_off_without_a_code_is_refused(web_client, account):
    response = web_client(user=account.user).post(PAGE, {"action": "disable"})
    assert "code" in response.context["form"].errors
    assert two_factor.second_factor_required(user=account.user)


def test_signing_in_after_turning_it_off_needs_only_the_password(
    web_client, account, password, sign_in
):
    web_client(user=account.user).post(PAGE, {"action": "disable", "code": account.code()})
    client = web_client()
    sign_in(client, account.user.email, password)
    assert get_user(client) == account.user


def test_new_recovery_codes_replace_the_old_ones(web_client, account):
    client = web_client(user=account.user)

    response = client.post(PAGE, {"action": "regenerate", "code": account.code()})

    fresh = response.context["recovery_codes"]
    assert len(fresh) == 10
    assert not set(fresh) & set(account.recovery_codes)
    with pytest.raises(two_factor.InvalidCodeError):
        two_factor.second_factor_verify(user=account.user, code=account.recovery_codes[0])
    assert two_factor.second_factor_verify(user=account.user, code=fresh[0]) == "recovery_code"


def test_new_recovery_codes_need_a_valid_code(web_client, account):
    response = web_client(user=account.user).post(PAGE, {"action": "regenerate", "code": "000000"})
    assert "recovery_codes" not in response.context
    assert RecoveryCode.objects.filter(user=account.user, used_at=None).count() == 10


# API ------------------------------------------------------------------------------------


def test_the_api_starts_set_up_with_a_qr_code(api_client, user):
    response = api_client(user=user).post("/api/v1/auth/2fa/enrol/")

    assert response.status_code == 201
    body = response.json()
    assert body["otpauth_url"].startswith("otpauth://totp/EduConnect%3Aann%40example.test?")
    assert body["qr_svg"].startswith("<svg")


def test_the_api_turns_it_on_and_returns_the_recovery_codes(api_client, user, totp_code):
    client = api_client(user=user)
    client.post("/api/v1/auth/2fa/enrol/")
    device = TOTPDevice.objects.get(user=user)

    response = client.post("/api/v1/auth/2fa/confirm/", {"code": totp_code(device)})

    assert response.status_code == 200
    assert len(response.json()["recovery_codes"]) == 10
    assert client.get("/api/v1/me/").json()["two_factor_enabled"] is True


def test_the_api_refuses_a_wrong_set_up_code(api_client, user, totp_code):
    client = api_client(user=user)
    client.post("/api/v1/auth/2fa/enrol/")
    device = TOTPDevice.objects.get(user=user)

    response = client.post("/api/v1/auth/2fa/confirm/", {"code": wrong_code_for(totp_code(device))})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_otp"
    assert not two_factor.second_factor_required(user=user)


def test_a_token_without_the_code_is_refused_with_otp_required(api_client, account, password):
    response = api_client().post(TOKEN_API, {"email": account.user.email, "password": password})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "otp_required"


def test_a_token_with_a_wrong_code_is_refused_with_invalid_otp(api_client, account, password):
    response = api_client().post(
        TOKEN_API,
        {"email": account.user.email, "password": password, "otp": wrong_code_for(account.code())},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_otp"


def test_a_token_with_the_code_is_issued(api_client, account, password):
    response = api_client().post(
        TOKEN_API, {"email": account.user.email, "password": password, "otp": account.code()}
    )
    assert response.status_code == 200
    assert "access" in response.json()


def test_a_wrong_password_is_refused_before_the_code_is_looked_at(api_client, account):
    response = api_client().post(
        TOKEN_API, {"email": account.user.email, "password": "Wrong-Horse-9", "otp": "123456"}
    )
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_a_recovery_code_gets_one_token_only(api_client, account, password):
    credentials = {
        "email": account.user.email,
        "password": password,
        "otp": account.recovery_codes[0],
    }
    assert api_client().post(TOKEN_API, credentials).status_code == 200

    again = api_client().post(TOKEN_API, credentials)

    assert again.status_code == 401
    assert again.json()["error"]["code"] == "invalid_otp"


def test_the_api_turns_it_off_only_with_a_valid_code(api_client, account):
    client = api_client(user=account.user)

    missing = client.post("/api/v1/auth/2fa/disable/", {})
    wrong = client.post("/api/v1/auth/2fa/disable/", {"code": wrong_code_for(account.code())})
    assert missing.status_code == wrong.status_code == 400
    assert "code" in missing.json()["error"]["fields"]
    assert wrong.json()["error"]["code"] == "invalid_otp"
    assert two_factor.second_factor_required(user=account.user)

    done = client.post("/api/v1/auth/2fa/disable/", {"code": account.code()})

    assert done.status_code == 204
    assert not two_factor.second_factor_required(user=account.user)


def test_turning_it_off_when_it_is_off_says_so_without_counting_a_failure(api_client, user):
    response = api_client(user=user).post("/api/v1/auth/2fa/disable/", {"code": "123456"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "not_enabled"
    assert not AuditEntry.objects.filter(action="auth.otp_failed").exists()


def test_the_api_replaces_recovery_codes_with_a_valid_code(api_client, account):
    client = api_client(user=account.user)

    refused = client.post("/api/v1/auth/2fa/recovery-codes/", {"code": "000000"})
    response = client.post("/api/v1/auth/2fa/recovery-codes/", {"code": account.code()})

    assert refused.status_code == 400
    assert response.status_code == 200
    assert len(response.json()["recovery_codes"]) == 10
    assert not set(response.json()["recovery_codes"]) & set(account.recovery_codes)


def test_two_factor_endpoints_need_a_signed_in_caller(api_client, public_tenant):
    client = api_client()
    for endpoint in ("enrol", "confirm", "disable", "recovery-codes"):
        assert client.post(f"/api/v1/auth/2fa/{endpoint}/", {"code": "1"}).status_code == 401
