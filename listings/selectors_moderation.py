"""What platform staff see in the console's review moderation: every listed review,
hidden ones included, with filters."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from listings.models import ListedReview

__all__ = ["MODERATION_STATES", "listed_review_get", "listed_review_search"]

MODERATION_STATES = ("visible", "hidden")
SEARCH_MAX = 100


def listed_review_search(
    *,
    state: str = "",
    rating: int | None = None,
    search: str = "",
    tenant: str = "",
) -> QuerySet[ListedReview]:
    """Listed reviews, newest first: ``state`` "visible" or "hidden" (else both), a star
    ``rating``, ``search`` in the text, reply, author or tutor, ``tenant`` by slug."""
    reviews = ListedReview.objects.select_related("tutor", "tenant").order_by("-created_at", "-id")
    if state == "hidden":
        reviews = reviews.filter(hidden_at__isnull=False)
    elif state == "visible":
        reviews = reviews.filter(hidden_at__isnull=True)
    if rating is not None:
        reviews = reviews.filter(rating=rating)
    search = search.strip()[:SEARCH_MAX]
    if search:
        reviews = reviews.filter(
            Q(text__icontains=search)
            | Q(reply__icontains=search)
            | Q(author_name__icontains=search)
            | Q(tutor__display_name__icontains=search)
            | Q(gig_title__icontains=search)
        )
    if tenant:
        reviews = reviews.filter(tenant__slug=tenant)
    return reviews


def listed_review_get(pk: int) -> ListedReview | None:
    return ListedReview.objects.select_related("tutor", "tenant").filter(pk=pk).first()
