"""The signed link that carries a sign-in from the root domain to a tenant's host."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import signing

from accounts.models import Membership
from accounts.services.handoff import login_handoff_url
from accounts.services.memberships import membership_deactivate
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def student(acme, member) -> Membership:
    return member(acme, "student")


def test_a_handoff_link_signs_in_on_its_tenant_and_opens_the_dashboard(web_client, acme, student):
    url = login_handoff_url(user=student.user, membership=student)
    assert urlsplit(url).hostname == "acme.localhost"
    browser = web_client(acme)
    response = browser.get(local(url))
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert browser.session["_auth_user_id"] == str(student.user.pk)
    assert browser.session["tenant_schema"] == "acme"
    assert browser.get("/dashboard/").status_code == 200


def test_a_handoff_link_works_only_once(web_client, acme, student):
    url = local(login_handoff_url(user=student.user, membership=student))
    assert web_client(acme).get(url).status_code == 302
    replay = web_client(acme)
    response = replay.get(url)
    assert response.status_code == 400
    assert b"already used" in response.content
    assert "_auth_user_id" not in replay.session


def test_a_handoff_link_expires_after_a_minute(web_client, acme, student, monkeypatch):
    made_at = int(time.time()) - settings.LOGIN_HANDOFF_MAX_AGE - 5
    monkeypatch.setattr(
        signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(made_at)
    )
    url = local(login_handoff_url(user=student.user, membership=student))
    monkeypatch.undo()
    browser = web_client(acme)
    response = browser.get(url)
    assert response.status_code == 400
    assert b"expired" in response.content
    assert "_auth_user_id" not in browser.session


def test_a_handoff_link_is_refused_on_another_tenants_host_and_stays_usable(
    web_client, acme, globex, student
):
    MembershipFactory(user=student.user, tenant=globex, role="student")
    url = local(login_handoff_url(user=student.user, membership=student))
    elsewhere = web_client(globex)
    response = elsewhere.get(url)
    assert response.status_code == 400
    assert b"another site" in response.content
    assert "_auth_user_id" not in elsewhere.session
    assert web_client(acme).get(url).status_code == 302


def test_a_handoff_link_is_refused_on_the_root_domain(web_client, public_tenant, student):
    url = local(login_handoff_url(user=student.user, membership=student))
    assert web_client(None).get(url).status_code == 404


def test_a_tampered_handoff_link_is_refused(web_client, acme, student):
    url = login_handoff_url(user=student.user, membership=student)
    token = parse_qs(urlsplit(url).query)["token"][0]
    response = web_client(acme).get("/accounts/handoff/", {"token": token[:-3] + "abc"})
    assert response.status_code == 400


def test_a_handoff_link_of_someone_who_lost_access_meanwhile_is_refused(
    web_client, acme, owner, student
):
    url = local(login_handoff_url(user=student.user, membership=student))
    membership_deactivate(membership=student, actor=owner)
    browser = web_client(acme)
    assert browser.get(url).status_code == 403
    assert "_auth_user_id" not in browser.session


def test_a_handoff_link_sends_nobody_to_another_host(web_client, acme, student):
    url = login_handoff_url(
        user=student.user, membership=student, next_path="https://evil.example/steal"
    )
    response = web_client(acme).get(local(url))
    assert response["Location"] == "/dashboard/"


def test_a_handoff_link_keeps_a_local_next_page(web_client, acme, student):
    url = login_handoff_url(user=student.user, membership=student, next_path="/notifications/")
    assert web_client(acme).get(local(url))["Location"] == "/notifications/"
