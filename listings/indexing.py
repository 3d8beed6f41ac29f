"""Keeping the public listing index (``listings.models``) in step with the tenants.

``tutor_refresh`` recomputes everything the marketplace shows about one tutor from their
tenant's schema and rewrites the public rows in one transaction: the ``TutorListing``,
one ``Listing`` per published gig, the ``FreeWindow``s of the coming
``LISTING_WINDOW_DAYS``, and the ``ListedReview``s. A tutor is listed while their
tenant is active and on the marketplace (the marketplace tenant itself, or an agency
that opted in with ``marketplace_listed``), their tutor membership is active and they
have at least one published gig; otherwise their rows are deleted. Running it twice
changes nothing, and rows keep their primary keys across refreshes (pages link to them).

Changes reach the index through ``tutor_refresh_later`` (``marketplace.receivers`` call it
on every change that shows), which queues one refresh per tutor after the commit, and an
hourly beat refreshes every listed tenant because free windows age with the clock.

Ranking: ``Listing.quality`` is a Bayesian average, ``(3 * 4.0 + sum of ratings) /
(3 + number of ratings)``, plus 0.3 for a verified tutor. A plain average would put a
tutor with a single 5-star review above one with forty reviews averaging 4.9; three
imagined 4.0 reviews pull small samples towards an ordinary score and fade out as real
ones accumulate. The badge is worth 0.3, about the gap between a good and a very good
tutor: enough to favour checked people among equals, not enough to lift a poorly rated
verified tutor over a well rated one. Hidden reviews count in no rating.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from accounts.models import Membership
from listings.models import FreeWindow, ListedReview, Listing, TutorListing
from marketplace.selectors.reviews import review_author_name
from tenants.models import Tenant
from tenants.transactions import on_commit_in_tenant

__all__ = [
    "listed_tenants",
    "rebuild_all",
    "tenant_is_listed",
    "tenant_refresh",
    "tutor_refresh",
    "tutor_refresh_later",
]

PRIOR_WEIGHT = 3
PRIOR_RATING = 4.0
VERIFIED_BONUS = 0.3

# Set while a refresh reads a tenant: what it touches there (``schedule_for`` creates a
# missing schedule row) must not queue yet another refresh.
_indexing: ContextVar[bool] = ContextVar("listings_indexing", default=False)


def listed_tenants() -> QuerySet[Tenant]:
    """Tenants whose tutors appear on the marketplace."""
    return (
        Tenant.objects.filter(is_active=True)
        .filter(Q(kind=Tenant.Kind.MARKETPLACE) | Q(marketplace_listed=True))
        .exclude(schema_name=get_public_schema_name())
    )


def tenant_is_listed(tenant: Tenant) -> bool:
    return (
        tenant.is_active
        and not tenant.is_public
        and (tenant.kind == Tenant.Kind.MARKETPLACE or tenant.marketplace_listed)
    )


# Reading a tutor in their tenant -------------------------------------------------------------


@dataclass
class _Tutor:
    """What the index holds about one tutor, read from their tenant."""

    user_id: int
    fields: dict
    gigs: list[dict]
    reviews: list[dict]
    windows: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)


def _free_windows(profile, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The tutor's free time ahead: their bookable slots, adjacent ones merged."""
    from scheduling.policy import schedule_for
    from scheduling.selectors.slots import slot_list

    interval = schedule_for(profile).slot_interval_minutes
    slots = slot_list(
        tutor=profile,
        start=now,
        end=now + dt.timedelta(days=settings.LISTING_WINDOW_DAYS),
        duration_minutes=interval,
        now=now,
    )
    windows: list[tuple[dt.datetime, dt.datetime]] = []
    for slot in slots:
        if windows and windows[-1][1] >= slot.starts_at:
            windows[-1] = (windows[-1][0], max(windows[-1][1], slot.ends_at))
        else:
            windows.append((slot.starts_at, slot.ends_at))
    return windows


def _read(tenant: Tenant, profile_id: int, now: dt.datetime) -> _Tutor | None:
    """The tutor as the marketplace shows them, or None when nothing of theirs is listed.

    Runs inside the tenant's schema.
    """
    from crm.models import TutorProfile, TutorSubject, Visibility
    from marketplace.models import Gig, Review

    profile = TutorProfile.objects.select_related("user").filter(pk=profile_id).first()
    if profile is None or profile.user_id is None or not profile.user.is_active:
        return None
    active = Membership.objects.filter(
        tenant=tenant, user_id=profile.user_id, role=Membership.Role.TUTOR, is_active=True
    ).exists()
    if not active:
        return None
    gigs = list(
        Gig.objects.filter(tutor=profile, status=Gig.Status.PUBLISHED)
        .select_related("subject")
        .prefetch_related("packages")
        .order_by("id")
    )
    if not gigs:
        return None
    subjects = [
        {"name": row.subject.name, "slug": row.subject.slug, "level": row.level}
        for row in TutorSubject.objects.filter(profile=profile).select_related("subject")
    ]
    bio_shown = profile.visibility_of("bio") != Visibility.PRIVATE
    return _Tutor(
        user_id=profile.user_id,
        fields={
            "user_id": profile.user_id,
            "display_name": profile.full_name or "Tutor",
            "headline": profile.headline,
            "bio": profile.bio if bio_shown else "",
            "languages": [str(code)[:8] for code in profile.languages or []],
            "subjects": subjects,
            "years_of_experience": profile.years_of_experience,
            "verified": profile.verification_status == "verified",
        },
        gigs=[
            {
                "gig_id": gig.pk,
                "title": gig.title,
                "description": gig.description,
                "subject_slug": gig.subject.slug,
                "subject_name": gig.subject.name,
                "level": gig.level,
                "difficulty": gig.difficulty,
                "languages": [str(code)[:8] for code in gig.languages or []],
                "price_minor": gig.price_minor,
                "currency": gig.currency,
                "duration_minutes": gig.duration_minutes,
                "packages": [
                    {"sessions": p.sessions, "price_minor": p.price_minor}
                    for p in sorted(gig.packages.all(), key=lambda p: p.sessions)
                ],
                "published_at": gig.published_at or gig.updated_at,
            }
            for gig in gigs
        ],
        reviews=[
            {
                "review_id": review.pk,
                "gig_id": review.gig_id,
                "gig_title": review.gig.title if review.gig_id else "",
                "rating": review.rating,
                "text": review.text,
                "author_name": review_author_name(review.author),
                "reply": review.reply,
                "replied_at": review.replied_at,
                "hidden_at": review.hidden_at,
                "hidden_reason": review.hidden_reason,
                "created_at": review.created_at,
            }
            for review in Review.objects.filter(tutor=profile)
            .select_related("author", "gig")
            .order_by("id")
        ],
        windows=_free_windows(profile, now),
    )


@contextlib.contextmanager
def _reading(tenant: Tenant) -> Iterator[None]:
    token = _indexing.set(True)
    try:
        with tenant_context(tenant):
            yield
    finally:
        _indexing.reset(token)


# Writing the public rows -------------------------------------------------------------------


def _rating(reviews: list[dict]) -> dict:
    visible = [r["rating"] for r in reviews if r["hidden_at"] is None]
    count, total = len(visible), sum(visible)
    average = (
        (Decimal(total) / count).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if count
        else None
    )
    return {
        "rating_average": average,
        "rating_count": count,
        "rating_distribution": {str(star): visible.count(star) for star in range(1, 6)},
        "sum": total,
    }


def _quality(*, total: int, count: int, verified: bool) -> float:
    score = (PRIOR_WEIGHT * PRIOR_RATING + total) / (PRIOR_WEIGHT + count)
    return round(score + (VERIFIED_BONUS if verified else 0.0), 6)


LISTING_COPIED = [
    "tutor",
    "title",
    "description",
    "subject_slug",
    "subject_name",
    "level",
    "difficulty",
    "languages",
    "price_minor",
    "currency",
    "duration_minutes",
    "packages",
    "tutor_name",
    "verified",
    "rating_average",
    "rating_count",
    "quality",
    "next_free_at",
    "published_at",
    "indexed_at",
]
REVIEW_COPIED = [
    "tutor",
    "gig_id",
    "gig_title",
    "rating",
    "text",
    "author_name",
    "reply",
    "replied_at",
    "hidden_at",
    "hidden_reason",
    "created_at",
]


def _write(tenant: Tenant, profile_id: int, data: _Tutor, now: dt.datetime) -> TutorListing:
    rating = _rating(data.reviews)
    verified = data.fields["verified"]
    next_free_at = data.windows[0][0] if data.windows else None
    tutor, _ = TutorListing.objects.update_or_create(
        tenant=tenant,
        profile_id=profile_id,
        defaults={
            **data.fields,
            "rating_average": rating["rating_average"],
            "rating_count": rating["rating_count"],
            "rating_distribution": rating["rating_distribution"],
            "next_free_at": next_free_at,
            "indexed_at": now,
        },
    )
    shared = {
        "tutor": tutor,
        "tenant": tenant,
        "tutor_name": tutor.display_name,
        "verified": verified,
        "rating_average": rating["rating_average"],
        "rating_count": rating["rating_count"],
        "quality": _quality(total=rating["sum"], count=rating["rating_count"], verified=verified),
        "next_free_at": next_free_at,
        "indexed_at": now,
    }
    Listing.objects.filter(tutor=tutor).exclude(
        gig_id__in=[g["gig_id"] for g in data.gigs]
    ).delete()
    Listing.objects.bulk_create(
        [Listing(**shared, **gig) for gig in data.gigs],
        update_conflicts=True,
        unique_fields=["tenant", "gig_id"],
        update_fields=LISTING_COPIED,
    )
    ListedReview.objects.filter(tutor=tutor).exclude(
        review_id__in=[r["review_id"] for r in data.reviews]
    ).delete()
    ListedReview.objects.bulk_create(
        [ListedReview(tutor=tutor, tenant=tenant, **review) for review in data.reviews],
        update_conflicts=True,
        unique_fields=["tenant", "review_id"],
        update_fields=REVIEW_COPIED,
    )
    FreeWindow.objects.filter(tutor=tutor).delete()
    FreeWindow.objects.bulk_create(
        FreeWindow(tutor=tutor, starts_at=start, ends_at=end) for start, end in data.windows
    )
    return tutor


def _lock(tenant_id: int, profile_id: int) -> None:
    """Serialise refreshes of one tutor (two workers would race on the inserts)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            [f"listings.tutor:{tenant_id}:{profile_id}"],
        )


def tutor_refresh(*, tenant: Tenant, profile_id: int) -> TutorListing | None:
    """Rewrite the tutor's public rows from their tenant; None (rows gone) when not listed.

    Callable from any schema.
    """
    now = timezone.now()
    with transaction.atomic():
        _lock(tenant.pk, profile_id)
        # Listed or not as of now, not as passed (a deleted tenant took its rows with it).
        tenant = Tenant.objects.filter(pk=tenant.pk).first()
        if tenant is None:
            return None
        data = None
        if tenant_is_listed(tenant):
            with _reading(tenant):
                data = _read(tenant, profile_id, now)
        if data is None:
            TutorListing.objects.filter(tenant=tenant, profile_id=profile_id).delete()
            return None
        return _write(tenant, profile_id, data, now)


class _Pending:
    """One tutor's refresh waiting for the commit; every callback registered for it in the
    transaction shares it, so the first to run queues the task and the others skip."""

    def __init__(self) -> None:
        self.queued = False


def tutor_refresh_later(profile_id: int) -> None:
    """Refresh the tutor's listing once the current transaction commits (at most once per
    transaction per tutor). Call it inside the tutor's tenant."""
    if _indexing.get():
        return
    # Kept on the connection: a callback discarded by a rollback leaves its entry
    # unqueued, and the next transaction's callbacks simply share it.
    waiting = getattr(connection, "listings_waiting", None)
    if waiting is None:
        waiting = {}
        connection.listings_waiting = waiting
    key = (connection.schema_name, profile_id)
    pending = waiting.get(key)
    if pending is None or pending.queued:
        pending = waiting[key] = _Pending()

    def queue() -> None:
        from listings.tasks import tutor_refresh_task

        if pending.queued:
            return
        pending.queued = True
        waiting.pop(key, None)
        tutor_refresh_task.delay(profile_id)

    on_commit_in_tenant(queue, robust=True)


def tenant_refresh(tenant: Tenant) -> int:
    """Refresh every tutor of the tenant with gigs (and drop the rows of those without);
    return how many are listed. An unlisted or inactive tenant loses all its rows."""
    from marketplace.models import Gig

    tenant = Tenant.objects.filter(pk=tenant.pk).first()
    if tenant is None:
        return 0
    if not tenant_is_listed(tenant):
        TutorListing.objects.filter(tenant=tenant).delete()
        return 0
    with _reading(tenant):
        profile_ids = set(
            Gig.objects.filter(status=Gig.Status.PUBLISHED).values_list("tutor_id", flat=True)
        )
    profile_ids |= set(
        TutorListing.objects.filter(tenant=tenant).values_list("profile_id", flat=True)
    )
    listed = 0
    for profile_id in sorted(profile_ids):
        if tutor_refresh(tenant=tenant, profile_id=profile_id) is not None:
            listed += 1
    return listed


def rebuild_all() -> int:
    """Rebuild the whole index from the tenants; return how many tutors are listed."""
    listed = listed_tenants()
    TutorListing.objects.exclude(tenant__in=listed).delete()
    return sum(tenant_refresh(tenant) for tenant in listed.order_by("pk"))
