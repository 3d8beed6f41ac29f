"""Platform staff moderate reviews on the root domain: the service, the console page and
the console API. Only staff; hiding needs a reason; nothing happens twice."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from config.errors import ApplicationError
from listings.models import ListedReview, TutorListing
from listings.services_moderation import review_hide, review_restore
from marketplace.models import Review
from marketplace.services.reviews import review_create
from notifications.models import Notification
from tests.factories import UserFactory
from tests.marketplace.reviews.conftest import REVIEW_TEXT

pytestmark = pytest.mark.django_db

PAGE = "/console/reviews/"
API = "/api/v1/console/reviews/"


@pytest.fixture
def listed(marketplace, mp_student, completed, gig, django_capture_on_commit_callbacks):
    """The student's 2-star review of the freelancer, copied to the index."""
    with django_capture_on_commit_callbacks(execute=True), tenant_context(marketplace):
        review = review_create(actor=mp_student, session=completed, rating=2, text=REVIEW_TEXT)
    return ListedReview.objects.get(review_id=review.pk)


def _review(marketplace) -> Review:
    with tenant_context(marketplace):
        return Review.objects.get()


# The service -------------------------------------------------------------------------------


def test_hiding_keeps_the_reason_and_tells_the_author_and_the_tutor(
    marketplace, listed, platform_staff, mp_student, freelancer
):
    review_hide(staff=platform_staff, listed=listed, reason="  Personal details of the tutor. ")

    review = _review(marketplace)
    assert review.hidden_reason == "Personal details of the tutor."
    assert (review.hidden_by_id, review.hidden_at is not None) == (platform_staff.pk, True)
    entry = AuditEntry.objects.get(action="marketplace.review.hidden")
    assert (entry.actor_id, entry.tenant_id, entry.target_id) == (
        platform_staff.pk,
        marketplace.pk,
        str(review.pk),
    )
    assert entry.data["reason"] == "Personal details of the tutor."
    with tenant_context(marketplace):
        told = {
            n.user_id: n
            for n in Notification.objects.filter(event__startswith="marketplace.review.hidden")
        }
    assert set(told) == {mp_student.user_id, freelancer.user_id}
    assert all(n.body == "Reason: Personal details of the tutor." for n in told.values())
    assert told[mp_student.user_id].url.endswith(f"/scheduling/sessions/{review.session_id}/")
    assert told[freelancer.user_id].url.endswith("/marketplace/reviews/")


def test_restoring_clears_the_moderation_and_tells_both_sides(
    marketplace, listed, platform_staff, mp_student, freelancer
):
    review_hide(staff=platform_staff, listed=listed, reason="Looked like spam.")
    review_restore(staff=platform_staff, listed=listed, reason="The author explained.")

    review = _review(marketplace)
    assert (review.hidden_at, review.hidden_reason, review.hidden_by_id) == (None, "", None)
    listed.refresh_from_db()
    assert (listed.hidden_at, listed.hidden_reason) == (None, "")
    entry = AuditEntry.objects.get(action="marketplace.review.restored")
    assert entry.data["reason"] == "The author explained."
    assert entry.data["hidden_reason"] == "Looked like spam."
    with tenant_context(marketplace):
        restored = Notification.objects.filter(event="marketplace.review.restored")
        assert {n.user_id for n in restored} == {mp_student.user_id, freelancer.user_id}


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_hiding_needs_a_reason(marketplace, listed, platform_staff, reason):
    with pytest.raises(ValidationError) as refused:
        review_hide(staff=platform_staff, listed=listed, reason=reason)
    assert refused.value.message_dict == {"reason": ["Say why the review is hidden."]}
    assert _review(marketplace).hidden_at is None


def test_a_reason_has_at_most_2000_characters(marketplace, listed, platform_staff):
    with pytest.raises(ValidationError):
        review_hide(staff=platform_staff, listed=listed, reason="r" * 2001)
    review_hide(staff=platform_staff, listed=listed, reason="r" * 2000)
    assert len(_review(marketplace).hidden_reason) == 2000


def test_hiding_twice_or_restoring_a_visible_review_is_refused(marketplace, listed, platform_staff):
    with pytest.raises(ApplicationError) as refused:
        review_restore(staff=platform_staff, listed=listed)
    assert (refused.value.status, refused.value.code) == (409, "not_hidden")
    review_hide(staff=platform_staff, listed=listed, reason="First time.")
    with pytest.raises(ApplicationError) as refused:
        review_hide(staff=platform_staff, listed=listed, reason="Second time.")
    assert (refused.value.status, refused.value.code) == (409, "already_hidden")
    assert _review(marketplace).hidden_reason == "First time."
    assert AuditEntry.objects.filter(action="marketplace.review.hidden").count() == 1


def test_only_platform_staff_moderate(marketplace, listed, freelancer, mp_student):
    for user in (freelancer.user, mp_student.user, UserFactory(is_superuser=True)):
        with pytest.raises(PermissionDenied):
            review_hide(staff=user, listed=listed, reason="Not allowed.")
    assert _review(marketplace).hidden_at is None


# The console page --------------------------------------------------------------------------


def test_staff_see_every_listed_review_with_filters(
    web_client, marketplace, listed, platform_staff
):
    client = web_client(None, platform_staff)
    html = client.get(PAGE).content.decode()
    assert f'data-testid="listed-review-{listed.pk}"' in html
    assert "Sam S." in html
    assert "Fay Freeman" in html

    for query, shown in [
        ({"state": "visible"}, True),
        ({"state": "hidden"}, False),
        ({"rating": "2"}, True),
        ({"rating": "5"}, False),
        ({"q": "algebra"}, True),
        ({"q": "geography"}, False),
        ({"tenant": marketplace.slug}, True),
        ({"tenant": "nowhere", "rating": "2"}, True),
        ({"tenant": "nowhere", "rating": "3"}, False),
    ]:
        html = client.get(PAGE, query).content.decode()
        assert (f'data-testid="listed-review-{listed.pk}"' in html) is shown, query


def test_staff_hide_with_a_reason_and_restore_from_the_page(
    web_client, marketplace, listed, platform_staff
):
    client = web_client(None, platform_staff)
    response = client.post(
        f"{PAGE}{listed.pk}/hide/?state=visible", {f"hide-{listed.pk}-reason": "Insults."}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE}?state=visible"
    assert _review(marketplace).hidden_reason == "Insults."
    html = client.get(PAGE, {"state": "hidden"}).content.decode()
    assert "Insults." in html
    assert "Restore" in html

    response = client.post(f"{PAGE}{listed.pk}/restore/")
    assert response.status_code == 302
    assert _review(marketplace).hidden_at is None


def test_the_page_refuses_to_hide_without_a_reason(web_client, marketplace, listed, platform_staff):
    response = web_client(None, platform_staff).post(
        f"{PAGE}{listed.pk}/hide/", {f"hide-{listed.pk}-reason": "  "}
    )
    assert response.status_code == 400
    assert "Say why the review is hidden." in response.content.decode()
    assert _review(marketplace).hidden_at is None


def test_the_page_says_when_a_review_is_already_hidden(
    web_client, marketplace, listed, platform_staff
):
    review_hide(staff=platform_staff, listed=listed, reason="Already.")
    response = web_client(None, platform_staff).post(
        f"{PAGE}{listed.pk}/hide/", {f"hide-{listed.pk}-reason": "Again."}
    )
    assert response.status_code == 409
    assert "already hidden" in response.content.decode()


def test_an_unknown_review_is_not_found(web_client, listed, platform_staff):
    client = web_client(None, platform_staff)
    assert client.post(f"{PAGE}{listed.pk + 1000}/hide/", {"reason": "x"}).status_code == 404
    assert client.post(f"{PAGE}{listed.pk + 1000}/restore/").status_code == 404


def test_people_who_are_not_platform_staff_cannot_moderate(
    web_client, marketplace, listed, freelancer, owner
):
    for user in (freelancer.user, owner.user):
        client = web_client(None, user)
        assert client.get(PAGE).status_code == 403
        response = client.post(f"{PAGE}{listed.pk}/hide/", {f"hide-{listed.pk}-reason": "No."})
        assert response.status_code == 403
    anonymous = web_client(None)
    assert anonymous.get(PAGE).status_code == 302
    assert anonymous.post(f"{PAGE}{listed.pk}/hide/", {"reason": "No."}).status_code == 302
    assert _review(marketplace).hidden_at is None


def _more_listed(tenant, count: int = 5) -> None:
    """Listed reviews of other tutors (of another tenant), straight in the index."""
    now = timezone.now()
    for index in range(count):
        tutor = TutorListing.objects.create(
            tenant=tenant,
            profile_id=1000 + index,
            user=UserFactory(),
            display_name=f"Tutor {index}",
            indexed_at=now,
        )
        ListedReview.objects.create(
            tutor=tutor,
            tenant=tenant,
            review_id=index + 1,
            rating=3,
            text=REVIEW_TEXT,
            author_name="Ann A.",
            created_at=now,
        )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_console_list_costs_the_same_queries_however_many_reviews(
    web_client, acme, listed, platform_staff, django_assert_max_num_queries
):
    client = web_client(None, platform_staff)
    one = _queries(client, PAGE)
    _more_listed(acme)
    with django_assert_max_num_queries(one):
        html = client.get(PAGE).content.decode()
    assert html.count('data-testid="listed-review-') == 6


# The console API ---------------------------------------------------------------------------


def test_the_api_lists_hides_and_restores(api_client, marketplace, listed, platform_staff):
    client = api_client(None, platform_staff)
    body = client.get(API, {"state": "visible", "rating": 2}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert (row["id"], row["rating"], row["author_name"], row["hidden"]) == (
        listed.pk,
        2,
        "Sam S.",
        False,
    )
    assert row["tenant"] == {"slug": marketplace.slug, "name": marketplace.name}

    response = client.post(f"{API}{listed.pk}/hide/", {"reason": "Hate speech."})
    assert response.status_code == 200
    assert (response.json()["hidden"], response.json()["hidden_reason"]) == (True, "Hate speech.")
    assert client.get(API, {"state": "visible"}).json()["count"] == 0

    again = client.post(f"{API}{listed.pk}/hide/", {"reason": "Again."})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_hidden"

    response = client.post(f"{API}{listed.pk}/restore/", {})
    assert response.status_code == 200
    assert response.json()["hidden"] is False
    assert _review(marketplace).hidden_at is None
    assert client.post(f"{API}{listed.pk}/restore/", {}).status_code == 409


def test_the_api_refuses_to_hide_without_a_reason(api_client, marketplace, listed, platform_staff):
    response = api_client(None, platform_staff).post(f"{API}{listed.pk}/hide/", {"reason": ""})
    assert response.status_code == 400
    assert "reason" in response.json()["error"]["fields"]
    assert _review(marketplace).hidden_at is None


@pytest.mark.parametrize("query", [{"rating": 6}, {"state": "gone"}, {"tenant": "not a slug"}])
def test_the_api_refuses_bad_filters(api_client, listed, platform_staff, query):
    assert api_client(None, platform_staff).get(API, query).status_code == 400


def test_the_api_is_for_platform_staff_only(api_client, marketplace, listed, freelancer, member):
    for user in (freelancer.user, member(marketplace, Membership.Role.ADMIN).user):
        client = api_client(None, user)
        assert client.get(API).status_code == 403
        assert client.post(f"{API}{listed.pk}/hide/", {"reason": "No."}).status_code == 403
        assert client.post(f"{API}{listed.pk}/restore/", {}).status_code == 403
    assert api_client(None).get(API).status_code == 401
    assert _review(marketplace).hidden_at is None


def test_a_token_of_a_tenant_is_refused_on_the_root_domain(
    api_client, marketplace, listed, platform_staff
):
    client = api_client(marketplace, platform_staff)
    client.defaults["HTTP_HOST"] = api_client(None).defaults["HTTP_HOST"]
    assert client.post(f"{API}{listed.pk}/hide/", {"reason": "Nope."}).status_code == 401
    assert _review(marketplace).hidden_at is None


def test_the_api_list_costs_the_same_queries_however_many_reviews(
    api_client, acme, listed, platform_staff, django_assert_max_num_queries
):
    client = api_client(None, platform_staff)
    one = _queries(client, API)
    _more_listed(acme)
    with django_assert_max_num_queries(one):
        assert client.get(API).json()["count"] == 6


def test_an_unknown_review_is_not_found_in_the_api(api_client, listed, platform_staff):
    response = api_client(None, platform_staff).post(
        f"{API}{listed.pk + 1000}/hide/", {"reason": "x"}
    )
    assert response.status_code == 404
