"""Moderating reviews from the platform console: hiding one that breaks the rules, with
the reason, and restoring it.

Staff act on the public copy (``ListedReview``); the review itself lives in its tenant's
schema, so the service switches there, locks it and changes it, and the listing index
recomputes the tutor's ratings after the commit (a hidden review counts in none). The
public copy is updated in the same transaction too, so the console shows the change at
once rather than when the index catches up.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import User
from audit.services import audit_record
from config.errors import ApplicationError
from listings.models import ListedReview
from marketplace.models import Review
from marketplace.services.reviews import tenant_page
from notifications.services import notify

__all__ = ["REASON_MAX", "review_hide", "review_restore"]

REASON_MAX = 2000


def _staff(staff: User | None) -> User:
    if staff is None or not staff.is_active or not staff.is_platform_staff:
        raise PermissionDenied("Only platform staff can moderate reviews.")
    return staff


def _reason(value: object, *, required: bool) -> str:
    value = value.strip() if isinstance(value, str) else ""
    if required and not value:
        raise ValidationError({"reason": ["Say why the review is hidden."]})
    if len(value) > REASON_MAX:
        raise ValidationError(
            {"reason": [f"Write at most {REASON_MAX} characters (this has {len(value)})."]}
        )
    return value


def _locked(listed: ListedReview) -> tuple[ListedReview, Review]:
    """The public copy and the review, both locked (the copy first, always)."""
    copy = ListedReview.objects.select_for_update().filter(pk=listed.pk).first()
    if copy is None:
        raise ApplicationError("This review is no longer listed.", code="not_found", status=404)
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "session__subject")
        .filter(pk=copy.review_id)
        .first()
    )
    if review is None:
        raise ApplicationError("This review no longer exists.", code="not_found", status=404)
    return copy, review


def _tell(review: Review, *, event: str, title: str, body: str) -> None:
    """Tell the author and the tutor, in the review's tenant."""
    links = {
        review.author_id: tenant_page("scheduling:session_detail", pk=review.session_id),
        review.tutor.user_id: tenant_page("marketplace:review_list"),
    }
    for user in User.objects.filter(pk__in=[pk for pk in links if pk], is_active=True):
        notify(
            user=user,
            event=event,
            title=title[:200],
            body=body,
            url=links[user.pk],
            context={"review": review.pk, "session": review.session_id},
        )


def review_hide(
    *, staff: User, listed: ListedReview, reason: object, request: HttpRequest | None = None
) -> ListedReview:
    """Hide a review that breaks the rules; the reason is kept and told to both sides."""
    _staff(staff)
    reason = _reason(reason, required=True)
    with transaction.atomic(), tenant_context(listed.tenant):
        copy, review = _locked(listed)
        if review.hidden_at is not None:
            raise ApplicationError(
                "This review is already hidden.", code="already_hidden", status=409
            )
        review.hidden_at = timezone.now()
        review.hidden_reason = reason
        review.hidden_by = staff
        review.save(update_fields=["hidden_at", "hidden_reason", "hidden_by", "updated_at"])
        copy.hidden_at, copy.hidden_reason = review.hidden_at, reason
        copy.save(update_fields=["hidden_at", "hidden_reason"])
        audit_record(
            action="marketplace.review.hidden",
            actor=staff,
            tenant=listed.tenant,
            target=review,
            data={"reason": reason, "listed_review": copy.pk, "rating": review.rating},
            request=request,
        )
        _tell(
            review,
            event="marketplace.review.hidden",
            title=f"A review of {review.session.subject.name} was hidden by the platform",
            body=f"Reason: {reason}",
        )
    return copy


def review_restore(
    *, staff: User, listed: ListedReview, reason: object = "", request: HttpRequest | None = None
) -> ListedReview:
    """Show a hidden review again (it counts in the ratings again); both sides are told."""
    _staff(staff)
    reason = _reason(reason, required=False)
    with transaction.atomic(), tenant_context(listed.tenant):
        copy, review = _locked(listed)
        if review.hidden_at is None:
            raise ApplicationError("This review is not hidden.", code="not_hidden", status=409)
        previous = review.hidden_reason
        review.hidden_at, review.hidden_reason, review.hidden_by = None, "", None
        review.save(update_fields=["hidden_at", "hidden_reason", "hidden_by", "updated_at"])
        copy.hidden_at, copy.hidden_reason = None, ""
        copy.save(update_fields=["hidden_at", "hidden_reason"])
        audit_record(
            action="marketplace.review.restored",
            actor=staff,
            tenant=listed.tenant,
            target=review,
            data={"reason": reason, "hidden_reason": previous, "listed_review": copy.pk},
            request=request,
        )
        _tell(
            review,
            event="marketplace.review.restored",
            title=f"A review of {review.session.subject.name} is shown again",
            body=reason,
        )
    return copy
