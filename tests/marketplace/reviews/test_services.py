"""Writing reviews and replies: who may, when, how often, what is accepted, who is told."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from config.errors import ApplicationError
from crm import services as crm
from marketplace.models import Review
from marketplace.services.reviews import review_create, review_reply
from notifications.models import Notification
from scheduling.models import Session
from tests.marketplace.reviews.conftest import REVIEW_TEXT
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.django_db


def _create(marketplace, actor, session, rating=5, text=REVIEW_TEXT) -> Review:
    with tenant_context(marketplace):
        return review_create(actor=actor, session=session, rating=rating, text=text)


def _count(marketplace) -> int:
    with tenant_context(marketplace):
        return Review.objects.count()


# Reviewing ---------------------------------------------------------------------------------


def test_the_student_reviews_a_completed_class_and_the_tutor_is_told(
    marketplace, mp_student, completed, gig, freelancer
):
    review = _create(marketplace, mp_student, completed, rating=4, text=f"  {REVIEW_TEXT}\n")

    with tenant_context(marketplace):
        review.refresh_from_db()
        told = Notification.objects.get(user=freelancer.user)
    assert (review.rating, review.text) == (4, REVIEW_TEXT)
    assert (review.tutor_id, review.gig_id, review.author_id) == (
        completed.tutor_id,
        gig.pk,
        mp_student.user_id,
    )
    assert review.session_id == completed.pk
    assert told.event == "marketplace.review.created"
    assert told.title == "New review: 4★ from Sam S. for Mathematics"
    assert told.url.endswith("/marketplace/reviews/")
    entry = AuditEntry.objects.get(action="marketplace.review.created")
    assert (entry.actor_id, entry.tenant_id, entry.target_id) == (
        mp_student.user_id,
        marketplace.pk,
        str(review.pk),
    )
    assert entry.data == {"session": completed.pk, "rating": 4}


def test_a_linked_parent_reviews_their_childs_class(marketplace, mp_parent, mp_child, held):
    session = held(mp_child)

    review = _create(marketplace, mp_parent, session)

    assert review.author_id == mp_parent.user_id


def test_a_class_not_booked_through_a_gig_is_reviewed_without_one(
    marketplace, teacher, held, mp_student, mp_student_profile
):
    _, other_tutor = teacher(marketplace, first_name="Olga", email="olga@freelance.test")
    session = held(mp_student_profile, tutor=other_tutor)

    review = _create(marketplace, mp_student, session)

    assert (review.tutor_id, review.gig_id) == (other_tutor.pk, None)


def test_a_parent_not_linked_to_the_student_cannot_review(marketplace, member, completed):
    stranger = member(marketplace, Membership.Role.PARENT)
    with pytest.raises(PermissionDenied):
        _create(marketplace, stranger, completed)
    assert _count(marketplace) == 0


@pytest.mark.parametrize("role", ["tutor", "owner", "admin", "staff"])
def test_the_tutor_and_the_agency_cannot_review(marketplace, member, freelancer, completed, role):
    actor = freelancer if role == "tutor" else member(marketplace, role)
    with pytest.raises(PermissionDenied):
        _create(marketplace, actor, completed)
    assert _count(marketplace) == 0


def test_another_student_cannot_review_someone_elses_class(marketplace, mp_learner, completed):
    other, _ = mp_learner(first_name="Olly", email="olly@students.test")
    with pytest.raises(PermissionDenied):
        _create(marketplace, other, completed)
    assert _count(marketplace) == 0


def test_a_member_of_another_tenant_cannot_review_here(
    marketplace, acme, member, mp_student, completed
):
    outsider = member(acme, Membership.Role.STUDENT, email=f"x{mp_student.user.email}")
    with pytest.raises(PermissionDenied):
        _create(marketplace, outsider, completed)
    # Their own membership elsewhere does not carry into this schema either.
    with pytest.raises(PermissionDenied):
        _create(acme, mp_student, completed)
    assert _count(marketplace) == 0


@pytest.mark.parametrize(
    "status",
    [
        Session.Status.REQUESTED,
        Session.Status.CONFIRMED,
        Session.Status.DECLINED,
        Session.Status.EXPIRED,
        Session.Status.CANCELLED,
        Session.Status.NO_SHOW,
    ],
)
def test_only_a_completed_class_can_be_reviewed(
    marketplace, mp_student, mp_student_profile, held, status
):
    session = held(mp_student_profile, status=status)
    with pytest.raises(ApplicationError) as refused:
        _create(marketplace, mp_student, session)
    assert (refused.value.status, refused.value.code) == (409, "session_not_completed")
    assert _count(marketplace) == 0


def test_a_class_is_reviewed_once(marketplace, mp_student, completed):
    _create(marketplace, mp_student, completed)
    with pytest.raises(ApplicationError) as refused:
        _create(marketplace, mp_student, completed, rating=1)
    assert (refused.value.status, refused.value.code) == (409, "already_reviewed")
    with tenant_context(marketplace):
        assert list(Review.objects.values_list("rating", flat=True)) == [5]


def test_a_parent_cannot_review_a_class_the_student_already_reviewed(
    marketplace, mp_learner, mp_parent, held
):
    teen, teen_profile = mp_learner(
        first_name="Tia", age=16, email="tia@students.test", parents=[mp_parent.user.email]
    )
    session = held(teen_profile)
    _create(marketplace, teen, session)

    with pytest.raises(ApplicationError) as refused:
        _create(marketplace, mp_parent, session)
    assert refused.value.code == "already_reviewed"
    assert _count(marketplace) == 1


@pytest.mark.parametrize(
    ("rating", "message"),
    [
        (0, "Give from 1 to 5 stars."),
        (6, "Give from 1 to 5 stars."),
        (-1, "Give from 1 to 5 stars."),
        ("5", "Give a whole number of stars from 1 to 5."),
        (4.5, "Give a whole number of stars from 1 to 5."),
        (True, "Give a whole number of stars from 1 to 5."),
        (None, "Give a whole number of stars from 1 to 5."),
    ],
)
def test_a_rating_must_be_a_whole_number_of_stars(
    marketplace, mp_student, completed, rating, message
):
    with pytest.raises(ValidationError) as refused:
        _create(marketplace, mp_student, completed, rating=rating)
    assert refused.value.message_dict == {"rating": [message]}
    assert _count(marketplace) == 0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Great!", "Write at least 10 characters."),
        ("   Great!        ", "Write at least 10 characters."),
        ("   ", "Write some text."),
        (None, "Write some text."),
        ("x" * 2001, "Write at most 2000 characters (this has 2001)."),
    ],
)
def test_the_text_must_say_something_but_not_everything(
    marketplace, mp_student, completed, text, message
):
    with pytest.raises(ValidationError) as refused:
        _create(marketplace, mp_student, completed, text=text)
    assert refused.value.message_dict == {"text": [message]}
    assert _count(marketplace) == 0


def test_the_longest_text_allowed_is_2000_characters(marketplace, mp_student, completed):
    assert len(_create(marketplace, mp_student, completed, text="y" * 2000).text) == 2000


def test_a_child_under_13_needs_consent_to_publish_a_review(
    marketplace, mp_admin, member, mp_parent, held
):
    child = member(marketplace, Membership.Role.STUDENT, first_name="Kim", email="kim@kids.test")
    with tenant_context(marketplace):
        profile = crm.student_create(
            actor=mp_admin,
            first_name="Kim",
            last_name="Parent",
            email=child.user.email,
            date_of_birth=dob_for(11),
            parents=[{"email": mp_parent.user.email}],
        )
    session = held(profile)

    with pytest.raises(ApplicationError) as refused:
        _create(marketplace, child, session)
    assert (refused.value.status, refused.value.code) == (403, "consent_required")
    # The parent may review for them.
    assert _create(marketplace, mp_parent, session).author_id == mp_parent.user_id


# Replying ----------------------------------------------------------------------------------


def test_the_tutor_replies_once_and_the_author_is_told(
    marketplace, mp_student, freelancer, completed
):
    review = _create(marketplace, mp_student, completed)
    with tenant_context(marketplace):
        replied = review_reply(actor=freelancer, review=review, text="  Thank you, Sam!  ")
        told = Notification.objects.get(user=mp_student.user)
        with pytest.raises(ApplicationError) as refused:
            review_reply(actor=freelancer, review=review, text="And again.")
        review.refresh_from_db()
    assert (replied.reply, review.reply) == ("Thank you, Sam!", "Thank you, Sam!")
    assert review.replied_at is not None
    assert (refused.value.status, refused.value.code) == (409, "already_replied")
    assert told.event == "marketplace.review.replied"
    assert told.title == "Fay Freeman replied to your review of Mathematics"
    assert told.url.endswith(f"/scheduling/sessions/{completed.pk}/")
    assert AuditEntry.objects.filter(action="marketplace.review.replied").count() == 1


@pytest.mark.parametrize("who", ["author", "other_tutor", "admin"])
def test_only_the_reviewed_tutor_replies(marketplace, mp_student, member, teacher, completed, who):
    review = _create(marketplace, mp_student, completed)
    actor = {
        "author": lambda: mp_student,
        "other_tutor": lambda: teacher(marketplace, email="olga@freelance.test")[0],
        "admin": lambda: member(marketplace, Membership.Role.ADMIN),
    }[who]()
    with tenant_context(marketplace), pytest.raises(PermissionDenied):
        review_reply(actor=actor, review=review, text="Not mine to answer.")
    with tenant_context(marketplace):
        assert Review.objects.get().reply == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "Write some text."),
        ("z" * 2001, "Write at most 2000 characters (this has 2001)."),
        (42, "Write some text."),
    ],
)
def test_a_reply_needs_text_within_bounds(
    marketplace, mp_student, freelancer, completed, text, message
):
    review = _create(marketplace, mp_student, completed)
    with tenant_context(marketplace), pytest.raises(ValidationError) as refused:
        review_reply(actor=freelancer, review=review, text=text)
    assert refused.value.message_dict == {"text": [message]}
