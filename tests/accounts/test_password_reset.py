"""Forgotten passwords: the emailed link, choosing a new password, ending old sessions."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User
from accounts.services.registration import password_reset_request
from audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RESET_PATH = "/accounts/reset/"
RESET_API = "/api/v1/auth/password-reset/"
CONFIRM_API = "/api/v1/auth/password-reset/confirm/"
NEW_PASSWORD = "Brand-New-Kettle-42"
USED_LINK = b"This reset link is invalid or has already been used."


@pytest.fixture
def reset_link(user, sending, emailed_link):
    """The reset link emailed to ``user``."""
    with sending():
        password_reset_request(email=user.email)
    return emailed_link(to=user.email, path_start=RESET_PATH)


def uid_and_token(link: str) -> dict[str, str]:
    uid, token = link.removeprefix(RESET_PATH).strip("/").split("/")
    return {"uid": uid, "token": token}


def status_text(response) -> str:
    """The page's answer, which must not differ between known and unknown addresses."""
    return re.search(r'<p role="status">(.*?)</p>', response.content.decode()).group(1)


def hours_later(hours: int):
    later = PasswordResetTokenGenerator()._now() + timedelta(hours=hours)
    return mock.patch.object(PasswordResetTokenGenerator, "_now", return_value=later)


def test_asking_for_a_reset_emails_a_link(root, user, sending, mailoutbox, emailed_link):
    with sending():
        response = root.post(reverse("accounts:password_reset"), {"email": "Ann@Example.test"})

    assert response.status_code == 200
    assert b"a reset link is on its way" in response.content
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [user.email]
    assert mailoutbox[0].subject == "Reset your password"
    assert "http://localhost/accounts/reset/" in mailoutbox[0].body
    assert emailed_link(to=user.email, path_start=RESET_PATH)


@pytest.mark.parametrize("address", ["nobody@example.test", "gone@example.test"])
def test_an_unknown_or_deactivated_address_gets_the_same_answer_and_no_email(
    root, user, sending, mailoutbox, address
):
    UserFactory(email="gone@example.test", is_active=False)
    known = root.post(reverse("accounts:password_reset"), {"email": user.email})

    with sending():
        unknown = root.post(reverse("accounts:password_reset"), {"email": address})

    assert unknown.status_code == known.status_code == 200
    assert status_text(unknown).replace(address, "") == status_text(known).replace(user.email, "")
    assert mailoutbox == []


def test_the_link_opens_a_form_and_sets_the_new_password(root, user, reset_link, password):
    assert root.get(reset_link).status_code == 200

    response = root.post(reset_link, {"password": NEW_PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    assert b"Your password is changed" in response.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(password)


def test_a_reset_link_works_once_only(root, user, reset_link):
    root.post(reset_link, {"password": NEW_PASSWORD})

    again = root.get(reset_link)
    reused = root.post(reset_link, {"password": "Another-Kettle-43"})

    assert again.status_code == reused.status_code == 400
    assert USED_LINK in again.content
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_a_weak_new_password_is_refused_and_the_link_still_works(root, user, reset_link):
    response = root.post(reset_link, {"password": "annlee123"})

    assert response.status_code == 200
    assert "an upper-case letter" in " ".join(response.context["form"].errors["password"])
    user.refresh_from_db()
    assert not user.check_password("annlee123")
    assert root.get(reset_link).status_code == 200


def test_a_reset_link_expires_after_an_hour(root, user, reset_link, password):
    with hours_later(2):
        response = root.post(reset_link, {"password": NEW_PASSWORD})
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(password)


def test_signing_in_after_asking_makes_the_link_useless(web_client, user, reset_link):
    web_client(user=user)  # someone remembered their password after all
    assert web_client().get(reset_link).status_code == 400


def test_a_link_with_a_tampered_account_id_is_refused(root, user, reset_link):
    other = UserFactory()
    parts = uid_and_token(reset_link)
    forged = reset_link.replace(parts["uid"], urlsafe_base64_encode(force_bytes(other.pk)))
    assert root.get(forged).status_code == 400
    assert root.get(f"{RESET_PATH}!!!/{parts['token']}/").status_code == 400


def test_a_deactivated_account_cannot_use_a_link_sent_before(root, user, reset_link, password):
    User.objects.filter(pk=user.pk).update(is_active=False)

    response = root.post(reset_link, {"password": NEW_PASSWORD})

    assert response.status_code == 400
    user.refresh_from_db()
    assert user.check_password(password)


def test_resetting_confirms_an_unconfirmed_address(root, unverified_user, sending, emailed_link):
    with sending():
        password_reset_request(email=unverified_user.email)
    root.post(
        emailed_link(to=unverified_user.email, path_start=RESET_PATH), {"password": NEW_PASSWORD}
    )
    unverified_user.refresh_from_db()
    assert unverified_user.is_email_verified


def test_resetting_tells_the_owner_their_password_changed(
    root, user, reset_link, sending, mailoutbox
):
    with sending():
        root.post(reset_link, {"password": NEW_PASSWORD})
    assert [message.subject for message in mailoutbox][-1] == "Your password was changed"


def test_resetting_signs_out_existing_browser_sessions(web_client, user, sending, emailed_link):
    elsewhere = web_client(user=user)
    assert elsewhere.get(reverse("accounts:two_factor")).status_code == 200
    with sending():
        password_reset_request(email=user.email)

    web_client().post(
        emailed_link(to=user.email, path_start=RESET_PATH), {"password": NEW_PASSWORD}
    )

    assert elsewhere.get(reverse("accounts:two_factor")).status_code == 302


def test_resetting_ends_every_api_sign_in(web_client, api_client, user, reset_link):
    app = api_client(user=user)
    assert app.get("/api/v1/me/").status_code == 200

    web_client().post(reset_link, {"password": NEW_PASSWORD})

    assert app.get("/api/v1/me/").status_code == 401
    refreshed = app.post("/api/v1/auth/token/refresh/", {"refresh": app.tokens["refresh"]})
    assert refreshed.status_code == 401
    assert refreshed.json()["error"]["code"] == "token_revoked"


def test_reset_links_from_an_agency_host_point_at_the_root_domain(
    web_client, acme, member, sending, mailoutbox
):
    tutor = member(acme, "tutor").user
    with sending():
        web_client(acme).post(reverse("accounts:password_reset"), {"email": tutor.email})
    assert "http://localhost/accounts/reset/" in mailoutbox[0].body


def test_asking_and_resetting_are_recorded_in_the_audit_log(root, user, reset_link):
    root.post(reset_link, {"password": NEW_PASSWORD})
    root.post(reverse("accounts:password_reset"), {"email": "nobody@example.test"})

    requested = AuditEntry.objects.filter(action="auth.password_reset_requested")
    assert sorted(entry.data["email"] for entry in requested) == [
        "ann@example.test",
        "nobody@example.test",
    ]
    assert requested.get(data__email="nobody@example.test").actor is None
    assert AuditEntry.objects.get(action="auth.password_reset").actor == user


# API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["ann@example.test", "nobody@example.test"])
def test_the_api_answers_202_to_any_address(api_client, user, sending, mailoutbox, address):
    with sending():
        response = api_client().post(RESET_API, {"email": address})
    assert response.status_code == 202
    assert response.content == b""
    assert len(mailoutbox) == (1 if address == user.email else 0)


def test_the_api_sets_a_new_password_from_the_link(api_client, user, reset_link):
    response = api_client().post(
        CONFIRM_API, {**uid_and_token(reset_link), "password": NEW_PASSWORD}
    )
    assert response.status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_api_refuses_a_weak_password_with_a_field_error(api_client, user, reset_link):
    response = api_client().post(CONFIRM_API, {**uid_and_token(reset_link), "password": "short"})
    assert response.status_code == 400
    assert "too short" in " ".join(response.json()["error"]["fields"]["password"])


def test_the_api_refuses_a_used_link(api_client, user, reset_link):
    client = api_client()
    client.post(CONFIRM_API, {**uid_and_token(reset_link), "password": NEW_PASSWORD})

    response = client.post(CONFIRM_API, {**uid_and_token(reset_link), "password": "Other-Pass-77"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "link_invalid"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_an_api_reset_ends_earlier_token_families(api_client, user, reset_link):
    app = api_client(user=user)

    api_client().post(CONFIRM_API, {**uid_and_token(reset_link), "password": NEW_PASSWORD})

    refreshed = app.post("/api/v1/auth/token/refresh/", {"refresh": app.tokens["refresh"]})
    assert refreshed.status_code == 401
    assert refreshed.json()["error"]["code"] == "token_revoked"
    family = user.token_families.get()
    assert family.revoked_reason == "password_reset"
