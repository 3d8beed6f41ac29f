"""Error pages: unknown hosts and paths, refused rules and rate limits get clear pages."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_an_unknown_agency_host_gets_the_not_found_page(public_tenant):
    response = Client(HTTP_HOST="nobody-here.localhost").get("/accounts/login/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "We couldn't find that page" in content
    assert "the page or agency no longer exists" in content
    assert '<a href="http://localhost/">Go to EduConnect' in content
    # Nothing tenant-specific (sign-in, notifications) is offered on a host nobody owns.
    assert "Sign in" not in content
    assert "/static/css/app.css" in content


def test_an_unknown_path_on_an_agency_host_gets_the_not_found_page(web_client, acme):
    response = web_client(acme).get("/no/such/page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "We couldn't find that page" in content
    assert "Acme Tutoring" in content


def test_an_unknown_path_on_the_root_domain_gets_the_not_found_page(web_client, public_tenant):
    response = web_client(public_tenant).get("/no/such/page/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_a_host_outside_our_domain_gets_a_bare_404(public_tenant):
    # django-tenants answers hosts outside ALLOWED_HOSTS before any page can render.
    response = Client(HTTP_HOST="evil.example").get("/")
    assert response.status_code == 404
    assert response.content == b""


def test_a_refused_rule_gets_a_page_with_its_message_and_status(web_client, acme):
    response = web_client(acme).get("/accounts/handoff/?token=forged")
    assert response.status_code == 400
    content = response.content.decode()
    assert "We couldn't do that" in content
    assert "This sign-in link has expired. Please sign in again." in content


def test_too_many_sign_in_attempts_get_a_429_page_with_retry_after(web_client, owner):
    client = web_client(owner.tenant)
    attempt = {"email": owner.user.email, "password": "wrong-password"}
    statuses = [client.post("/accounts/login/", attempt).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    response = client.post("/accounts/login/", attempt)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert "Too many attempts" in response.content.decode()
    assert f"try again in {response['Retry-After']} seconds" in response.content.decode()


def test_the_outbox_pages_are_not_there_when_disabled(web_client, public_tenant, settings):
    settings.OUTBOX_PAGE_ENABLED = False
    assert web_client(public_tenant).get("/dev/outbox/").status_code == 404
    assert web_client(public_tenant).get("/dev/outbox/1/").status_code == 404


def test_unknown_api_paths_answer_in_the_api_error_shape(api_client, acme):
    response = api_client(acme).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_api_server_errors_answer_in_the_api_error_shape(rf, public_tenant):
    from web.views import server_error

    response = server_error(rf.get("/api/v1/me/"))
    assert response.status_code == 500
    assert b'"code": "server_error"' in response.content
    page = server_error(rf.get("/dashboard/"))
    assert page.status_code == 500
    assert b"Something went wrong" in page.content
