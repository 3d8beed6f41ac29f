"""Writes of gigs: what a tutor offers on the marketplace, and its packages.

A tutor posts and manages only their own gigs: in the marketplace tenant always, in an
agency only while the agency lists itself on the marketplace (``Tenant.marketplace_listed``);
the flag is read from the database, not from the membership the caller loaded, so an
agency that has just opted out gets no new gig. The agency's owners and admins may pause
any of its tutors' gigs, since they answer for what the agency shows, and change nothing
else. Every write locks the gig row and is audited; the public index follows by itself
(``marketplace.receivers`` listens to these rows).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_here
from crm.models import TutorProfile
from crm.validation import UNSET
from marketplace.models import Gig, GigBooking, GigPackage
from marketplace.selectors.gigs import gig_owner_is, marketplace_listing_on
from marketplace.services.gig_checks import (
    DESCRIPTION_MAX,
    FIELDS,
    LANGUAGES_MAX,
    NO_AVAILABILITY,
    PACKAGE_SESSIONS,
    PACKAGES_MAX,
    TITLE_MAX,
    Package,
    gig_validate,
    packages_validate,
    publishable_check,
)
from notifications.services import notify
from tenants.models import Tenant

__all__ = [
    "DESCRIPTION_MAX",
    "FIELDS",
    "LANGUAGES_MAX",
    "NO_AVAILABILITY",
    "PACKAGES_MAX",
    "PACKAGE_SESSIONS",
    "TITLE_MAX",
    "gig_create",
    "gig_delete",
    "gig_pause",
    "gig_publish",
    "gig_update",
]

# Who may act -------------------------------------------------------------------------------


def _require_tutor(actor: Membership | None) -> tuple[Membership, TutorProfile]:
    actor = require_here(actor)
    if actor.role != Membership.Role.TUTOR:
        raise PermissionDenied("Only tutors post gigs.")
    profile = TutorProfile.objects.filter(user_id=actor.user_id).first()
    if profile is None:
        raise ApplicationError(
            "Set up your tutor profile before posting a gig.", code="no_tutor_profile", status=409
        )
    return actor, profile


def _require_own(actor: Membership | None, gig: Gig) -> Membership:
    actor = require_here(actor)
    if not gig_owner_is(viewer=actor, gig=gig):
        raise PermissionDenied("Tutors manage only their own gigs.")
    return actor


def _require_listed(actor: Membership) -> None:
    tenant = Tenant.objects.only("kind", "marketplace_listed").get(pk=actor.tenant_id)
    if not marketplace_listing_on(tenant):
        raise ApplicationError(
            "Your agency does not list its tutors on the marketplace. Ask an owner or admin "
            "to turn on marketplace listing first.",
            code="marketplace_not_listed",
            status=409,
        )


def _locked(gig: Gig) -> Gig:
    return Gig.objects.select_for_update(of=("self",)).select_related("tutor").get(pk=gig.pk)


def _package_list(gig: Gig) -> list[Package]:
    return [(package.sessions, package.price_minor) for package in gig.packages.all()]


def _packages_replace(gig: Gig, packages: list[Package]) -> None:
    """Make the gig's packages exactly ``packages``, matched by session count.

    A package keeps its row while its session count stays, so a booking made through it
    still points at it after a price change; only packages taken away are deleted. Rows
    go one by one (four at most) so the index's receivers see each change.
    """
    existing = {package.sessions: package for package in gig.packages.all()}
    wanted = dict(packages)
    for sessions, package in existing.items():
        if sessions not in wanted:
            package.delete()
        elif package.price_minor != wanted[sessions]:
            package.price_minor = wanted[sessions]
            package.save(update_fields=["price_minor"])
    for sessions, total in packages:
        if sessions not in existing:
            GigPackage.objects.create(gig=gig, sessions=sessions, price_minor=total)


def _audit(action: str, *, gig: Gig, actor: Membership, request, data: dict | None = None):
    audit_record(
        action=f"marketplace.gig.{action}",
        actor=actor.user,
        tenant=actor.tenant,
        target=gig,
        data={"title": gig.title, "status": gig.status, **(data or {})},
        request=request,
    )


# Services ----------------------------------------------------------------------------------


@transaction.atomic
def gig_create(
    *,
    actor: Membership,
    title: str,
    subject_id: int,
    level: str,
    languages: list[str],
    price_minor: int,
    currency: str,
    duration_minutes: int,
    difficulty: str = "",
    description: str = "",
    packages: list[dict] | tuple = (),
    request=None,
) -> Gig:
    """Post a gig of the acting tutor as a draft; it shows on the marketplace once published."""
    actor, profile = _require_tutor(actor)
    _require_listed(actor)
    errors: dict[str, list[str]] = {}
    cleaned = gig_validate(
        errors,
        profile=profile,
        values={
            "title": title,
            "subject_id": subject_id,
            "level": level,
            "difficulty": difficulty,
            "languages": languages,
            "description": description,
            "price_minor": price_minor,
            "currency": currency,
            "duration_minutes": duration_minutes,
        },
    )
    rows = packages_validate(
        errors, packages, price_minor=cleaned["price_minor"], currency=cleaned["currency"]
    )
    if errors:
        raise ValidationError(errors)
    gig = Gig.objects.create(tutor=profile, status=Gig.Status.DRAFT, **cleaned)
    _packages_replace(gig, rows)
    _audit("created", gig=gig, actor=actor, request=request, data={"packages": rows})
    return gig


@transaction.atomic
def gig_update(
    *,
    gig: Gig,
    actor: Membership,
    title: str = UNSET,
    subject_id: int = UNSET,
    level: str = UNSET,
    difficulty: str = UNSET,
    languages: list[str] = UNSET,
    description: str = UNSET,
    price_minor: int = UNSET,
    currency: str = UNSET,
    duration_minutes: int = UNSET,
    packages: list[dict] = UNSET,
    request=None,
) -> Gig:
    """Change the tutor's own gig; only the fields given change, and ``packages``, when
    given, replaces them all. A published gig stays publishable (the index follows)."""
    gig = _locked(gig)
    actor = _require_own(actor, gig)
    given = {
        field: value
        for field, value in {
            "title": title,
            "subject_id": subject_id,
            "level": level,
            "difficulty": difficulty,
            "languages": languages,
            "description": description,
            "price_minor": price_minor,
            "currency": currency,
            "duration_minutes": duration_minutes,
        }.items()
        if value is not UNSET
    }
    current = {field: getattr(gig, field) for field in FIELDS}
    current_packages = _package_list(gig)
    errors: dict[str, list[str]] = {}
    cleaned = gig_validate(errors, profile=gig.tutor, values={**current, **given})
    rows = packages_validate(
        errors,
        [{"sessions": s, "price_minor": p} for s, p in current_packages]
        if packages is UNSET
        else packages,
        price_minor=cleaned["price_minor"],
        currency=cleaned["currency"],
    )
    if gig.status == Gig.Status.PUBLISHED and not cleaned["description"]:
        errors.setdefault("description", ["A published gig needs a description."])
    if errors:
        raise ValidationError(errors)

    changed = sorted(field for field in FIELDS if cleaned[field] != current[field])
    packages_changed = rows != current_packages
    if not changed and not packages_changed:
        return gig
    for field in changed:
        setattr(gig, field, cleaned[field])
    gig.save(update_fields=[*changed, "updated_at"])
    if packages_changed:
        _packages_replace(gig, rows)
    data: dict[str, Any] = {"fields": changed}
    if packages_changed:
        data["packages"] = rows
    _audit("updated", gig=gig, actor=actor, request=request, data=data)
    return gig


@transaction.atomic
def gig_publish(*, gig: Gig, actor: Membership, request=None) -> Gig:
    """Show a draft or paused gig on the marketplace; publishing it again changes nothing.

    ``published_at`` records the first publication: pausing and resuming does not make a
    gig new again.
    """
    gig = _locked(gig)
    actor = _require_own(actor, gig)
    if gig.status == Gig.Status.PUBLISHED:
        return gig
    _require_listed(actor)
    errors: dict[str, list[str]] = {}
    cleaned = gig_validate(
        errors, profile=gig.tutor, values={field: getattr(gig, field) for field in FIELDS}
    )
    publishable_check(errors, gig=gig, cleaned=cleaned)
    if errors:
        raise ValidationError(errors)
    resumed = gig.status == Gig.Status.PAUSED
    gig.status = Gig.Status.PUBLISHED
    gig.published_at = gig.published_at or timezone.now()
    gig.save(update_fields=["status", "published_at", "updated_at"])
    _audit("published", gig=gig, actor=actor, request=request, data={"resumed": resumed})
    return gig


@transaction.atomic
def gig_pause(*, gig: Gig, actor: Membership, request=None) -> Gig:
    """Take a published gig off the marketplace: its tutor, or an owner or admin of the
    agency (the tutor is told). Pausing a paused gig changes nothing."""
    gig = _locked(gig)
    actor = require_here(actor)
    own = gig_owner_is(viewer=actor, gig=gig)
    if not own and not actor.is_manager:
        raise PermissionDenied("Only the gig's tutor and the agency's owners and admins can.")
    if gig.status == Gig.Status.PAUSED:
        return gig
    if gig.status != Gig.Status.PUBLISHED:
        raise ApplicationError(
            "Only a published gig can be paused.", code="gig_not_published", status=409
        )
    gig.status = Gig.Status.PAUSED
    gig.save(update_fields=["status", "updated_at"])
    _audit("paused", gig=gig, actor=actor, request=request, data={"by_tutor": own})
    if not own and gig.tutor.user_id is not None:
        notify(
            user=gig.tutor.user,
            event="marketplace.gig.paused",
            title=f"Your gig “{gig.title}” was paused",
            body=f"{actor.user.get_full_name() or actor.user.email} paused it for "
            f"{actor.tenant.name}; it is off the marketplace until you publish it again.",
            url=reverse("marketplace:gig_edit", kwargs={"pk": gig.pk}),
        )
    return gig


@transaction.atomic
def gig_delete(*, gig: Gig, actor: Membership, request=None) -> None:
    """Delete the tutor's own gig. One that was booked stays on record: pause it instead."""
    gig = _locked(gig)
    actor = _require_own(actor, gig)
    if GigBooking.objects.filter(gig=gig).exists():
        raise _has_bookings()
    _audit("deleted", gig=gig, actor=actor, request=request, data={"packages": _package_list(gig)})
    try:
        gig.delete()
    except ProtectedError as error:  # a booking committed after the check above
        raise _has_bookings() from error


def _has_bookings() -> ApplicationError:
    return ApplicationError(
        "This gig has bookings, so it cannot be deleted: pause it instead.",
        code="gig_has_bookings",
        status=409,
    )
