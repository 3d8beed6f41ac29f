"""Reads of gigs on the tenant's host: who sees which, and whether the tenant is listed.

A tutor sees their own gigs; the agency's owners and admins see every tutor's (they answer
for what the agency shows on the marketplace). Nobody else sees any: a student finds gigs
on the marketplace itself, in the public index.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet

from accounts.models import Membership
from crm.models import TutorProfile
from marketplace.models import Gig, GigBooking
from tenants.models import Tenant


def gig_viewer_is(viewer: Membership) -> bool:
    """Whether ``viewer`` has gigs to see here at all (tutors, owners and admins)."""
    return viewer.role == Membership.Role.TUTOR or viewer.is_manager


def gig_owner_is(*, viewer: Membership, gig: Gig) -> bool:
    """Whether ``viewer`` is the tutor who posted ``gig`` (the one person who edits it)."""
    return (
        viewer.role == Membership.Role.TUTOR
        and gig.tutor.user_id is not None
        and gig.tutor.user_id == viewer.user_id
    )


def marketplace_listing_on(tenant: Tenant) -> bool:
    """Whether the tenant's gigs may be on the marketplace: the marketplace's always are,
    an agency's only while it has opted in."""
    return tenant.kind == Tenant.Kind.MARKETPLACE or tenant.marketplace_listed


def gig_list(*, viewer: Membership, tutor_id: int | None = None, status: str = "") -> QuerySet[Gig]:
    """The gigs ``viewer`` may see, newest first, ready to render (subject, tutor, packages,
    and ``has_bookings``, which decides whether a gig can still be deleted)."""
    gigs = (
        Gig.objects.select_related("subject", "tutor__user")
        .prefetch_related("packages")
        .annotate(has_bookings=Exists(GigBooking.objects.filter(gig=OuterRef("pk"))))
    )
    if viewer.role == Membership.Role.TUTOR:
        gigs = gigs.filter(tutor__user_id=viewer.user_id)
    elif not viewer.is_manager:
        return gigs.none()
    if tutor_id is not None:
        gigs = gigs.filter(tutor_id=tutor_id)
    if status:
        gigs = gigs.filter(status=status)
    return gigs.order_by("-created_at", "-id")


def gig_get(*, viewer: Membership, pk: int) -> Gig | None:
    """One gig ``viewer`` may see (by the rules of ``gig_list``), or None."""
    return gig_list(viewer=viewer).filter(pk=pk).first()


def gig_tutor_list(*, viewer: Membership) -> QuerySet[TutorProfile]:
    """The tutors who have posted gigs, for the managers' filter; empty for anyone else."""
    if not viewer.is_manager:
        return TutorProfile.objects.none()
    return (
        TutorProfile.objects.filter(Exists(Gig.objects.filter(tutor=OuterRef("pk"))))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "id")
    )
