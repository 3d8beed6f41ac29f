"""Which address the rate limits and the audit log see."""

from __future__ import annotations

from django.test import RequestFactory

from accounts.models import User
from audit.services import client_ip


def request_from(remote: str, forwarded: str | None = None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


def test_without_a_proxy_the_connection_address_is_used_and_headers_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("203.0.113.9", forwarded="1.2.3.4")) == "203.0.113.9"


def test_behind_our_proxy_the_address_it_appended_is_used(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2", forwarded="203.0.113.9")) == "203.0.113.9"


def test_addresses_a_client_invents_do_not_escape_the_limits(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the real address.
    assert client_ip(request_from("10.0.0.2", forwarded="1.2.3.4, 203.0.113.9")) == "203.0.113.9"


def test_a_missing_header_behind_a_proxy_falls_back_to_the_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"


def test_forms_store_email_addresses_in_lower_case():
    user = User(email="  Mixed.Case@Example.TEST ", first_name="Mo")
    user.clean()
    assert user.email == "mixed.case@example.test"
