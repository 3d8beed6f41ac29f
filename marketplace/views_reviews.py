"""Review pages on a tenant's host: writing a review of a completed session, the review
panel of a session's page (htmx), and the reviews page with the tutor's reply forms.

A session the viewer cannot see is a 404; the tutor's or the agency's side of a session
may read its review but not write one (403). A session that is not completed, or that
already has its review, gets a clear refusal (409) instead of the form. Replying with
htmx answers with the review's card again, a refusal in place with its 4xx status.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Membership
from config.errors import ApplicationError
from crm.pages import member_required
from marketplace.forms_reviews import ReplyForm, ReviewForm
from marketplace.models import Review
from marketplace.selectors.reviews import (
    review_author_name,
    review_can_reply,
    review_get,
    review_list,
    review_moderation_visible,
    reviewable_sessions,
)
from marketplace.services import reviews as services
from scheduling.models import Session
from scheduling.selectors.sessions import (
    session_get,
    session_list,
    session_party,
    tutor_profile_for,
)

PAGE_SIZE = 25
WAITING_ROWS = 20
Role = Membership.Role


def _session(request, pk: int) -> Session:
    session = session_get(viewer=request.membership, pk=pk)
    if session is None:
        raise Http404
    return session


def _review_of(session: Session) -> Review | None:
    return (
        Review.objects.select_related("tutor__user", "author", "gig", "session__subject")
        .filter(session=session)
        .first()
    )


def _refusal(session: Session, review: Review | None) -> str:
    if session.status != Session.Status.COMPLETED:
        return "This session can be reviewed once it is completed."
    if review is not None:
        return services.ALREADY_REVIEWED
    return ""


def _card(request, review: Review, *, form: ReplyForm | None = None, error: str = "") -> dict:
    """What ``marketplace/reviews/_review.html`` shows of one review to this viewer."""
    viewer = request.membership
    can_reply = review_can_reply(viewer=viewer, review=review)
    return {
        "review": review,
        "author": review_author_name(review.author),
        "can_reply": can_reply,
        "moderation": review_moderation_visible(viewer=viewer, review=review),
        "form": form or (ReplyForm(prefix=f"reply-{review.pk}") if can_reply else None),
        "error": error,
    }


# Writing a review ---------------------------------------------------------------------------


@member_required()
@require_http_methods(["GET", "HEAD", "POST"])
def review_create(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    if session_party(viewer=request.membership, session=session) != "student":
        raise PermissionDenied
    context = {"session": session, "refusal": _refusal(session, _review_of(session))}
    if context["refusal"]:
        return render(request, "marketplace/reviews/form.html", context, status=409)
    form = ReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.review_create(
                    actor=request.membership, session=session, request=request, **form.cleaned_data
                )
            except ValidationError as error:
                for field, problems in error.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            except ApplicationError as error:
                context["refusal"], status = error.message, error.status
            else:
                messages.success(request, "Thank you: your review is published.")
                return redirect("scheduling:session_detail", pk=session.pk)
    context["form"] = form
    return render(request, "marketplace/reviews/form.html", context, status=status)


# The session page's panel ------------------------------------------------------------------


@member_required()
@require_safe
def session_review_panel(request, pk: int) -> HttpResponse:
    """The review panel of a session's page (htmx), or a page of its own."""
    session = _session(request, pk)
    party = session_party(viewer=request.membership, session=session)
    review = _review_of(session)
    context = {
        "session": session,
        "party": party,
        "card": _card(request, review) if review else None,
        "can_review": party == "student" and not _refusal(session, review),
        # Without htmx, a reply sent from the panel comes back to the session's page.
        "next": reverse("scheduling:session_detail", kwargs={"pk": session.pk}),
    }
    template = (
        "marketplace/reviews/_panel.html" if request.htmx else "marketplace/reviews/panel.html"
    )
    return render(request, template, context)


# The reviews page and replies --------------------------------------------------------------


@member_required()
@require_safe
def reviews_page(request) -> HttpResponse:
    """A tutor's reviews (with reply forms); the student side's reviews and the sessions
    waiting for one; all the agency's reviews for its staff, by tutor."""
    viewer = request.membership
    reviews = review_list(viewer=viewer)
    waiting = []
    if viewer.role == Role.TUTOR:
        profile = tutor_profile_for(user_id=viewer.user_id)
        reviews = reviews.filter(tutor=profile) if profile else reviews.none()
    elif viewer.role in (Role.STUDENT, Role.PARENT):
        reviews = reviews.filter(session__in=session_list(viewer=viewer).values("pk"))
        waiting = list(reviewable_sessions(viewer=viewer)[:WAITING_ROWS])
    elif request.GET.get("tutor", "").isdigit():
        reviews = reviews.filter(tutor_id=int(request.GET["tutor"]))
    page = Paginator(reviews, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "cards": [_card(request, review) for review in page.object_list],
        "waiting": waiting,
        "audience": "tutor"
        if viewer.role == Role.TUTOR
        else ("agency" if viewer.is_agency_staff else "student"),
    }
    return render(request, "marketplace/reviews/list.html", context)


def _back(request) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@member_required()
@require_POST
def review_reply(request, pk: int) -> HttpResponse:
    viewer = request.membership
    review = review_get(viewer=viewer, pk=pk)
    if review is None:
        raise Http404
    if viewer.role != Role.TUTOR or review.tutor.user_id != viewer.user_id:
        raise PermissionDenied
    form = ReplyForm(request.POST, prefix=f"reply-{review.pk}")
    status, error = 400, ""
    if form.is_valid():
        try:
            review = services.review_reply(
                actor=viewer, review=review, text=form.cleaned_data["text"], request=request
            )
        except ValidationError as problem:
            for problems in problem.message_dict.values():
                for message in problems:
                    form.add_error("text", message)
        except ApplicationError as refusal:
            status, error = refusal.status, refusal.message
        else:
            status, form = 200, None
    if request.htmx:
        review = review_get(viewer=viewer, pk=pk)
        context = _card(request, review, form=form, error=error)
        return render(request, "marketplace/reviews/_review.html", context, status=status)
    if status == 200:
        messages.success(request, "Your reply is published.")
        return redirect(_back(request) or "marketplace:review_list")
    context = {"card": _card(request, review, form=form, error=error), "next": _back(request)}
    return render(request, "marketplace/reviews/reply.html", context, status=status)


urlpatterns = [
    path("sessions/<int:pk>/review/", review_create, name="review_create"),
    path(
        "sessions/<int:pk>/review/panel/",
        session_review_panel,
        name="session_review_panel",
    ),
    path("reviews/", reviews_page, name="review_list"),
    path("reviews/<int:pk>/reply/", review_reply, name="review_reply"),
]
