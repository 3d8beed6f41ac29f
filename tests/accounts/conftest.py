"""Fixtures for the account tests: people, emailed links, authenticator codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.services import two_factor
from tests.factories import UserFactory

REGISTRATION = {
    "first_name": "Augusta",
    "last_name": "Lovelace",
    "email": "ada@example.test",
    "password": "Analytical-Engine-1843",
    "time_zone": "Europe/London",
    "locale": "en",
}


@pytest.fixture
def registration() -> dict[str, str]:
    """Valid sign-up details; tests change the one field they are about."""
    return dict(REGISTRATION)


@pytest.fixture
def user(public_tenant) -> User:
    """A verified account with no memberships."""
    return UserFactory(email="ann@example.test", first_name="Ann", last_name="Lee")


@pytest.fixture
def unverified_user(public_tenant) -> User:
    return UserFactory(email="newbie@example.test", email_verified_at=None)


@pytest.fixture
def root(web_client, public_tenant):
    """A browser on the root domain."""
    return web_client()


@pytest.fixture
def sign_in():
    """``sign_in(client, email, password, next=None, **request_meta)`` posts the sign-in form."""

    def post(client, email: str, password: str, *, next: str | None = None, **meta):  # noqa: A002
        data = {"email": email, "password": password}
        if next is not None:
            data["next"] = next
        return client.post(reverse("accounts:login"), data, **meta)

    return post


@pytest.fixture
def sending(django_capture_on_commit_callbacks):
    """``with sending(): ...`` delivers the emails queued inside (they leave on commit)."""
    return partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def emailed_link(mailoutbox):
    """``emailed_link(to=..., path_start=...)`` → a link's path in the newest email to ``to``."""

    def find(*, to: str, path_start: str) -> str:
        for message in reversed(mailoutbox):
            if to not in message.to:
                continue
            for url in re.findall(r"https?://\S+", message.body):
                if urlsplit(url).path.startswith(path_start):
                    return urlsplit(url).path
        raise AssertionError(f"no email to {to} with a link to {path_start}")

    return find


def _totp_now(device: TOTPDevice) -> str:
    """The code an authenticator app would show for ``device`` right now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0)
    return f"{code:0{device.digits}d}"


def _totp_allow_next_code(device: TOTPDevice) -> None:
    """Let the current time step's code be used again (as it would be 30 seconds later)."""
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1, throttling_failure_count=0)


@pytest.fixture
def totp_code():
    """``totp_code(device)`` → a usable code for a (possibly unconfirmed) device."""

    def code(device: TOTPDevice) -> str:
        _totp_allow_next_code(device)
        return _totp_now(device)

    return code


@dataclass
class TwoFactorAccount:
    user: User
    device: TOTPDevice
    recovery_codes: list[str]

    def code(self) -> str:
        """A fresh, usable authenticator code."""
        _totp_allow_next_code(self.device)
        return _totp_now(self.device)


@pytest.fixture
def with_two_factor():
    """``with_two_factor(user)`` → the user with a confirmed authenticator app."""

    def enable(user: User) -> TwoFactorAccount:
        device = two_factor.totp_enrol_begin(user=user)
        codes = two_factor.totp_enrol_confirm(user=user, code=_totp_now(device))
        _totp_allow_next_code(device)
        return TwoFactorAccount(user=user, device=device, recovery_codes=codes)

    return enable
