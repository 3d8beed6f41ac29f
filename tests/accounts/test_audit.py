"""The audit log of authentication: who signed in, failed, reset, or changed their second factor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.services.registration import email_verification_send
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

TOKEN_API = "/api/v1/auth/token/"


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("created_at", "id").values_list("action", flat=True))


def test_a_web_sign_in_is_recorded_with_who_where_and_how(
    web_client, acme, member, password, sign_in
):
    tutor = member(acme, "tutor").user

    sign_in(
        web_client(acme),
        tutor.email,
        password,
        HTTP_USER_AGENT="Firefox/140",
        REMOTE_ADDR="203.0.113.7",
    )

    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.actor == tutor
    assert entry.tenant == acme
    assert entry.data == {"via": "web"}
    assert entry.ip_address == "203.0.113.7"
    assert entry.user_agent == "Firefox/140"


def test_a_failed_sign_in_is_recorded_though_the_attempt_failed(root, user, sign_in):
    sign_in(root, "Ann@Example.test", "Wrong-Horse-9", REMOTE_ADDR="203.0.113.7")

    entry = AuditEntry.objects.get(action="auth.login_failed")
    assert entry.actor is None
    assert entry.data == {"email": "ann@example.test"}
    assert entry.ip_address == "203.0.113.7"
    assert "auth.login" not in actions()


def test_a_failed_api_sign_in_is_recorded_though_the_request_failed(api_client, user):
    response = api_client().post(TOKEN_API, {"email": user.email, "password": "Wrong-Horse-9"})
    assert response.status_code == 401
    assert AuditEntry.objects.get(action="auth.login_failed").data == {"email": user.email}


def test_an_api_sign_in_is_recorded_with_the_token_it_issued(api_client, user, password):
    api_client().post(TOKEN_API, {"email": user.email, "password": password})

    login = AuditEntry.objects.get(action="auth.login")
    assert login.actor == user
    assert login.data == {"via": "token"}
    assert AuditEntry.objects.get(action="auth.token_issued").actor == user


def test_a_refused_non_member_is_recorded(web_client, acme, user, password, sign_in):
    sign_in(web_client(acme), user.email, password)
    entry = AuditEntry.objects.get(action="auth.login_refused")
    assert entry.actor == user
    assert entry.tenant == acme
    assert entry.data == {"reason": "not_a_member"}


def test_signing_out_is_recorded(web_client, user):
    web_client(user=user).post(reverse("accounts:logout"))
    entry = AuditEntry.objects.get(action="auth.logout")
    assert entry.actor == user
    assert entry.data == {"via": "web"}


def test_signing_out_by_api_is_recorded(api_client, user):
    client = api_client(user=user)
    client.post("/api/v1/auth/logout/", {"refresh": client.tokens["refresh"]})
    assert AuditEntry.objects.get(action="auth.logout").data == {"via": "api"}


def test_registering_and_confirming_are_recorded(root, registration, sending, emailed_link):
    with sending():
        root.post(reverse("accounts:register"), registration)
    root.get(emailed_link(to=registration["email"], path_start="/accounts/verify/"))

    assert actions() == ["auth.registered", "auth.email_verified"]
    registered = AuditEntry.objects.get(action="auth.registered")
    assert registered.actor.email == registration["email"]
    assert registered.target_id == str(registered.actor.pk)


def test_confirming_an_address_is_recorded_once(root, unverified_user, sending, emailed_link):
    with sending():
        email_verification_send(user=unverified_user)
    link = emailed_link(to=unverified_user.email, path_start="/accounts/verify/")

    root.get(link)
    root.get(link)

    entry = AuditEntry.objects.get(action="auth.email_verified")
    assert entry.actor == unverified_user
    assert entry.target_id == str(unverified_user.pk)


def test_password_resets_are_recorded(root, user, sending, emailed_link):
    with sending():
        root.post(reverse("accounts:password_reset"), {"email": user.email})
    root.post(
        emailed_link(to=user.email, path_start="/accounts/reset/"), {"password": "Fresh-Kettle-42"}
    )

    assert actions() == ["auth.password_reset_requested", "auth.password_reset"]
    assert {entry.actor for entry in AuditEntry.objects.all()} == {user}


def test_turning_two_factor_on_and_off_is_recorded(web_client, user, with_two_factor):
    account = with_two_factor(user)
    web_client(user=user).post(
        "/accounts/two-factor/", {"action": "disable", "code": account.code()}
    )

    assert actions() == ["auth.2fa_enabled", "auth.2fa_disabled"]
    assert all(entry.actor == user for entry in AuditEntry.objects.all())


def test_a_wrong_code_is_recorded_though_the_sign_in_failed(
    api_client, user, password, with_two_factor
):
    with_two_factor(user)

    api_client().post(TOKEN_API, {"email": user.email, "password": password, "otp": "000000"})

    entry = AuditEntry.objects.get(action="auth.otp_failed")
    assert entry.actor == user
    assert "auth.login" not in actions()


def test_a_wrong_code_on_the_page_is_recorded(root, user, password, with_two_factor, sign_in):
    with_two_factor(user)
    sign_in(root, user.email, password)
    root.post(reverse("accounts:login_second_factor"), {"code": "000000"})
    assert AuditEntry.objects.filter(action="auth.otp_failed", actor=user).count() == 1


def test_using_a_recovery_code_is_recorded_with_how_many_remain(
    root, user, password, with_two_factor, sign_in
):
    account = with_two_factor(user)
    sign_in(root, user.email, password)

    root.post(reverse("accounts:login_second_factor"), {"code": account.recovery_codes[0]})

    entry = AuditEntry.objects.get(action="auth.recovery_code_used")
    assert entry.actor == user
    assert entry.data == {"remaining": 9}
    assert actions()[-2:] == ["auth.recovery_code_used", "auth.login"]
