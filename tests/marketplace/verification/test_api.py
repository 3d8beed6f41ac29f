"""The console's verification API on the root domain: platform staff only."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from crm.models import Credential, TutorProfile
from marketplace.services.verification import credential_verify
from tests.access.conftest import error_code, field_errors

pytestmark = pytest.mark.django_db

QUEUE = "/api/v1/console/verification/tutors/"


def tutor_url(pk: int) -> str:
    return f"{QUEUE}{pk}/"


def tutor_decision(pk: int) -> str:
    return f"{QUEUE}{pk}/decision/"


def credential_decision(pk: int) -> str:
    return f"/api/v1/console/verification/credentials/{pk}/decision/"


@pytest.fixture
def ops(api_client, staff):
    return api_client(None, staff)


def test_staff_read_the_queue_pending_first_with_pending_credentials_counted(
    ops, marketplace, staff, teacher, credential_of, freelancer_profile, identity
):
    other, other_profile = teacher(marketplace, first_name="Dora", email="dora@freelance.test")
    passport = credential_of(other)
    credential_verify(staff=staff, credential_id=passport.pk, status="verified")
    ops.post(tutor_decision(other_profile.pk), {"status": "verified"}, format="json")

    response = ops.get(QUEUE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["id"] == freelancer_profile.pk
    assert first["name"] == "Fay Freeman"
    assert first["email"] == "fay@freelance.test"
    assert (first["verification_status"], first["pending_credentials"]) == ("pending", 1)
    assert first["identity_verified"] is False
    assert (second["verification_status"], second["identity_verified"]) == ("verified", True)

    only = ops.get(QUEUE, {"status": "verified", "search": "dora"}).json()["results"]
    assert [row["id"] for row in only] == [other_profile.pk]
    assert ops.get(QUEUE, {"search": "fay@"}).json()["count"] == 1
    assert "status" in field_errors(ops.get(QUEUE, {"status": "approved"}))


def test_the_queue_costs_the_same_few_queries_however_many_tutors(
    ops, marketplace, teacher, credential_of, django_assert_max_num_queries
):
    for n in range(6):
        membership, _ = teacher(marketplace, email=f"t{n}@freelance.test")
        credential_of(membership)
    with django_assert_max_num_queries(14):
        response = ops.get(QUEUE, {"page_size": 5})
    assert response.json()["count"] == 6
    assert len(response.json()["results"]) == 5


def test_staff_read_one_tutor_with_credentials_files_and_history(
    ops, marketplace, staff, freelancer_profile, identity
):
    credential_verify(staff=staff, credential_id=identity.pk, status="rejected", reason="Blurred")
    response = ops.get(tutor_url(freelancer_profile.pk))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "Fay Freeman"
    assert [s["name"] for s in body["subjects"]] == ["Mathematics"]
    (credential,) = body["credentials"]
    assert credential["kind"] == "identity"
    assert credential["status"] == "rejected"
    assert credential["reviewed_by"]["name"] == "Olive Ops"
    assert credential["document"]["url"] == (
        f"/console/verification/documents/{identity.document_id}/"
    )
    (decision,) = body["history"]
    assert decision["credential_id"] == identity.pk
    assert (decision["status"], decision["reason"]) == ("rejected", "Blurred")
    assert body["identity_verified"] is False


def test_staff_verify_a_credential_then_grant_refuse_and_revoke_the_badge(
    ops, marketplace, freelancer_profile, identity
):
    badge = tutor_decision(freelancer_profile.pk)
    assert "status" in field_errors(ops.post(badge, {"status": "verified"}, format="json"))
    assert "reason" in field_errors(ops.post(badge, {"status": "rejected"}, format="json"))
    response = ops.post(
        badge, {"status": "rejected", "reason": "Upload a clearer passport."}, format="json"
    )
    assert response.json()["verification_status"] == "rejected"

    assert "reason" in field_errors(
        ops.post(credential_decision(identity.pk), {"status": "rejected"}, format="json")
    )
    response = ops.post(credential_decision(identity.pk), {"status": "verified"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verified"
    assert response.json()["reviewed_by"]["name"] == "Olive Ops"

    granted = ops.post(badge, {"status": "verified"}, format="json")
    assert granted.status_code == 200, granted.content
    assert granted.json()["verification_status"] == "verified"
    assert granted.json()["verification_reason"] == ""
    revoked = ops.post(badge, {"status": "rejected", "reason": "Reported stolen"}, format="json")
    assert revoked.json()["verification_status"] == "rejected"
    assert revoked.json()["history"][0]["revoked"] is True
    assert (
        AuditEntry.objects.filter(action="crm.tutor_profile.reviewed", tenant=marketplace).count()
        == 3
    )


@pytest.mark.parametrize("who", ["agency owner", "marketplace owner", "freelancer"])
def test_nobody_but_platform_staff_reaches_the_api(
    api_client, marketplace, owner, member, freelancer, freelancer_profile, identity, who
):
    person = {
        "agency owner": owner.user,
        "marketplace owner": member(marketplace, Membership.Role.OWNER).user,
        "freelancer": freelancer.user,
    }[who]
    client = api_client(None, person)
    for response in (
        client.get(QUEUE),
        client.get(tutor_url(freelancer_profile.pk)),
        client.post(tutor_decision(freelancer_profile.pk), {"status": "verified"}, format="json"),
        client.post(credential_decision(identity.pk), {"status": "verified"}, format="json"),
    ):
        assert response.status_code == 403
        assert error_code(response) == "permission_denied"
        assert b"Freeman" not in response.content
    with tenant_context(marketplace):
        assert Credential.objects.get(pk=identity.pk).status == "pending"
        assert TutorProfile.objects.get(pk=freelancer_profile.pk).verification_status == "pending"


def test_anonymous_callers_must_sign_in(api_client, marketplace, freelancer_profile):
    assert api_client(None).get(QUEUE).status_code == 401


def test_the_api_is_not_served_on_a_tenant_host(api_client, marketplace, staff):
    membership = Membership.objects.create(user=staff, tenant=marketplace, role="admin")
    response = api_client(marketplace, membership.user).get(QUEUE)
    assert response.status_code == 404


def test_unknown_ids_are_not_found(ops, marketplace, freelancer_profile):
    assert ops.get(tutor_url(10**6)).status_code == 404
    assert ops.get(tutor_url(10**20)).status_code == 404
    response = ops.post(tutor_decision(10**6), {"status": "rejected", "reason": "x"}, format="json")
    assert error_code(response) == "not_found"
    response = ops.post(credential_decision(10**6), {"status": "verified"}, format="json")
    assert error_code(response) == "not_found"


def test_the_marketplaces_managers_are_refused_by_the_crm_review_api(
    api_client, marketplace, member, freelancer_profile, identity
):
    admin = api_client(marketplace, member(marketplace, Membership.Role.ADMIN).user)
    response = admin.post(
        f"/api/v1/crm/credentials/{identity.pk}/review/", {"status": "verified"}, format="json"
    )
    assert response.status_code == 403
    assert "Platform staff verify marketplace tutors" in response.json()["error"]["message"]
    response = admin.post(
        f"/api/v1/crm/tutors/{freelancer_profile.pk}/review/", {"status": "verified"}, format="json"
    )
    assert response.status_code == 403
    with tenant_context(marketplace):
        assert Credential.objects.get(pk=identity.pk).status == "pending"
