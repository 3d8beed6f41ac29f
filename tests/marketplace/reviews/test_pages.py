"""The review pages on a tenant's host: the form, the session page's panel, the reviews
page with the tutor's replies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from marketplace.models import Review
from tests.marketplace.reviews.conftest import REVIEW_TEXT

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
LIST = "/marketplace/reviews/"


def _form(session) -> str:
    return f"/marketplace/sessions/{session.pk}/review/"


def _reply(review) -> str:
    return f"/marketplace/reviews/{review.pk}/reply/"


def _panel(session) -> str:
    return f"/marketplace/sessions/{session.pk}/review/panel/"


def _reviews(marketplace) -> list[Review]:
    with tenant_context(marketplace):
        return list(Review.objects.all())


# The form ----------------------------------------------------------------------------------


def test_the_student_rates_with_stars_and_writes_a_review(
    web_client, marketplace, mp_student, completed
):
    client = web_client(marketplace, mp_student.user)
    html = client.get(_form(completed)).content.decode()
    for stars in range(1, 6):
        assert f'type="radio" name="rating" value="{stars}"' in html
    assert 'name="text"' in html

    response = client.post(_form(completed), {"rating": "4", "text": REVIEW_TEXT})

    assert response.status_code == 302
    assert response["Location"] == f"/scheduling/sessions/{completed.pk}/"
    (review,) = _reviews(marketplace)
    assert (review.rating, review.text, review.author_id) == (4, REVIEW_TEXT, mp_student.user_id)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": REVIEW_TEXT}, "Choose from 1 to 5 stars."),
        ({"rating": "0", "text": REVIEW_TEXT}, "Select a valid choice."),
        ({"rating": "6", "text": REVIEW_TEXT}, "Select a valid choice."),
        ({"rating": "five", "text": REVIEW_TEXT}, "Select a valid choice."),
        ({"rating": "5", "text": "Too short"}, "at least 10 characters"),
        ({"rating": "5", "text": "x" * 2001}, "at most 2000 characters"),
        ({"rating": "5", "text": "          "}, "This field is required."),
    ],
)
def test_bad_input_is_shown_on_the_form(
    web_client, marketplace, mp_student, completed, data, message
):
    response = web_client(marketplace, mp_student.user).post(_form(completed), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert _reviews(marketplace) == []


def test_a_class_not_yet_completed_is_refused_clearly(
    web_client, marketplace, mp_student, mp_student_profile, held
):
    session = held(mp_student_profile, status="confirmed")
    client = web_client(marketplace, mp_student.user)
    for response in (
        client.get(_form(session)),
        client.post(_form(session), {"rating": "5", "text": REVIEW_TEXT}),
    ):
        assert response.status_code == 409
        assert "can be reviewed once it is completed" in response.content.decode()
    assert _reviews(marketplace) == []


def test_a_class_already_reviewed_is_refused_clearly(
    web_client, marketplace, mp_student, completed
):
    client = web_client(marketplace, mp_student.user)
    client.post(_form(completed), {"rating": "5", "text": REVIEW_TEXT})
    response = client.post(_form(completed), {"rating": "1", "text": REVIEW_TEXT})
    assert response.status_code == 409
    assert "already been reviewed" in response.content.decode()
    assert [r.rating for r in _reviews(marketplace)] == [5]


def test_a_linked_parent_uses_the_form(web_client, marketplace, mp_parent, mp_child, held):
    session = held(mp_child)
    response = web_client(marketplace, mp_parent.user).post(
        _form(session), {"rating": "5", "text": REVIEW_TEXT}
    )
    assert response.status_code == 302
    assert _reviews(marketplace)[0].author_id == mp_parent.user_id


def test_the_tutor_and_the_agency_may_not_write_the_review(
    web_client, marketplace, member, freelancer, completed
):
    for user in (freelancer.user, member(marketplace, Membership.Role.ADMIN).user):
        client = web_client(marketplace, user)
        assert client.get(_form(completed)).status_code == 403
        assert (
            client.post(_form(completed), {"rating": "5", "text": REVIEW_TEXT}).status_code == 403
        )
    assert _reviews(marketplace) == []


def test_a_class_one_cannot_see_is_not_found(
    web_client, marketplace, member, mp_learner, completed
):
    other, _ = mp_learner(first_name="Olly", email="olly@students.test")
    stranger = member(marketplace, Membership.Role.PARENT)
    for user in (other.user, stranger.user):
        client = web_client(marketplace, user)
        assert client.get(_form(completed)).status_code == 404
        assert (
            client.post(_form(completed), {"rating": "5", "text": REVIEW_TEXT}).status_code == 404
        )
        assert client.get(_panel(completed)).status_code == 404
    assert _reviews(marketplace) == []


def test_someone_of_another_tenant_gets_nothing(web_client, marketplace, acme, member, completed):
    outsider = member(acme, Membership.Role.STUDENT)
    client = web_client(marketplace, outsider.user)
    assert client.get(_form(completed)).status_code in (302, 403)
    assert client.post(_form(completed), {"rating": "5", "text": REVIEW_TEXT}).status_code in (
        302,
        403,
    )
    assert _reviews(marketplace) == []


# The session page's panel ------------------------------------------------------------------


def test_the_session_page_loads_the_review_panel(web_client, marketplace, mp_student, completed):
    html = (
        web_client(marketplace, mp_student.user)
        .get(f"/scheduling/sessions/{completed.pk}/")
        .content.decode()
    )
    assert 'data-testid="review-panel-hook"' in html
    assert f'hx-get="{_panel(completed)}"' in html


def test_the_panel_invites_the_student_side_to_review(
    web_client, marketplace, mp_student, freelancer, completed
):
    response = web_client(marketplace, mp_student.user).get(_panel(completed), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-testid="leave-review"' in html
    assert _form(completed) in html

    tutor_html = web_client(marketplace, freelancer.user).get(_panel(completed)).content.decode()
    assert 'data-testid="leave-review"' not in tutor_html
    assert "Not reviewed yet." in tutor_html


def test_the_panel_shows_the_review_and_lets_the_tutor_reply_once(
    web_client, marketplace, mp_student, freelancer, completed
):
    web_client(marketplace, mp_student.user).post(
        _form(completed), {"rating": "3", "text": REVIEW_TEXT}
    )
    (review,) = _reviews(marketplace)
    student_html = (
        web_client(marketplace, mp_student.user)
        .get(_panel(completed), headers=HTMX)
        .content.decode()
    )
    assert REVIEW_TEXT in student_html
    assert 'aria-label="3 out of 5 stars"' in student_html
    assert 'data-testid="leave-review"' not in student_html
    assert 'data-testid="reply-form"' not in student_html

    tutor = web_client(marketplace, freelancer.user)
    assert 'data-testid="reply-form"' in tutor.get(_panel(completed), headers=HTMX).content.decode()
    response = tutor.post(
        f"/marketplace/reviews/{review.pk}/reply/",
        {f"reply-{review.pk}-text": "Thank you, see you next week."},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Thank you, see you next week." in html
    assert 'data-testid="reply-form"' not in html

    again = tutor.post(
        f"/marketplace/reviews/{review.pk}/reply/",
        {f"reply-{review.pk}-text": "Once more."},
        headers=HTMX,
    )
    assert again.status_code == 409
    assert "already replied" in again.content.decode()
    assert _reviews(marketplace)[0].reply == "Thank you, see you next week."


# The reviews page and replies --------------------------------------------------------------


@pytest.fixture
def two_reviews(marketplace, mp_student, mp_student_profile, held, written):
    """A visible 5-star review and a 1-star one hidden by the platform, both of Fay."""
    visible = written(held(mp_student_profile), mp_student.user, 5, text="Brilliant class.")
    hidden = written(
        held(mp_student_profile),
        mp_student.user,
        1,
        text="Rude words about the tutor.",
        hidden_at=timezone.now(),
        hidden_reason="Insults are not allowed.",
    )
    return visible, hidden


def test_the_tutor_sees_their_reviews_hidden_ones_with_the_reason(
    web_client, marketplace, freelancer, two_reviews
):
    visible, hidden = two_reviews
    html = web_client(marketplace, freelancer.user).get(LIST).content.decode()
    assert f'data-testid="review-{visible.pk}"' in html
    assert f'data-testid="review-{hidden.pk}"' in html
    assert "Insults are not allowed." in html
    assert html.count('data-testid="reply-form"') == 2
    assert "Sam S." in html


def test_another_tutor_sees_none_of_them(web_client, marketplace, teacher, two_reviews):
    other, _ = teacher(marketplace, email="olga@freelance.test")
    html = web_client(marketplace, other.user).get(LIST).content.decode()
    assert 'data-testid="no-reviews"' in html


def test_the_agency_sees_every_review_and_filters_by_tutor(
    web_client, marketplace, member, freelancer_profile, two_reviews
):
    visible, hidden = two_reviews
    client = web_client(marketplace, member(marketplace, Membership.Role.ADMIN).user)
    html = client.get(LIST).content.decode()
    assert f'data-testid="review-{hidden.pk}"' in html
    assert "Insults are not allowed." in html
    assert 'data-testid="reply-form"' not in html
    assert (
        f'data-testid="review-{visible.pk}"'
        in client.get(LIST, {"tutor": freelancer_profile.pk}).content.decode()
    )
    assert (
        'data-testid="no-reviews"'
        in client.get(LIST, {"tutor": freelancer_profile.pk + 99}).content.decode()
    )


def test_the_student_side_sees_its_reviews_and_the_classes_waiting_for_one(
    web_client, marketplace, mp_student, mp_student_profile, held, two_reviews
):
    waiting = held(mp_student_profile)
    held(mp_student_profile, status="cancelled")
    html = web_client(marketplace, mp_student.user).get(LIST).content.decode()
    assert 'data-testid="reviewable-sessions"' in html
    assert _form(waiting) in html
    assert html.count("Leave a review") == 1
    for review in two_reviews:
        assert f'data-testid="review-{review.pk}"' in html
    # The author learns why their review was hidden.
    assert "Insults are not allowed." in html


def test_other_students_never_see_a_hidden_review(
    web_client, marketplace, mp_learner, mp_student_profile, two_reviews
):
    other, _ = mp_learner(first_name="Olly", email="olly@students.test")
    html = web_client(marketplace, other.user).get(LIST).content.decode()
    assert 'data-testid="no-reviews"' in html
    assert "Rude words" not in html


def test_the_reviews_page_costs_the_same_queries_however_many_reviews(
    web_client,
    marketplace,
    freelancer,
    mp_student,
    mp_student_profile,
    held,
    written,
    two_reviews,
    django_assert_max_num_queries,
):
    client = web_client(marketplace, freelancer.user)
    with CaptureQueriesContext(connection) as first:
        client.get(LIST)
    for _ in range(4):
        written(held(mp_student_profile), mp_student.user, 4)
    with django_assert_max_num_queries(len(first)):
        html = client.get(LIST).content.decode()
    assert html.count('data-testid="reply-form"') == 6


def test_replying_without_htmx_goes_back_to_the_reviews(
    web_client, marketplace, freelancer, two_reviews
):
    visible, hidden = two_reviews
    client = web_client(marketplace, freelancer.user)
    response = client.post(
        _reply(visible),
        {f"reply-{visible.pk}-text": "Thanks a lot!", "next": "https://evil.test/"},
    )
    assert response.status_code == 302
    assert response["Location"] == LIST
    response = client.post(
        _reply(hidden), {f"reply-{hidden.pk}-text": "Sorry.", "next": _panel(hidden.session)}
    )
    assert response["Location"] == _panel(hidden.session)
    again = client.post(_reply(visible), {f"reply-{visible.pk}-text": "Again"})
    assert again.status_code == 409
    assert "already replied" in again.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "This field is required."), ("x" * 2001, "at most 2000 characters")],
)
def test_a_bad_reply_is_shown_on_the_form(
    web_client, marketplace, freelancer, two_reviews, text, message
):
    visible, _ = two_reviews
    for headers in ({}, HTMX):
        response = web_client(marketplace, freelancer.user).post(
            _reply(visible), {f"reply-{visible.pk}-text": text}, headers=headers
        )
        assert response.status_code == 400
        assert message in response.content.decode()
    assert _reviews(marketplace)[0].reply == ""


def test_only_the_reviewed_tutor_may_reply(
    web_client, marketplace, member, mp_student, teacher, two_reviews
):
    visible, hidden = two_reviews
    other_tutor, _ = teacher(marketplace, email="olga@freelance.test")
    admin = member(marketplace, Membership.Role.ADMIN)
    data = {f"reply-{visible.pk}-text": "Not mine."}
    assert web_client(marketplace, mp_student.user).post(_reply(visible), data).status_code == 403
    assert web_client(marketplace, admin.user).post(_reply(visible), data).status_code == 403
    # Another tutor cannot see a hidden review at all, nor reply to a visible one.
    assert web_client(marketplace, other_tutor.user).post(_reply(visible), data).status_code == 403
    assert web_client(marketplace, other_tutor.user).post(_reply(hidden), data).status_code == 404
    assert {r.reply for r in _reviews(marketplace)} == {""}


def test_a_review_of_another_tenant_is_not_found(
    web_client, acme, marketplace, member, two_reviews
):
    visible, _ = two_reviews
    tutor = member(acme, Membership.Role.TUTOR)
    response = web_client(acme, tutor.user).post(
        _reply(visible), {f"reply-{visible.pk}-text": "Hello"}
    )
    assert response.status_code == 404
