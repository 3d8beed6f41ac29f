"""The OpenAPI schema of each host, and its docs pages, which work without the internet."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.test import Client
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

DOCS_PAGES = ["/api/v1/docs/", "/api/v1/redoc/"]


def _schema(client) -> dict:
    response = client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


@pytest.mark.parametrize("urlconf", ["config.urls_public", "config.urls_tenant"])
def test_the_schema_of_each_host_is_generated_without_warnings(urlconf, tmp_path):
    # --fail-on-warn turns every guess drf-spectacular had to make into an error.
    call_command(
        "spectacular",
        "--urlconf",
        urlconf,
        "--validate",
        "--fail-on-warn",
        "--file",
        str(tmp_path / "schema.yaml"),
    )


def test_the_root_domain_serves_a_valid_schema_of_its_own_endpoints(web_client, public_tenant):
    schema = _schema(web_client(public_tenant))
    validate_schema(schema)
    assert schema["info"]["title"] == "EduConnect API"
    assert "/api/v1/auth/register/" in schema["paths"]
    assert "/api/v1/agencies/" in schema["paths"]
    assert "/api/v1/team/members/" not in schema["paths"]


def test_an_agency_host_serves_a_valid_schema_of_its_own_endpoints(web_client, acme):
    schema = _schema(web_client(acme))
    validate_schema(schema)
    assert "/api/v1/team/members/" in schema["paths"]
    assert "/api/v1/notifications/" in schema["paths"]
    assert "/api/v1/agencies/" not in schema["paths"]


def test_the_schema_describes_both_ways_to_authenticate(web_client, acme):
    schemes = _schema(web_client(acme))["components"]["securitySchemes"]
    assert schemes["tenantJWT"]["scheme"] == "bearer"
    assert "this tenant's host" in schemes["tenantJWT"]["description"]
    assert schemes["portalSession"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}


def test_nested_serializers_are_named_after_their_view(web_client, acme):
    components = _schema(web_client(acme))["components"]["schemas"]
    assert "TokenObtainInputRequest" in components
    assert "NotificationMarkReadInputRequest" in components
    assert not [name for name in components if "Serializer" in name or name[-1].isdigit()]


@pytest.mark.parametrize(
    "path", ["/api/v1/notifications/", "/api/v1/team/members/", "/api/v1/team/invitations/"]
)
def test_paginated_lists_are_described_as_pages(web_client, acme, path):
    operation = _schema(web_client(acme))["paths"][path]["get"]
    assert {"page", "page_size"} <= {parameter["name"] for parameter in operation["parameters"]}
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert "$ref" in body


@pytest.mark.parametrize("page", DOCS_PAGES)
def test_the_docs_pages_load_only_our_own_static_assets(web_client, public_tenant, page):
    response = web_client(public_tenant).get(page)
    assert response.status_code == 200
    html = response.content.decode()
    references = re.findall(r'(?:src|href|spec-url)="([^"]+)"', html)
    assert references
    assert not [url for url in references if not url.startswith(("/static/", "/api/v1/"))]
    assert not re.search(r"https?://|//[a-z]", html.replace("http://www.w3.org", ""))


@pytest.mark.parametrize("page", DOCS_PAGES)
def test_the_docs_assets_exist_and_are_served(web_client, public_tenant, settings, page):
    html = web_client(public_tenant).get(page).content.decode()
    assets = re.findall(r'(?:src|href)="/static/([^"]+)"', html)
    assert assets
    settings.WHITENOISE_USE_FINDERS = True
    static = Client(HTTP_HOST="localhost")
    for asset in assets:
        assert finders.find(asset), asset
        response = static.get(f"/static/{asset}")
        assert response.status_code == 200, asset
        assert b"".join(response.streaming_content)
