"""Signing in and out: root domain and agency hosts, pages and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOKEN_API = "/api/v1/auth/token/"
WRONG = "The email address or password is incorrect."


def test_a_verified_person_signs_in_on_the_root_domain(root, user, password, sign_in):
    response = sign_in(root, user.email, password)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:after_login")
    assert get_user(root) == user


def test_the_email_address_is_matched_whatever_its_case(root, user, password, sign_in):
    sign_in(root, "ANN@Example.Test", password)
    assert get_user(root) == user


@pytest.mark.parametrize(
    ("email", "typed_password"),
    [("ann@example.test", "Wrong-Horse-9"), ("nobody@example.test", "Correct-Horse-9")],
)
def test_a_wrong_password_or_unknown_address_gets_the_same_generic_message(
    root, user, email, typed_password, sign_in
):
    response = sign_in(root, email, typed_password)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [WRONG]
    assert not get_user(root).is_authenticated


def test_a_deactivated_account_gets_the_generic_message(root, password, sign_in):
    gone = UserFactory(email="gone@example.test", is_active=False)
    response = sign_in(root, gone.email, password)
    assert response.context["form"].non_field_errors() == [WRONG]
    assert not get_user(root).is_authenticated


def test_a_member_signs_in_on_their_agency_host(web_client, acme, member, password, sign_in):
    tutor = member(acme, "tutor").user
    client = web_client(acme)

    response = sign_in(client, tutor.email, password)

    assert response.status_code == 302
    assert get_user(client) == tutor
    assert client.session["tenant_schema"] == "acme"
    assert client.get(reverse("accounts:after_login"))["Location"] == reverse("web:dashboard")


def test_someone_who_is_not_a_member_cannot_sign_in_on_an_agency_host(
    web_client, acme, user, password, sign_in
):
    client = web_client(acme)

    response = sign_in(client, user.email, password)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Your account has no access to Acme Tutoring."
    ]
    assert not get_user(client).is_authenticated


def test_a_deactivated_member_cannot_sign_in_on_the_agency_host(
    web_client, acme, member, password, sign_in
):
    tutor = member(acme, "tutor")
    Membership.objects.filter(pk=tutor.pk).update(is_active=False)
    client = web_client(acme)

    sign_in(client, tutor.user.email, password)

    assert not get_user(client).is_authenticated


def test_a_member_of_another_agency_cannot_sign_in_here(
    web_client, globex, owner, password, sign_in
):
    client = web_client(globex)
    response = sign_in(client, owner.user.email, password)
    assert b"no access to Globex Learning" in response.content
    assert not get_user(client).is_authenticated


def test_signing_out_ends_the_session(root, user, password, sign_in):
    sign_in(root, user.email, password)

    response = root.post(reverse("accounts:logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert b"You are signed out." in response.content
    assert not get_user(root).is_authenticated
    assert root.get(reverse("accounts:two_factor")).status_code == 302


def test_signing_out_needs_a_post(root, user, password, sign_in):
    sign_in(root, user.email, password)
    assert root.get(reverse("accounts:logout")).status_code == 405
    assert get_user(root) == user


@pytest.mark.parametrize("target", ["/accounts/two-factor/", "/accounts/two-factor/?tab=codes"])
def test_signing_in_returns_to_a_safe_next_page(root, user, password, target, sign_in):
    response = sign_in(root, user.email, password, next=target)
    assert response["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.test/phish",
        "//evil.test/phish",
        "http://acme.localhost/dashboard/",
        "javascript:alert(1)",
        "/\\evil.test",
    ],
)
def test_signing_in_ignores_a_next_page_on_another_site(root, user, password, target, sign_in):
    response = sign_in(root, user.email, password, next=target)
    assert response["Location"] == reverse("accounts:after_login")


def test_the_login_page_keeps_a_safe_next_and_drops_an_unsafe_one(root):
    kept = root.get(reverse("accounts:login"), {"next": "/accounts/two-factor/"})
    dropped = root.get(reverse("accounts:login"), {"next": "https://evil.test/"})
    assert b'name="next" value="/accounts/two-factor/"' in kept.content
    assert b"evil.test" not in dropped.content


# Idle sessions ---------------------------------------------------------------------------


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_web_sessions_end_after_thirty_idle_minutes():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_each_request_pushes_the_idle_deadline_back(root, user, password, sign_in):
    sign_in(root, user.email, password)
    Session.objects.filter(pk=root.session.session_key).update(
        expire_date=timezone.now() + timedelta(minutes=5)
    )

    assert root.get(reverse("accounts:two_factor")).status_code == 200

    remaining = session_row(root).expire_date - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)


def test_an_idle_session_no_longer_signs_anyone_in(root, user, password, sign_in):
    sign_in(root, user.email, password)
    Session.objects.filter(pk=root.session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    response = root.get(reverse("accounts:two_factor"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# API -----------------------------------------------------------------------------------


def test_the_api_issues_a_token_pair_on_the_root_domain(api_client, user, password):
    client = api_client()

    response = client.post(TOKEN_API, {"email": "Ann@Example.test", "password": password})

    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/v1/me/").json()["email"] == "ann@example.test"


def test_the_api_issues_a_token_to_a_member_on_their_agency_host(
    api_client, acme, member, password
):
    tutor = member(acme, "tutor").user
    response = api_client(acme).post(TOKEN_API, {"email": tutor.email, "password": password})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("email", "typed_password"),
    [("ann@example.test", "Wrong-Horse-9"), ("nobody@example.test", "Correct-Horse-9")],
)
def test_the_api_answers_a_wrong_password_with_a_generic_401(
    api_client, user, email, typed_password
):
    response = api_client().post(TOKEN_API, {"email": email, "password": typed_password})
    assert response.status_code == 401
    assert response.json()["error"] == {
        "status": 401,
        "code": "invalid_credentials",
        "message": WRONG,
        "fields": {},
    }


def test_the_api_refuses_a_token_to_a_non_member_on_an_agency_host(
    api_client, acme, user, password
):
    response = api_client(acme).post(TOKEN_API, {"email": user.email, "password": password})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_a_member"


def test_the_api_signs_out_by_ending_the_refresh_token(api_client, user):
    client = api_client(user=user)

    response = client.post("/api/v1/auth/logout/", {"refresh": client.tokens["refresh"]})

    assert response.status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    refreshed = client.post("/api/v1/auth/token/refresh/", {"refresh": client.tokens["refresh"]})
    assert refreshed.status_code == 401
