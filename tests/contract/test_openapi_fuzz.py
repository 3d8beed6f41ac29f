"""Property-based checks of every documented API operation: bad input is never a 500.

Schemathesis reads the OpenAPI schema each host serves and generates valid and invalid
requests for every operation; they go through Django's test client to the real views.
Each host's operations are dealt round-robin into shards, one test each, so parallel
workers share the work however many operations the API grows to.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.openapi import from_dict

from accounts.models import Membership

pytestmark = pytest.mark.django_db

EXAMPLES_PER_MODE = 8
ROOT_SHARDS = 3
TENANT_SHARDS = 8


def _operations(client, shard: int, shards: int) -> list:
    """Every ``shards``-th documented operation, from the ``shard``-th on (sorted by path)."""
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = from_dict(response.json())
    operations = sorted(
        (result.ok() for result in schema.get_all_operations()),
        key=lambda operation: (operation.path, operation.method),
    )
    assert len(operations) >= shards
    return operations[shard::shards]


def _send(client, case):
    url = case.formatted_path
    if case.query:
        url = f"{url}?{urlencode(case.query, doseq=True)}"
    body = case.body
    if body is None or type(body).__name__ == "NotSet":
        data = ""
    elif isinstance(body, bytes | str):
        data = body
    else:
        data = json.dumps(body)
    content_type = case.media_type or "application/json"
    return client.generic(case.method.upper(), url, data=data, content_type=content_type)


def _check(client, operation, mode: GenerationMode, path_parameters: dict | None) -> None:
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        if path_parameters:
            case.path_parameters = {**(case.path_parameters or {}), **path_parameters}
        response = _send(client, case)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} ({mode.value}) → "
            f"{response.status_code}: {response.content[:300]!r}"
        )
        if response.status_code >= 400 and response.get("Content-Type", "").startswith(
            "application/json"
        ):
            assert set(response.json()["error"]) == {"status", "code", "message", "fields"}

    check()


def _fuzz(client, operation, *, path_parameters: dict | None = None) -> None:
    """Valid and invalid requests; ``path_parameters`` pins ids to existing objects."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        _check(client, operation, mode, path_parameters)


@pytest.mark.parametrize("shard", range(ROOT_SHARDS))
def test_root_domain_api_never_answers_bad_input_with_a_server_error(
    api_client, public_tenant, member, acme, shard
):
    anonymous = api_client()
    signed_in = api_client(user=member(acme, Membership.Role.STUDENT).user)
    for operation in _operations(anonymous, shard, ROOT_SHARDS):
        _fuzz(anonymous, operation)
        _fuzz(signed_in, operation)


@pytest.mark.parametrize("shard", range(TENANT_SHARDS))
def test_tenant_api_never_answers_bad_input_with_a_server_error(
    api_client, acme, owner, member, shard
):
    member(acme, Membership.Role.TUTOR)
    manager = api_client(acme, user=owner.user)
    for operation in _operations(manager, shard, TENANT_SHARDS):
        _fuzz(manager, operation)
