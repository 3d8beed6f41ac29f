"""The agency sign-up page on the root domain."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_sign_up_page_shows_what_the_agency_address_will_look_like(web_client, public_tenant):
    content = web_client(public_tenant).get("/signup/agency/").content.decode()
    assert "Your agency's address: your-name.localhost. Lower-case letters" in content
    assert "<code>your-agency.localhost</code>" in content


def test_the_sign_up_page_is_not_on_agency_hosts(web_client, acme):
    assert web_client(acme).get("/signup/agency/").status_code == 404
