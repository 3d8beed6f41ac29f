"""Helpers shared by the access tests: error codes, hosts, people in two tenants."""

from __future__ import annotations

import pytest

from accounts.models import Membership
from tests.conftest import host_of


def error_code(response) -> str:
    """The ``code`` of the API's one error format (fails loudly if the format is wrong)."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"status", "code", "message", "fields"}, body
    assert body["error"]["status"] == response.status_code
    return body["error"]["code"]


def field_errors(response) -> dict[str, list[str]]:
    assert response.status_code == 400, response.content
    assert error_code(response) == "invalid"
    return response.json()["error"]["fields"]


def move_to(client, tenant) -> None:
    """Point a client (and every cookie it holds) at another tenant's host."""
    client.defaults["HTTP_HOST"] = host_of(tenant)


def bearer(client, access: str) -> None:
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")


@pytest.fixture
def acme_owner(owner) -> Membership:
    return owner


@pytest.fixture
def globex_owner(globex) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(
        tenant=globex, user__email="owner@globex.test"
    )
