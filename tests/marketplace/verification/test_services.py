"""Platform staff verify freelancers: credentials, the badge, reasons, audit, notices, index."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from config.errors import ApplicationError
from crm import services as crm
from crm.models import Credential, TutorProfile
from listings.models import TutorListing
from marketplace.selectors.verification import verification_queue, verification_tutor_get
from marketplace.services.verification import credential_verify, tutor_verify
from notifications.models import Notification
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _state(marketplace, model, pk: int):
    with tenant_context(marketplace):
        return model.objects.get(pk=pk)


def _events(marketplace, user) -> list[str]:
    with tenant_context(marketplace):
        return list(
            Notification.objects.filter(user=user).order_by("id").values_list("event", flat=True)
        )


def test_staff_verify_the_identity_then_grant_the_badge_and_the_tutor_is_told(
    marketplace, staff, freelancer, freelancer_profile, identity
):
    credential = credential_verify(staff=staff, credential_id=identity.pk, status="verified")
    assert credential.status == "verified"
    assert credential.reviewed_by_id == staff.pk
    profile = tutor_verify(staff=staff, profile_id=freelancer_profile.pk, status="verified")

    stored = _state(marketplace, TutorProfile, profile.pk)
    assert stored.verification_status == "verified"
    assert stored.verification_reviewed_by_id == staff.pk
    assert stored.verification_reviewed_at is not None
    assert _events(marketplace, freelancer.user) == [
        "crm.credential.verified",
        "crm.tutor_profile.verified",
    ]
    with tenant_context(marketplace):
        notice = Notification.objects.get(event="crm.tutor_profile.verified")
    assert notice.url == "/crm/profile/credentials/"
    entries = AuditEntry.objects.filter(actor=staff).order_by("id")
    assert [(e.action, e.tenant_id, e.data) for e in entries] == [
        ("crm.credential.reviewed", marketplace.pk, {"status": "verified", "reason": ""}),
        ("crm.tutor_profile.reviewed", marketplace.pk, {"status": "verified", "reason": ""}),
    ]


def test_the_badge_needs_a_verified_identity_document(
    marketplace, staff, freelancer, freelancer_profile, credential_of
):
    degree = credential_of(freelancer, kind=Credential.Kind.DEGREE)
    credential_verify(staff=staff, credential_id=degree.pk, status="verified")
    passport = credential_of(freelancer)
    credential_verify(staff=staff, credential_id=passport.pk, status="rejected", reason="Blurred")
    credential_of(freelancer, title="Driving licence")  # still pending

    with pytest.raises(ValidationError) as refused:
        tutor_verify(staff=staff, profile_id=freelancer_profile.pk, status="verified")
    assert "identity" in refused.value.message_dict["status"][0]
    assert _state(marketplace, TutorProfile, freelancer_profile.pk).verification_status == (
        "pending"
    )
    assert not AuditEntry.objects.filter(action="crm.tutor_profile.reviewed").exists()


def test_refusing_the_badge_needs_a_reason_which_the_tutor_sees(
    marketplace, staff, freelancer, freelancer_profile
):
    with pytest.raises(ValidationError) as refused:
        tutor_verify(staff=staff, profile_id=freelancer_profile.pk, status="rejected", reason=" ")
    assert "reason" in refused.value.message_dict

    tutor_verify(
        staff=staff,
        profile_id=freelancer_profile.pk,
        status="rejected",
        reason="Upload an identity document first.",
    )
    stored = _state(marketplace, TutorProfile, freelancer_profile.pk)
    assert stored.verification_status == "rejected"
    assert stored.verification_reason == "Upload an identity document first."
    with tenant_context(marketplace):
        notice = Notification.objects.get(user=freelancer.user)
    assert notice.event == "crm.tutor_profile.rejected"
    assert notice.body == "Upload an identity document first."


def test_rejecting_a_credential_needs_a_reason(marketplace, staff, identity):
    with pytest.raises(ValidationError) as refused:
        credential_verify(staff=staff, credential_id=identity.pk, status="rejected")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        credential_verify(staff=staff, credential_id=identity.pk, status="pending")
    assert "status" in refused.value.message_dict
    assert _state(marketplace, Credential, identity.pk).status == "pending"


def test_a_badge_can_be_revoked_with_a_reason_and_the_history_says_so(
    marketplace, staff, freelancer, freelancer_profile, identity
):
    credential_verify(staff=staff, credential_id=identity.pk, status="verified")
    tutor_verify(staff=staff, profile_id=freelancer_profile.pk, status="verified")
    tutor_verify(
        staff=staff,
        profile_id=freelancer_profile.pk,
        status="rejected",
        reason="The passport was reported stolen.",
    )

    stored = _state(marketplace, TutorProfile, freelancer_profile.pk)
    assert stored.verification_status == "rejected"
    assert stored.verification_reason == "The passport was reported stolen."
    found = verification_tutor_get(viewer=staff, profile_id=freelancer_profile.pk)
    assert [(d.label, d.credential) for d in found.history] == [
        ("Revoked", None),
        ("Verified", None),
        ("Verified", found.credentials[0]),
    ]
    assert found.history[0].reason == "The passport was reported stolen."
    assert found.history[0].reviewer == staff
    assert _events(marketplace, freelancer.user)[-1] == "crm.tutor_profile.rejected"


def test_the_listing_index_shows_the_badge_once_granted_and_drops_it_when_revoked(
    django_capture_on_commit_callbacks,
    marketplace,
    staff,
    freelancer_profile,
    identity,
    gig_factory,
):
    with django_capture_on_commit_callbacks(execute=True):
        gig_factory(freelancer_profile)
    listing = TutorListing.objects.get(tenant=marketplace, profile_id=freelancer_profile.pk)
    assert not listing.verified

    credential_verify(staff=staff, credential_id=identity.pk, status="verified")
    with django_capture_on_commit_callbacks(execute=True):
        tutor_verify(staff=staff, profile_id=freelancer_profile.pk, status="verified")
    listing.refresh_from_db()
    assert listing.verified
    assert listing.listings.get().verified

    with django_capture_on_commit_callbacks(execute=True):
        tutor_verify(
            staff=staff, profile_id=freelancer_profile.pk, status="rejected", reason="Stolen ID"
        )
    listing.refresh_from_db()
    assert not listing.verified


@pytest.mark.parametrize("who", ["agency owner", "marketplace owner", "freelancer", "nobody"])
def test_only_platform_staff_decide(
    marketplace, acme, owner, member, freelancer, freelancer_profile, identity, who
):
    people = {
        "agency owner": owner.user,
        "marketplace owner": member(marketplace, Membership.Role.OWNER).user,
        "freelancer": freelancer.user,
        "nobody": None,
    }
    with pytest.raises(PermissionDenied):
        credential_verify(staff=people[who], credential_id=identity.pk, status="verified")
    with pytest.raises(PermissionDenied):
        tutor_verify(
            staff=people[who], profile_id=freelancer_profile.pk, status="rejected", reason="No"
        )
    assert _state(marketplace, Credential, identity.pk).status == "pending"
    assert _state(marketplace, TutorProfile, freelancer_profile.pk).verification_status == (
        "pending"
    )
    assert not AuditEntry.objects.filter(action__endswith=".reviewed").exists()


def test_staff_who_tutor_on_the_marketplace_cannot_verify_themselves(
    marketplace, staff, credential_of
):
    own = MembershipFactory(user=staff, tenant=marketplace, role=Membership.Role.TUTOR)
    passport = credential_of(own)
    with pytest.raises(PermissionDenied):
        credential_verify(staff=staff, credential_id=passport.pk, status="verified")
    colleague = MembershipFactory(
        tenant=marketplace, role=Membership.Role.TUTOR, user__is_platform_staff=True
    ).user
    credential_verify(staff=colleague, credential_id=passport.pk, status="verified")
    with pytest.raises(PermissionDenied):
        tutor_verify(staff=staff, profile_id=passport.profile_id, status="verified")
    assert _state(marketplace, TutorProfile, passport.profile_id).verification_status == ("pending")
    tutor_verify(staff=colleague, profile_id=passport.profile_id, status="verified")


def test_unknown_ids_and_other_tenants_credentials_are_not_found(
    marketplace, acme, staff, member, credential_of
):
    agency_tutor = member(acme, Membership.Role.TUTOR)
    theirs = credential_of(agency_tutor)
    for call in (
        lambda: credential_verify(staff=staff, credential_id=theirs.pk, status="verified"),
        lambda: tutor_verify(staff=staff, profile_id=theirs.profile_id, status="verified"),
        lambda: credential_verify(staff=staff, credential_id=10**6, status="verified"),
    ):
        with pytest.raises(ApplicationError) as missing:
            call()
        assert missing.value.status == 404
    with tenant_context(acme):
        assert Credential.objects.get(pk=theirs.pk).status == "pending"
        assert TutorProfile.objects.get(pk=theirs.profile_id).verification_status == "pending"


# The crm review in the marketplace ----------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_the_marketplaces_own_managers_cannot_review_its_tutors(
    marketplace, member, freelancer_profile, identity, role
):
    manager = member(marketplace, role)
    with tenant_context(marketplace):
        with pytest.raises(PermissionDenied, match="Platform staff verify marketplace tutors"):
            crm.credential_review(credential=identity, actor=manager, status="verified")
        with pytest.raises(PermissionDenied, match="Platform staff verify marketplace tutors"):
            crm.tutor_review(profile=freelancer_profile, actor=manager, status="verified")
    assert _state(marketplace, Credential, identity.pk).status == "pending"


def test_agency_managers_still_review_their_own_tutors(acme, owner, member, credential_of):
    tutor = member(acme, Membership.Role.TUTOR)
    credential = credential_of(tutor)
    with tenant_context(acme):
        crm.credential_review(credential=credential, actor=owner, status="verified")
        profile = crm.tutor_review(
            profile=credential.profile, actor=owner, status="rejected", reason="Interview first"
        )
    assert profile.verification_reason == "Interview first"
    entry = AuditEntry.objects.get(action="crm.tutor_profile.reviewed")
    assert (entry.actor_id, entry.tenant_id) == (owner.user_id, acme.pk)


# The queue -----------------------------------------------------------------------------------


def test_the_queue_puts_undecided_tutors_first_and_counts_pending_credentials(
    marketplace, staff, teacher, credential_of, freelancer, freelancer_profile, identity
):
    decided_member, decided = teacher(marketplace, first_name="Dora", email="dora@freelance.test")
    passport = credential_of(decided_member)
    credential_verify(staff=staff, credential_id=passport.pk, status="verified")
    tutor_verify(staff=staff, profile_id=decided.pk, status="verified")
    credential_of(freelancer, kind=Credential.Kind.DEGREE)

    rows = list(verification_queue(viewer=staff))
    assert [(r.pk, r.pending_credentials, r.identity_verified) for r in rows] == [
        (freelancer_profile.pk, 2, False),
        (decided.pk, 0, True),
    ]
    assert rows[0].user.email == "fay@freelance.test"
    assert [r.pk for r in verification_queue(viewer=staff, status="verified")] == [decided.pk]
    assert [r.pk for r in verification_queue(viewer=staff, search="FAY free")] == [
        freelancer_profile.pk
    ]
    assert len(verification_queue(viewer=staff, search="nobody")) == 0


def test_the_queue_and_the_detail_are_empty_to_anyone_but_staff(
    marketplace, owner, freelancer_profile
):
    assert len(verification_queue(viewer=owner.user)) == 0
    assert verification_tutor_get(viewer=owner.user, profile_id=freelancer_profile.pk) is None
