"""Generated input against the gig endpoints as a tutor, who gets past the role checks
(the suite-wide fuzz test calls every endpoint as an owner): bad input is never a 500."""

from __future__ import annotations

import pytest
from schemathesis.openapi import from_dict

from tests.contract.test_openapi_fuzz import _fuzz

pytestmark = pytest.mark.django_db


def test_the_gig_api_never_answers_a_tutor_with_a_server_error(
    api_client, marketplace, freelancer, freelancer_profile, gig_factory
):
    gig = gig_factory(freelancer_profile)
    client = api_client(marketplace, freelancer.user)
    schema = from_dict(client.get("/api/v1/schema/", {"format": "json"}).json())
    operations = [
        result.ok()
        for result in schema.get_all_operations()
        if result.ok().path.startswith("/api/v1/marketplace/gigs/")
        or result.ok().path == "/api/v1/marketplace/settings/"
    ]
    assert len(operations) == 9
    for operation in operations:
        _fuzz(client, operation)
    assert gig.pk  # the fixture's gig gave the id-taking operations something to find
