"""The notifications page and API: each person sees, counts and clears only their own."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from notifications.models import Notification
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(acme, member):
    return member(acme, "student")


@pytest.fixture
def inbox(owner, student, notification_for):
    """Two unread and one read notification for the owner, one for a student, in acme."""
    with tenant_context(owner.tenant):
        mine = [
            notification_for(owner.user, title="Lesson booked", body="Maths with Sam"),
            notification_for(owner.user, title="Invoice paid"),
            notification_for(owner.user, title="Old news"),
        ]
        Notification.objects.filter(pk=mine[2].pk).update(read_at="2024-01-01T00:00:00Z")
        theirs = notification_for(student.user, title="Student secret")
    return {"mine": mine, "theirs": theirs}


def _titles(response) -> list[str]:
    return [item["title"] for item in response.json()["results"]]


# Pages ----------------------------------------------------------------------------------


def test_the_notifications_page_lists_only_my_notifications(web_client, owner, inbox):
    response = web_client(owner.tenant, owner.user).get("/notifications/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Lesson booked" in content
    assert "Maths with Sam" in content
    assert "Old news" in content
    assert "Student secret" not in content
    assert 'data-count="2"' in content


def test_the_notifications_page_asks_strangers_to_sign_in(web_client, acme):
    response = web_client(acme).get("/notifications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_mark_all_read_with_htmx_returns_an_empty_badge_and_leaves_others_unread(
    web_client, owner, student, inbox
):
    client = web_client(owner.tenant, owner.user)
    response = client.post("/notifications/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="notification-badge"' in response.content.decode()
    assert 'data-count="0"' in response.content.decode()
    with tenant_context(owner.tenant):
        assert not Notification.objects.filter(user=owner.user, read_at__isnull=True).exists()
        assert Notification.objects.get(pk=inbox["theirs"].pk).read_at is None


def test_mark_one_read_without_htmx_goes_back_to_the_list(web_client, owner, inbox):
    first, second, _ = inbox["mine"]
    response = web_client(owner.tenant, owner.user).post(
        "/notifications/read/", {"id": [str(first.pk)]}
    )
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    with tenant_context(owner.tenant):
        assert Notification.objects.get(pk=first.pk).read_at is not None
        assert Notification.objects.get(pk=second.pk).read_at is None


def test_marking_one_read_with_htmx_returns_the_count_still_unread(web_client, owner, inbox):
    first = inbox["mine"][0]
    response = web_client(owner.tenant, owner.user).post(
        "/notifications/read/", {"id": [str(first.pk)]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert 'data-count="1"' in response.content.decode()


def test_ids_that_are_not_numbers_mark_nothing_read(web_client, owner, inbox):
    web_client(owner.tenant, owner.user).post("/notifications/read/", {"id": ["abc", "-1"]})
    with tenant_context(owner.tenant):
        assert Notification.objects.filter(user=owner.user, read_at__isnull=True).count() == 2


def test_i_cannot_mark_someone_elses_notification_read(web_client, owner, inbox):
    web_client(owner.tenant, owner.user).post(
        "/notifications/read/", {"id": [str(inbox["theirs"].pk)]}
    )
    with tenant_context(owner.tenant):
        assert Notification.objects.get(pk=inbox["theirs"].pk).read_at is None
        assert Notification.objects.filter(user=owner.user, read_at__isnull=True).count() == 2


def test_marking_read_needs_a_post(web_client, owner, inbox):
    response = web_client(owner.tenant, owner.user).get("/notifications/read/")
    assert response.status_code == 405


def test_the_unread_badge_is_on_every_portal_page(web_client, owner, inbox):
    response = web_client(owner.tenant, owner.user).get("/dashboard/")
    assert response.status_code == 200
    assert 'data-count="2"' in response.content.decode()


def test_notifications_of_one_agency_do_not_show_on_another(
    web_client, owner, globex, notification_for
):
    tutor = MembershipFactory(tenant=globex, role="tutor").user
    MembershipFactory(tenant=owner.tenant, user=tutor, role="tutor")
    with tenant_context(globex):
        notification_for(tutor, title="Globex only")
    response = web_client(owner.tenant, tutor).get("/notifications/")
    assert response.status_code == 200
    assert "Globex only" not in response.content.decode()
    assert "No notifications yet." in response.content.decode()


# API ------------------------------------------------------------------------------------


def test_the_api_lists_my_notifications_with_the_unread_count(api_client, owner, inbox):
    response = api_client(owner.tenant, owner.user).get("/api/v1/notifications/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["unread_count"] == 2
    assert set(_titles(response)) == {"Lesson booked", "Invoice paid", "Old news"}
    assert set(body["results"][0]) == {
        "id",
        "event",
        "title",
        "body",
        "url",
        "read_at",
        "created_at",
    }


def test_the_api_never_shows_a_notifications_private_context(api_client, owner, notify_secret):
    response = api_client(owner.tenant, owner.user).get("/api/v1/notifications/")
    assert "one-time-secret" not in response.content.decode()


@pytest.fixture
def notify_secret(owner, notification_for):
    with tenant_context(owner.tenant):
        return notification_for(
            owner.user, title="Join link", context={"join_url": "one-time-secret"}
        )


def test_the_api_filters_unread(api_client, owner, inbox):
    response = api_client(owner.tenant, owner.user).get("/api/v1/notifications/?unread=true")
    assert response.status_code == 200
    assert set(_titles(response)) == {"Lesson booked", "Invoice paid"}
    assert response.json()["count"] == 2


def test_the_api_never_lists_someone_elses_notifications(api_client, student, inbox):
    response = api_client(student.tenant, student.user).get("/api/v1/notifications/")
    assert _titles(response) == ["Student secret"]
    assert response.json()["unread_count"] == 1


def test_the_api_marks_chosen_notifications_read_and_ignores_others_ids(api_client, owner, inbox):
    first = inbox["mine"][0]
    client = api_client(owner.tenant, owner.user)
    response = client.post(
        "/api/v1/notifications/read/", {"ids": [first.pk, inbox["theirs"].pk]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"marked": 1}
    assert client.get("/api/v1/notifications/").json()["unread_count"] == 1
    with tenant_context(owner.tenant):
        assert Notification.objects.get(pk=inbox["theirs"].pk).read_at is None


def test_the_api_marks_everything_read_when_no_ids_are_given(api_client, owner, inbox):
    client = api_client(owner.tenant, owner.user)
    assert client.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/").json()["unread_count"] == 0


def test_the_api_refuses_bad_ids_with_field_errors(api_client, owner, inbox):
    response = api_client(owner.tenant, owner.user).post(
        "/api/v1/notifications/read/", {"ids": ["x", 0]}, format="json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "ids" in error["fields"]


def test_account_level_notifications_on_the_root_domain(
    api_client, public_tenant, notification_for
):
    user = UserFactory()
    notification_for(user, title="Welcome aboard")
    response = api_client(public_tenant, user).get("/api/v1/notifications/")
    assert response.status_code == 200
    assert _titles(response) == ["Welcome aboard"]


def test_email_only_notifications_never_appear_in_the_inbox(api_client, public_tenant, mailoutbox):
    from notifications.services import notify

    user = UserFactory()
    notify(user=user, event="account.verify_email", title="Confirm", in_app=False)
    response = api_client(public_tenant, user).get("/api/v1/notifications/")
    assert response.json()["count"] == 0


def test_the_api_needs_a_token(api_client, acme):
    response = api_client(acme).get("/api/v1/notifications/")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
