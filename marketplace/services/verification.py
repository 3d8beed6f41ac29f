"""Platform staff verify the marketplace's freelancers: their credentials and the badge.

An agency vouches for its own tutors (``crm.services.credential_review``); the
marketplace has no agency, so platform staff decide from the root domain. The decision
itself (status, reason, reviewer, time, audit entry, the tutor's notification) is crm's
``credential_decision_record`` / ``tutor_decision_record``, applied in the marketplace's
schema, so a freelancer's profile reads the same as an agency tutor's. The badge changes
the listing index through the TutorProfile receiver after the commit.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.models import User
from config.errors import ApplicationError
from crm.models import Credential, TutorProfile, VerificationStatus
from crm.services.credentials import credential_decision_record, tutor_decision_record
from tenants.models import Tenant
from tenants.selectors import marketplace_tenant

__all__ = ["credential_verify", "tutor_verify"]

IDENTITY_NEEDED = "Verify one of the tutor's identity documents before granting the badge."


def _require_staff(staff: User | None) -> None:
    if staff is None or not staff.is_authenticated or not staff.is_platform_staff:
        raise PermissionDenied("Only platform staff verify marketplace tutors.")


def _marketplace() -> Tenant:
    tenant = marketplace_tenant()
    if tenant is None:
        raise ApplicationError("The marketplace is not set up.", code="not_found", status=404)
    return tenant


def _not_found(what: str) -> ApplicationError:
    return ApplicationError(f"No such {what} on the marketplace.", code="not_found", status=404)


def credential_verify(
    *, staff: User, credential_id: int, status: str, reason: str = "", request=None
) -> Credential:
    """Verify or reject (with a reason) a marketplace tutor's credential."""
    _require_staff(staff)
    tenant = _marketplace()
    with tenant_context(tenant), transaction.atomic():
        credential = Credential.objects.filter(pk=credential_id).first()
        if credential is None:
            raise _not_found("credential")
        return credential_decision_record(
            credential=credential,
            reviewer=staff,
            tenant=tenant,
            status=status,
            reason=reason,
            request=request,
        )


def tutor_verify(
    *, staff: User, profile_id: int, status: str, reason: str = "", request=None
) -> TutorProfile:
    """Grant (``verified``), refuse or revoke (``rejected``, with a reason) the badge.

    The badge tells students the platform has seen who the tutor is, so it needs at least
    one verified identity credential. The tutor's verified identity credentials are
    locked meanwhile: a change to one (which sends it back to pending) waits for this
    decision instead of slipping under it.
    """
    _require_staff(staff)
    tenant = _marketplace()
    with tenant_context(tenant), transaction.atomic():
        profile = TutorProfile.objects.select_for_update(of=("self",)).filter(pk=profile_id).first()
        if profile is None:
            raise _not_found("tutor")
        if status == VerificationStatus.VERIFIED:
            identity = Credential.objects.select_for_update(of=("self",)).filter(
                profile=profile,
                kind=Credential.Kind.IDENTITY,
                status=VerificationStatus.VERIFIED,
            )
            if not list(identity):
                raise ValidationError({"status": [IDENTITY_NEEDED]})
        return tutor_decision_record(
            profile=profile,
            reviewer=staff,
            tenant=tenant,
            status=status,
            reason=reason,
            request=request,
        )
