"""Confirming an email address: the emailed link, its limits, and asking for another."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.services.registration import email_verification_send
from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

VERIFY_PATH = "/accounts/verify/"
VERIFY_API = "/api/v1/auth/verify-email/"
RESEND_API = "/api/v1/auth/verify-email/resend/"


@pytest.fixture
def verify_link(unverified_user, sending, emailed_link):
    """The link emailed to ``unverified_user``."""
    with sending():
        email_verification_send(user=unverified_user)
    return emailed_link(to=unverified_user.email, path_start=VERIFY_PATH)


def token_of(link: str) -> str:
    return link.removeprefix(VERIFY_PATH).rstrip("/")


def days_later(days: int):
    """Pretend the clock moved on, for links that carry a signed timestamp."""
    now = time.time()
    return mock.patch("django.core.signing.time", mock.Mock(time=lambda: now + days * 86400))


def test_the_link_confirms_the_address(root, unverified_user, verify_link):
    response = root.get(verify_link)

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    unverified_user.refresh_from_db()
    assert unverified_user.is_email_verified


def test_following_the_link_twice_is_harmless(root, unverified_user, verify_link):
    root.get(verify_link)
    unverified_user.refresh_from_db()
    first_confirmed_at = unverified_user.email_verified_at

    again = root.get(verify_link, follow=True)

    assert again.status_code == 200
    assert b"is confirmed" in again.content
    unverified_user.refresh_from_db()
    assert unverified_user.email_verified_at == first_confirmed_at
    assert AuditEntry.objects.filter(action="auth.email_verified").count() == 1


def test_a_tampered_link_is_refused_with_a_clear_message(root, unverified_user, verify_link):
    tampered = verify_link.replace(token_of(verify_link), token_of(verify_link)[:-2] + "xx")

    response = root.get(tampered)

    assert response.status_code == 400
    assert b"This link is not valid." in response.content
    assert b"Send a new confirmation link" in response.content
    unverified_user.refresh_from_db()
    assert not unverified_user.is_email_verified


def test_a_link_older_than_three_days_has_expired(root, unverified_user, verify_link):
    assert settings.EMAIL_VERIFICATION_MAX_AGE == 3 * 86400
    with days_later(4):
        response = root.get(verify_link)

    assert response.status_code == 400
    assert b"This link has expired. Ask for a new one." in response.content
    unverified_user.refresh_from_db()
    assert not unverified_user.is_email_verified


def test_a_link_still_works_on_the_second_day(root, unverified_user, verify_link):
    with days_later(2):
        root.get(verify_link)
    unverified_user.refresh_from_db()
    assert unverified_user.is_email_verified


def test_a_link_sent_to_a_former_address_no_longer_confirms(root, unverified_user, verify_link):
    unverified_user.email = "changed@example.test"
    unverified_user.save()

    response = root.get(verify_link)

    assert response.status_code == 400
    unverified_user.refresh_from_db()
    assert not unverified_user.is_email_verified


def test_an_unconfirmed_account_cannot_sign_in_and_is_told_why(root, unverified_user, password):
    response = root.post(
        reverse("accounts:login"), {"email": unverified_user.email, "password": password}
    )

    assert response.status_code == 200
    assert b"Please confirm your email address first" in response.content
    assert b"ask for a new link" in response.content
    assert "_auth_user_id" not in root.session


def test_an_unconfirmed_account_gets_no_api_token(api_client, unverified_user, password):
    response = api_client().post(
        "/api/v1/auth/token/", {"email": unverified_user.email, "password": password}
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_unverified"


# Asking for another link ---------------------------------------------------------------


@pytest.mark.parametrize("address", ["newbie@example.test", "nobody@example.test"])
def test_the_resend_page_answers_the_same_whether_or_not_the_address_exists(
    root, unverified_user, address
):
    response = root.post(reverse("accounts:verify_resend"), {"email": address})
    assert response.status_code == 200
    assert b"needs confirming, a link is on its way" in response.content


def test_resending_emails_a_fresh_link_to_an_unconfirmed_address(
    root, unverified_user, sending, mailoutbox, emailed_link
):
    with sending():
        root.post(reverse("accounts:verify_resend"), {"email": "NEWBIE@example.test"})

    assert len(mailoutbox) == 1
    root.get(emailed_link(to=unverified_user.email, path_start=VERIFY_PATH))
    unverified_user.refresh_from_db()
    assert unverified_user.is_email_verified


@pytest.mark.parametrize("address", ["nobody@example.test", "ann@example.test"])
def test_resending_to_an_unknown_or_confirmed_address_sends_nothing(
    root, user, sending, mailoutbox, address
):
    with sending():
        response = root.post(reverse("accounts:verify_resend"), {"email": address})
    assert response.status_code == 200
    assert mailoutbox == []


@pytest.mark.parametrize("address", ["newbie@example.test", "nobody@example.test"])
def test_the_resend_api_answers_202_whether_or_not_the_address_exists(
    api_client, unverified_user, sending, mailoutbox, address
):
    with sending():
        response = api_client().post(RESEND_API, {"email": address})
    assert response.status_code == 202
    assert response.content == b""
    assert len(mailoutbox) == (1 if address == unverified_user.email else 0)


# API ---------------------------------------------------------------------------------


def test_the_api_confirms_an_address_from_the_token(api_client, unverified_user, verify_link):
    response = api_client().post(VERIFY_API, {"token": token_of(verify_link)})

    assert response.status_code == 200
    assert response.json()["is_email_verified"] is True
    unverified_user.refresh_from_db()
    assert unverified_user.is_email_verified


def test_the_api_refuses_a_tampered_token(api_client, unverified_user, verify_link):
    response = api_client().post(VERIFY_API, {"token": token_of(verify_link) + "x"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "link_invalid"


def test_the_api_refuses_an_expired_token(api_client, unverified_user, verify_link):
    with days_later(4):
        response = api_client().post(VERIFY_API, {"token": token_of(verify_link)})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "link_expired"
    assert "expired" in error["message"]
