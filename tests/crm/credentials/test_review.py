"""Verification: owners and admins review credentials and tutors; the tutor is told."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from crm import services
from crm.models import Credential, TutorProfile
from notifications.models import Notification
from tests.access.conftest import field_errors

pytestmark = pytest.mark.django_db


def _review(pk: int) -> str:
    return f"/api/v1/crm/credentials/{pk}/review/"


def _tutor_review(pk: int) -> str:
    return f"/api/v1/crm/tutors/{pk}/review/"


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_a_manager_verifies_a_credential_and_the_tutor_is_told(
    as_role, acme, tutor, credential_of, role
):
    credential = credential_of(tutor)
    response = as_role(role).post(_review(credential.pk), {"status": "verified"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "verified"
    with tenant_context(acme):
        credential.refresh_from_db()
        assert credential.reviewed_by_id is not None
        assert credential.reviewed_at is not None
    notice = Notification.objects.get(user=tutor.user, event="crm.credential.verified")
    assert "BSc Mathematics" in notice.title
    assert notice.url == "/crm/profile/credentials/"
    entry = AuditEntry.objects.get(action="crm.credential.reviewed")
    assert entry.data == {"status": "verified", "reason": ""}


def test_a_rejection_needs_a_reason_which_the_tutor_sees(as_role, tutor, credential_of):
    credential = credential_of(tutor)
    client = as_role("owner")
    assert "reason" in field_errors(
        client.post(_review(credential.pk), {"status": "rejected", "reason": "  "}, format="json")
    )
    response = client.post(
        _review(credential.pk), {"status": "rejected", "reason": "The scan is unreadable."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["rejection_reason"] == "The scan is unreadable."
    notice = Notification.objects.get(user=tutor.user, event="crm.credential.rejected")
    assert notice.body == "The scan is unreadable."


def test_a_credential_can_be_reviewed_again(as_role, acme, tutor, credential_of):
    credential = credential_of(tutor)
    client = as_role("admin")
    client.post(_review(credential.pk), {"status": "rejected", "reason": "Expired"}, format="json")
    response = client.post(_review(credential.pk), {"status": "verified"}, format="json")
    assert response.json()["status"] == "verified"
    assert response.json()["rejection_reason"] == ""
    assert AuditEntry.objects.filter(action="crm.credential.reviewed").count() == 2


@pytest.mark.parametrize("body", [{"status": "pending"}, {"status": "approved"}, {}])
def test_only_verified_or_rejected_are_decisions(as_role, tutor, credential_of, body):
    credential = credential_of(tutor)
    assert "status" in field_errors(as_role("owner").post(_review(credential.pk), body))


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_nobody_but_owners_and_admins_reviews(as_role, acme, tutor, credential_of, role):
    credential = credential_of(tutor)
    client = as_role(role)
    assert client.post(_review(credential.pk), {"status": "verified"}).status_code == 403
    with tenant_context(acme):
        pk = TutorProfile.objects.get(user=tutor.user).pk
    assert client.post(_tutor_review(pk), {"status": "verified"}).status_code == 403
    with tenant_context(acme):
        assert Credential.objects.get().status == "pending"
        assert TutorProfile.objects.get(pk=pk).verification_status == "pending"


def test_a_tutor_cannot_verify_their_own_credential_even_through_the_service(
    acme, tutor, credential_of
):
    credential = credential_of(tutor)
    with tenant_context(acme), pytest.raises(PermissionDenied):
        services.credential_review(credential=credential, actor=tutor, status="verified")


def test_a_manager_verifies_and_rejects_a_tutor(as_role, acme, tutor, profile_of):
    profile = profile_of(tutor, headline="Maths tutor")
    client = as_role("owner")
    assert "reason" in field_errors(
        client.post(_tutor_review(profile.pk), {"status": "rejected"}, format="json")
    )
    response = client.post(
        _tutor_review(profile.pk),
        {"status": "rejected", "reason": "References missing"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["verification_status"] == "rejected"
    with tenant_context(acme):
        profile.refresh_from_db()
    assert profile.verification_reason == "References missing"
    assert profile.verification_reviewed_at is not None
    response = client.post(_tutor_review(profile.pk), {"status": "verified"}, format="json")
    assert response.json()["verification_status"] == "verified"
    assert response.json()["verification_reason"] == ""
    events = set(Notification.objects.filter(user=tutor.user).values_list("event", flat=True))
    assert events == {"crm.tutor_profile.rejected", "crm.tutor_profile.verified"}
    assert AuditEntry.objects.filter(action="crm.tutor_profile.reviewed").count() == 2


def test_another_tenants_owner_cannot_review_acme_tutors(
    api_client, globex, member, tutor, credential_of
):
    credential = credential_of(tutor)
    client = api_client(globex, member(globex, "owner").user)
    assert client.post(_review(credential.pk), {"status": "verified"}).status_code == 404
    assert (
        client.post(_tutor_review(credential.profile_id), {"status": "verified"}).status_code == 404
    )
    assert not Notification.objects.filter(user=tutor.user).exists()
