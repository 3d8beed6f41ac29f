"""The agency's choice to list its tutors' gigs on the marketplace.

The flag lives on the public ``Tenant`` row, which the listing index reads; the row is
saved (not updated in bulk) so the index's receivers see the change and refresh the
agency's listings. The marketplace tenant is always listed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_manager
from marketplace.models import Gig
from notifications.services import notify
from tenants.models import Tenant


@transaction.atomic
def marketplace_listing_set(*, actor: Membership, listed: bool, request=None) -> Tenant:
    """List (or stop listing) the agency's published gigs on the marketplace.

    Tutors whose published gigs leave the marketplace are told; setting the value the
    agency already has changes nothing.
    """
    actor = require_manager(
        actor, "Only the agency's owners and admins can change its marketplace listing."
    )
    if not isinstance(listed, bool):
        raise ValidationError({"listed": ["Choose true or false."]})
    tenant = Tenant.objects.select_for_update().get(pk=actor.tenant_id)
    if tenant.kind != Tenant.Kind.AGENCY:
        raise ApplicationError(
            "The marketplace is always listed.", code="marketplace_always_listed", status=409
        )
    if tenant.marketplace_listed == listed:
        return tenant
    tenant.marketplace_listed = listed
    tenant.save(update_fields=["marketplace_listed"])
    actor.tenant.marketplace_listed = listed
    audit_record(
        action="marketplace.listing.enabled" if listed else "marketplace.listing.disabled",
        actor=actor.user,
        tenant=tenant,
        target=tenant,
        data={"listed": listed},
        request=request,
    )
    if not listed:
        _tutors_notify(tenant=tenant, actor=actor)
    return tenant


def _tutors_notify(*, tenant: Tenant, actor: Membership) -> None:
    """Tell each tutor with published gigs that they are off the marketplace for now."""
    tutor_ids = Membership.objects.filter(
        tenant=tenant, role=Membership.Role.TUTOR, is_active=True
    ).values("user_id")
    gigs = Gig.objects.filter(status=Gig.Status.PUBLISHED, tutor__user_id__in=tutor_ids)
    users = {gig.tutor.user_id: gig.tutor.user for gig in gigs.select_related("tutor__user")}
    for user in users.values():
        notify(
            user=user,
            event="marketplace.listing.disabled",
            title="Your gigs are off the marketplace",
            body=f"{tenant.name} no longer lists its tutors on the marketplace, so your "
            "published gigs are not shown there until it lists them again.",
            url=reverse("marketplace:gig_list"),
        )
