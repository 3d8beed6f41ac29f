"""Reviews through the tenant API: reading, reviewing a completed class, replying."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from marketplace.models import Review
from notifications.models import Notification
from tests.marketplace.reviews.conftest import REVIEW_TEXT

pytestmark = pytest.mark.django_db

LIST = "/api/v1/marketplace/reviews/"
WAITING = "/api/v1/marketplace/reviews/reviewable-sessions/"


def _review_url(session) -> str:
    return f"/api/v1/marketplace/sessions/{session.pk}/review/"


def _reply_url(review) -> str:
    return f"/api/v1/marketplace/reviews/{review.pk}/reply/"


def _reviews(marketplace) -> list[Review]:
    with tenant_context(marketplace):
        return list(Review.objects.all())


@pytest.fixture
def two_reviews(marketplace, mp_student, mp_student_profile, held, written):
    visible = written(held(mp_student_profile), mp_student.user, 5)
    hidden = written(
        held(mp_student_profile),
        mp_student.user,
        1,
        hidden_at=timezone.now(),
        hidden_reason="Insults are not allowed.",
    )
    return visible, hidden


# Reviewing ---------------------------------------------------------------------------------


def test_the_student_reviews_a_completed_class(
    api_client, marketplace, mp_student, freelancer, freelancer_profile, completed, gig
):
    response = api_client(marketplace, mp_student.user).post(
        _review_url(completed), {"rating": 5, "text": REVIEW_TEXT}
    )

    assert response.status_code == 201
    body = response.json()
    assert body["rating"] == 5
    assert body["text"] == REVIEW_TEXT
    assert body["session_id"] == completed.pk
    assert body["subject"] == "Mathematics"
    assert body["tutor"] == {"id": freelancer_profile.pk, "name": "Fay Freeman"}
    assert body["gig"] == {"id": gig.pk, "title": gig.title}
    assert body["author_name"] == "Sam S."
    assert (body["reply"], body["replied_at"], body["hidden"]) == ("", None, False)
    with tenant_context(marketplace):
        assert Notification.objects.filter(
            user=freelancer.user, event="marketplace.review.created"
        ).exists()


def test_a_second_review_is_a_conflict(api_client, marketplace, mp_student, completed):
    client = api_client(marketplace, mp_student.user)
    client.post(_review_url(completed), {"rating": 5, "text": REVIEW_TEXT})
    response = client.post(_review_url(completed), {"rating": 1, "text": REVIEW_TEXT})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_reviewed"
    assert [r.rating for r in _reviews(marketplace)] == [5]


def test_a_class_not_completed_is_a_conflict(
    api_client, marketplace, mp_student, mp_student_profile, held
):
    session = held(mp_student_profile, status="confirmed")
    response = api_client(marketplace, mp_student.user).post(
        _review_url(session), {"rating": 5, "text": REVIEW_TEXT}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "session_not_completed"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"rating": 0, "text": REVIEW_TEXT}, "rating"),
        ({"rating": 6, "text": REVIEW_TEXT}, "rating"),
        ({"rating": "5", "text": REVIEW_TEXT}, "rating"),
        ({"rating": 4.5, "text": REVIEW_TEXT}, "rating"),
        ({"rating": True, "text": REVIEW_TEXT}, "rating"),
        ({"text": REVIEW_TEXT}, "rating"),
        ({"rating": 5, "text": "Too short"}, "text"),
        ({"rating": 5, "text": "          x"}, "text"),
        ({"rating": 5, "text": "x" * 2001}, "text"),
        ({"rating": 5}, "text"),
    ],
)
def test_bad_input_is_a_field_error(api_client, marketplace, mp_student, completed, data, field):
    response = api_client(marketplace, mp_student.user).post(_review_url(completed), data)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert _reviews(marketplace) == []


def test_the_tutor_and_the_agency_are_refused(
    api_client, marketplace, member, freelancer, completed
):
    for user in (freelancer.user, member(marketplace, Membership.Role.OWNER).user):
        response = api_client(marketplace, user).post(
            _review_url(completed), {"rating": 5, "text": REVIEW_TEXT}
        )
        assert response.status_code == 403
    assert _reviews(marketplace) == []


def test_a_class_one_cannot_see_is_not_found(
    api_client, marketplace, member, mp_learner, completed
):
    other, _ = mp_learner(first_name="Olly", email="olly@students.test")
    for user in (other.user, member(marketplace, Membership.Role.PARENT).user):
        response = api_client(marketplace, user).post(
            _review_url(completed), {"rating": 5, "text": REVIEW_TEXT}
        )
        assert response.status_code == 404
    assert _reviews(marketplace) == []


def test_another_tenants_token_is_refused(api_client, marketplace, acme, mp_student, completed):
    """The student's own token from another tenant, sent to the marketplace's host."""
    client = api_client(acme, mp_student.user)
    client.defaults["HTTP_HOST"] = api_client(marketplace).defaults["HTTP_HOST"]
    response = client.post(_review_url(completed), {"rating": 5, "text": REVIEW_TEXT})
    assert response.status_code == 401
    assert _reviews(marketplace) == []


def test_a_class_of_another_tenant_is_not_found(
    api_client, acme, booked, teacher, learner, marketplace, mp_student_profile, held
):
    """Ids are per schema: a marketplace class is nowhere to be found from acme's host."""
    _, acme_tutor = teacher(acme)
    acme_student, acme_profile = learner()
    acme_session = booked(
        acme_tutor, acme_profile, timezone.now() - dt.timedelta(days=9), status="completed"
    )
    sessions = [held(mp_student_profile), held(mp_student_profile)]
    elsewhere = next(s for s in sessions if s.pk != acme_session.pk)

    response = api_client(acme, acme_student.user).post(
        _review_url(elsewhere), {"rating": 5, "text": REVIEW_TEXT}
    )

    assert response.status_code == 404
    with tenant_context(acme):
        assert not Review.objects.exists()
    assert _reviews(marketplace) == []


# Replying ----------------------------------------------------------------------------------


def test_the_tutor_replies_once(api_client, marketplace, freelancer, mp_student, two_reviews):
    visible, _ = two_reviews
    client = api_client(marketplace, freelancer.user)
    response = client.post(_reply_url(visible), {"text": "Thank you!"})
    assert response.status_code == 200
    assert response.json()["reply"] == "Thank you!"
    assert response.json()["replied_at"] is not None
    again = client.post(_reply_url(visible), {"text": "Again."})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_replied"
    with tenant_context(marketplace):
        assert (
            Notification.objects.filter(
                user=mp_student.user, event="marketplace.review.replied"
            ).count()
            == 1
        )


@pytest.mark.parametrize("text", ["", "   ", "x" * 2001])
def test_a_reply_needs_text_within_bounds(api_client, marketplace, freelancer, two_reviews, text):
    visible, _ = two_reviews
    response = api_client(marketplace, freelancer.user).post(_reply_url(visible), {"text": text})
    assert response.status_code == 400
    assert "text" in response.json()["error"]["fields"]


def test_only_the_reviewed_tutor_replies(
    api_client, marketplace, member, teacher, mp_student, two_reviews
):
    visible, hidden = two_reviews
    other_tutor, _ = teacher(marketplace, email="olga@freelance.test")
    for user in (mp_student.user, other_tutor.user, member(marketplace, "admin").user):
        response = api_client(marketplace, user).post(_reply_url(visible), {"text": "Hi"})
        assert response.status_code == 403
    # A hidden review is not even there for another tutor.
    response = api_client(marketplace, other_tutor.user).post(_reply_url(hidden), {"text": "Hi"})
    assert response.status_code == 404
    assert {r.reply for r in _reviews(marketplace)} == {""}


# Reading -----------------------------------------------------------------------------------


def test_the_tutor_reads_hidden_reviews_with_the_reason(
    api_client, marketplace, freelancer, two_reviews
):
    visible, hidden = two_reviews
    body = api_client(marketplace, freelancer.user).get(LIST).json()
    rows = {row["id"]: row for row in body["results"]}
    assert set(rows) == {visible.pk, hidden.pk}
    assert rows[hidden.pk]["hidden"] is True
    assert rows[hidden.pk]["hidden_reason"] == "Insults are not allowed."
    assert rows[hidden.pk]["hidden_at"] is not None


def test_other_members_read_only_visible_reviews(
    api_client, marketplace, mp_learner, teacher, two_reviews
):
    visible, _ = two_reviews
    other_student, _ = mp_learner(first_name="Olly", email="olly@students.test")
    other_tutor, _ = teacher(marketplace, email="olga@freelance.test")
    for user in (other_student.user, other_tutor.user):
        body = api_client(marketplace, user).get(LIST).json()
        assert [row["id"] for row in body["results"]] == [visible.pk]
        assert body["results"][0]["hidden_reason"] == ""


def test_the_agency_reads_all_and_filters_by_tutor(
    api_client, marketplace, member, freelancer_profile, two_reviews
):
    client = api_client(marketplace, member(marketplace, "staff").user)
    assert client.get(LIST).json()["count"] == 2
    assert client.get(LIST, {"tutor": freelancer_profile.pk}).json()["count"] == 2
    assert client.get(LIST, {"tutor": freelancer_profile.pk + 50}).json()["count"] == 0
    assert client.get(LIST, {"tutor": "x"}).status_code == 400


def test_another_tenant_reads_none_of_them(api_client, acme, member, two_reviews):
    body = api_client(acme, member(acme, "owner").user).get(LIST).json()
    assert body["count"] == 0


def test_the_list_costs_the_same_queries_however_many_reviews(
    api_client,
    marketplace,
    freelancer,
    mp_student,
    mp_student_profile,
    held,
    written,
    two_reviews,
    django_assert_max_num_queries,
):
    client = api_client(marketplace, freelancer.user)
    with CaptureQueriesContext(connection) as first:
        client.get(LIST)
    for _ in range(4):
        written(held(mp_student_profile), mp_student.user, 4)
    with django_assert_max_num_queries(len(first)):
        assert client.get(LIST).json()["count"] == 6


def test_the_student_side_lists_the_classes_waiting_for_a_review(
    api_client, marketplace, mp_student, mp_parent, mp_child, mp_student_profile, held, written
):
    waiting = held(mp_student_profile)
    written(held(mp_student_profile), mp_student.user)
    held(mp_student_profile, status="no_show")
    childs = held(mp_child)

    body = api_client(marketplace, mp_student.user).get(WAITING).json()
    assert [row["id"] for row in body["results"]] == [waiting.pk]
    assert body["results"][0]["tutor"]["name"] == "Fay Freeman"
    parent_body = api_client(marketplace, mp_parent.user).get(WAITING).json()
    assert [row["id"] for row in parent_body["results"]] == [childs.pk]
    assert parent_body["results"][0]["student"]["name"] == "Kit Parent"


def test_the_tutor_has_no_classes_to_review(api_client, marketplace, freelancer, completed):
    assert api_client(marketplace, freelancer.user).get(WAITING).json()["count"] == 0
