"""Reviews: the student's side reviews a completed session once, its tutor replies once.

Who may do what:
- review: the session's student (their own account) or a linked parent, once the session
  is completed, once per session; a child under 13 writes only with a parent's consent
  in force (a review is published, like a message);
- reply: the reviewed tutor, once.

Platform staff hide and restore reviews from the console (``listings.services_moderation``).
Saving a review is what updates the tutor's ratings: the listing index recomputes them
after the commit (``marketplace.receivers``), so nothing here writes a rating.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from psycopg.errors import UniqueViolation

from accounts.models import Membership, User
from audit.services import audit_record
from config.errors import ApplicationError
from crm.guards import require_here
from crm.minors import student_check
from marketplace.models import GigBooking, Review
from marketplace.selectors.reviews import review_author_name
from notifications.services import notify
from scheduling.models import Session
from scheduling.selectors.sessions import session_party

__all__ = [
    "RATING_MAX",
    "RATING_MIN",
    "REPLY_MAX",
    "TEXT_MAX",
    "TEXT_MIN",
    "review_create",
    "review_reply",
    "tenant_page",
]

RATING_MIN, RATING_MAX = 1, 5
TEXT_MIN, TEXT_MAX = 10, 2000
REPLY_MAX = 2000
TENANT_URLCONF = settings.ROOT_URLCONF  # pages of a tenant's host, also outside a request

ALREADY_REVIEWED = "This session has already been reviewed."


def _rating(errors: dict, value: object) -> int:
    # bool is an int in Python, and "5" is not a number of stars: both are refused.
    if isinstance(value, bool) or not isinstance(value, int):
        errors["rating"] = [f"Give a whole number of stars from {RATING_MIN} to {RATING_MAX}."]
        return 0
    if not RATING_MIN <= value <= RATING_MAX:
        errors["rating"] = [f"Give from {RATING_MIN} to {RATING_MAX} stars."]
    return value


def _text(errors: dict, field: str, value: object, *, minimum: int, maximum: int) -> str:
    if not isinstance(value, str):
        errors[field] = ["Write some text."]
        return ""
    value = value.strip()
    if not value:
        errors[field] = ["Write some text."]
    elif len(value) < minimum:
        errors[field] = [f"Write at least {minimum} characters."]
    elif len(value) > maximum:
        errors[field] = [f"Write at most {maximum} characters (this has {len(value)})."]
    return value


def tenant_page(name: str, **kwargs) -> str:
    """An absolute link to a page of the current tenant's host (empty outside a tenant)."""
    tenant = getattr(connection, "tenant", None)
    if tenant is None or getattr(tenant, "pk", None) is None or tenant.is_public:
        return ""
    return tenant.absolute_url(reverse(name, kwargs=kwargs or None, urlconf=TENANT_URLCONF))


def _tell(user_id: int | None, *, event: str, title: str, body: str, url: str, context: dict):
    user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is not None:
        notify(user=user, event=event, title=title[:200], body=body, url=url, context=context)


def _reviewed(session: Session) -> bool:
    return Review.objects.filter(session=session).exists()


@transaction.atomic
def review_create(
    *,
    actor: Membership,
    session: Session,
    rating: object,
    text: object,
    request: HttpRequest | None = None,
) -> Review:
    """Review a completed session as its student or a linked parent; tell the tutor."""
    actor = require_here(actor)
    # Locking the session queues a second submission behind the first, which then sees
    # the review; the one-to-one key still settles whatever gets past the lock.
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "student", "subject")
        .filter(pk=session.pk)
        .first()
    )
    if locked is None or session_party(viewer=actor, session=locked) != "student":
        raise PermissionDenied("Only the student or a linked parent can review this session.")
    if locked.status != Session.Status.COMPLETED:
        raise ApplicationError(
            "Only a completed session can be reviewed.", code="session_not_completed", status=409
        )
    if _reviewed(locked):
        raise ApplicationError(ALREADY_REVIEWED, code="already_reviewed", status=409)
    if locked.student.user_id == actor.user_id:
        student_check(locked.student, "message")

    errors: dict[str, list[str]] = {}
    rating = _rating(errors, rating)
    text = _text(errors, "text", text, minimum=TEXT_MIN, maximum=TEXT_MAX)
    if errors:
        raise ValidationError(errors)

    booking = GigBooking.objects.filter(session=locked).only("gig_id").first()
    review = Review(
        session=locked,
        tutor=locked.tutor,
        gig_id=booking.gig_id if booking else None,
        author=actor.user,
        rating=rating,
        text=text,
    )
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as error:
        # The only unique key besides the id is the session. Matched by its SQLSTATE, not
        # its name: cloned tenant schemas rename unique constraints.
        if not isinstance(error.__cause__, UniqueViolation):
            raise
        raise ApplicationError(ALREADY_REVIEWED, code="already_reviewed", status=409) from error

    audit_record(
        action="marketplace.review.created",
        actor=actor.user,
        tenant=actor.tenant,
        target=review,
        data={"session": locked.pk, "rating": rating},
        request=request,
    )
    author = review_author_name(actor.user)
    _tell(
        locked.tutor.user_id,
        event="marketplace.review.created",
        title=f"New review: {rating}★ from {author} for {locked.subject.name}",
        body=text,
        url=tenant_page("marketplace:review_list"),
        context={"review": review.pk, "session": locked.pk, "rating": rating},
    )
    return review


@transaction.atomic
def review_reply(
    *,
    actor: Membership,
    review: Review,
    text: object,
    request: HttpRequest | None = None,
) -> Review:
    """The reviewed tutor answers a review, once; the author is told."""
    actor = require_here(actor)
    locked = (
        Review.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "session__subject")
        .filter(pk=review.pk)
        .first()
    )
    if (
        locked is None
        or actor.role != Membership.Role.TUTOR
        or locked.tutor.user_id != actor.user_id
    ):
        raise PermissionDenied("Only the reviewed tutor can reply to this review.")
    if locked.replied_at is not None:
        raise ApplicationError(
            "You have already replied to this review.", code="already_replied", status=409
        )
    errors: dict[str, list[str]] = {}
    text = _text(errors, "text", text, minimum=1, maximum=REPLY_MAX)
    if errors:
        raise ValidationError(errors)

    locked.reply = text
    locked.replied_at = timezone.now()
    locked.save(update_fields=["reply", "replied_at", "updated_at"])
    audit_record(
        action="marketplace.review.replied",
        actor=actor.user,
        tenant=actor.tenant,
        target=locked,
        data={"session": locked.session_id},
        request=request,
    )
    _tell(
        locked.author_id,
        event="marketplace.review.replied",
        title=f"{locked.tutor.full_name} replied to your review of {locked.session.subject.name}",
        body=text,
        url=tenant_page("scheduling:session_detail", pk=locked.session_id),
        context={"review": locked.pk, "session": locked.session_id},
    )
    return locked
