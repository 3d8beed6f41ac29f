"""Who sees which reviews in a tenant, and which sessions are waiting for one.

Everyone in the tenant sees the visible reviews (the marketplace publishes them anyway).
A hidden review, and why it was hidden, is seen by the reviewed tutor, its author and
the agency's staff; nobody else learns it exists.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import Membership, User
from marketplace.models import Review
from scheduling.models import Session
from scheduling.selectors.sessions import session_list

__all__ = [
    "review_author_name",
    "review_can_reply",
    "review_get",
    "review_list",
    "review_moderation_visible",
    "reviewable_sessions",
]

Role = Membership.Role


def review_author_name(user: User | None) -> str:
    """ "Sam R.": the first name and the initial of the last, never the full name."""
    if user is None:
        return "A former student"
    first = user.first_name.strip() or "A student"
    last = user.last_name.strip()
    return f"{first} {last[0].upper()}." if last else first


def review_list(*, viewer: Membership, tutor_id: int | None = None) -> QuerySet[Review]:
    """The reviews ``viewer`` may see here, newest first, optionally of one tutor profile."""
    reviews = Review.objects.select_related(
        "tutor__user", "author", "gig", "session__subject"
    ).order_by("-created_at", "-id")
    if tutor_id is not None:
        reviews = reviews.filter(tutor_id=tutor_id)
    if viewer.is_agency_staff:
        return reviews
    if viewer.role not in (Role.TUTOR, Role.STUDENT, Role.PARENT):
        return reviews.none()
    return reviews.filter(
        Q(hidden_at__isnull=True) | Q(author_id=viewer.user_id) | _own_tutor(viewer)
    )


def _own_tutor(viewer: Membership) -> Q:
    if viewer.role != Role.TUTOR:
        return Q(pk__in=[])
    return Q(tutor__user_id=viewer.user_id)


def review_get(*, viewer: Membership, pk: int) -> Review | None:
    """One review ``viewer`` may see, or None (a 404 for anyone else)."""
    return review_list(viewer=viewer).filter(pk=pk).first()


def review_moderation_visible(*, viewer: Membership, review: Review) -> bool:
    """Whether ``viewer`` may read why ``review`` was hidden (and who hid it)."""
    if viewer.is_agency_staff or review.author_id == viewer.user_id:
        return True
    return viewer.role == Role.TUTOR and review.tutor.user_id == viewer.user_id


def review_can_reply(*, viewer: Membership, review: Review) -> bool:
    """Whether ``viewer`` is the reviewed tutor and has not replied yet."""
    return (
        viewer.role == Role.TUTOR
        and review.tutor.user_id == viewer.user_id
        and review.replied_at is None
    )


def reviewable_sessions(*, viewer: Membership) -> QuerySet[Session]:
    """Completed sessions without a review, that ``viewer`` may review (the student
    themself, or a linked parent), most recent first."""
    if viewer.role not in (Role.STUDENT, Role.PARENT):
        return Session.objects.none()
    return (
        session_list(viewer=viewer)
        .filter(status=Session.Status.COMPLETED, review__isnull=True, student__is_active=True)
        .select_related("tutor__user", "student", "subject")
        .order_by("-starts_at", "-id")
    )
