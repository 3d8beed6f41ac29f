"""Team management in the portal: the team page, invitations, roles, deactivation."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import Invitation, Membership, User
from accounts.services.invitations import invitation_create
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ACCEPT_LINK = re.compile(r"http://acme\.localhost(?P<path>/team/invitations/accept/[\w-]+/)")


@pytest.fixture
def browser(web_client, acme, owner):
    """The acme owner, signed in on acme's host."""
    return web_client(acme, owner.user)


def invite(acme, owner, email: str = "new@example.test", role: str = "tutor"):
    with schema_context(acme.schema_name):
        return invitation_create(tenant=acme, email=email, role=role, actor=owner)


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# The team page --------------------------------------------------------------------------


def test_the_team_page_lists_members_and_pending_invitations(browser, acme, owner, member):
    member(acme, "tutor", first_name="Tom", last_name="Tutor")
    invite(acme, owner, email="pending@example.test")
    response = browser.get("/team/")
    assert response.status_code == 200
    assert b"tutor@acme.test" in response.content
    assert b"Tom Tutor" in response.content
    assert b"pending@example.test" in response.content


TEAM_EMAILS = {"owner@acme.test", "admin@acme.test", "tutor@acme.test", "student@acme.test"}


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({"search": "lovelace"}, {"admin@acme.test"}),
        ({"search": "ACME", "role": "tutor"}, {"tutor@acme.test"}),
        ({"role": "tutor"}, {"tutor@acme.test"}),
        ({"status": "inactive"}, {"student@acme.test"}),
        ({"status": "active"}, {"owner@acme.test", "admin@acme.test", "tutor@acme.test"}),
        ({}, TEAM_EMAILS),
    ],
)
def test_the_team_page_filters_members(browser, acme, member, query, shown):
    member(acme, "admin", first_name="Ada", last_name="Lovelace")
    member(acme, "tutor")
    gone = member(acme, "student")
    gone.is_active = False
    gone.save()
    response = browser.get("/team/", {**query, "page": 1}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content  # htmx gets the table alone
    assert {m.user.email for m in response.context["members"]} == shown
    for email in TEAM_EMAILS - shown:
        assert email.encode() not in response.content


def test_the_team_page_is_paginated(browser, acme, member):
    for _ in range(30):
        member(acme, "student")
    first = browser.get("/team/")
    assert len(first.context["members"]) == 25
    assert b"Page 1 of 2" in first.content
    second = browser.get("/team/", {"page": 2})
    assert len(second.context["members"]) == 6


def test_the_team_page_costs_the_same_queries_for_3_or_30_members(
    browser, acme, member, django_assert_max_num_queries
):
    member(acme, "tutor")
    member(acme, "student")
    with CaptureQueriesContext(connection) as small:
        assert browser.get("/team/").status_code == 200
    for _ in range(28):
        member(acme, "student")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert browser.get("/team/").status_code == 200


# Inviting -------------------------------------------------------------------------------


def test_inviting_from_the_team_page_sends_the_email(
    browser, acme, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post("/team/invite/", {"email": "new@example.test", "role": "tutor"})
    assert response.status_code == 302
    assert response["Location"] == "/team/"
    assert flashed(response) == ["Invitation sent to new@example.test."]
    assert Invitation.objects.get(email="new@example.test").role == "tutor"
    assert len(mailoutbox) == 1
    assert ACCEPT_LINK.search(mailoutbox[0].body)
    assert ACCEPT_LINK.search(mailoutbox[0].alternatives[0][0])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "nope", "role": "tutor"}, b"Enter a valid email address."),
        ({"email": "a@example.test", "role": "wizard"}, b"Select a valid choice."),
        ({"email": "tutor@acme.test", "role": "staff"}, b"This person is already a member."),
    ],
)
def test_a_bad_invitation_shows_the_form_again_with_the_error(browser, acme, member, data, message):
    member(acme, "tutor")
    response = browser.post("/team/invite/", data)
    assert response.status_code == 400
    assert message in response.content
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner_from_the_page(web_client, acme, member):
    admin = member(acme, "admin")
    response = web_client(acme, admin.user).post(
        "/team/invite/", {"email": "boss@example.test", "role": "owner"}
    )
    assert response.status_code == 400
    assert b"Only an owner can invite another owner." in response.content
    assert not Invitation.objects.exists()


def test_the_invite_action_takes_only_posts(browser):
    assert browser.get("/team/invite/").status_code == 405


# Accepting through the emailed link -------------------------------------------------------


def test_a_new_person_creates_their_account_from_the_link_and_lands_on_their_dashboard(
    web_client, acme, owner, password
):
    _, token = invite(acme, owner, role="student")
    visitor = web_client(acme)
    page = visitor.get(f"/team/invitations/accept/{token}/")
    assert page.status_code == 200
    assert b"new@example.test" in page.content
    assert b"Create account and join" in page.content

    response = visitor.post(
        f"/team/invitations/accept/{token}/",
        {"first_name": "Nina", "last_name": "New", "password": password, "time_zone": "UTC"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert b'data-testid="student-dashboard"' in response.content
    user = User.objects.get(email="new@example.test")
    assert user.is_email_verified
    assert Membership.objects.get(user=user, tenant=acme).role == "student"
    assert visitor.session["tenant_schema"] == "acme"


def test_a_new_person_with_a_weak_password_sees_the_error_and_nothing_is_made(
    web_client, acme, owner
):
    _, token = invite(acme, owner)
    response = web_client(acme).post(
        f"/team/invitations/accept/{token}/",
        {"first_name": "Nina", "password": "short", "time_zone": "UTC"},
    )
    assert response.status_code == 200
    assert b"field-error" in response.content
    assert not User.objects.filter(email="new@example.test").exists()
    assert Invitation.objects.get(email="new@example.test").status == "pending"


@pytest.fixture
def existing(globex):
    return MembershipFactory(
        tenant=globex, role="tutor", user=UserFactory(email="known@example.test")
    ).user


def test_an_existing_account_is_asked_for_its_password_not_a_new_one(
    web_client, acme, owner, existing
):
    _, token = invite(acme, owner, email=existing.email)
    page = web_client(acme).get(f"/team/invitations/accept/{token}/")
    assert page.status_code == 200
    assert b"already have an EduConnect account" in page.content
    assert b'name="password"' in page.content
    assert b'name="first_name"' not in page.content


def test_an_existing_account_joins_with_its_password_and_is_signed_in(
    web_client, acme, owner, existing, password
):
    _, token = invite(acme, owner, email=existing.email, role="tutor")
    visitor = web_client(acme)
    response = visitor.post(
        f"/team/invitations/accept/{token}/", {"password": password}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert b'data-testid="tutor-dashboard"' in response.content
    assert Membership.objects.get(user=existing, tenant=acme).role == "tutor"
    assert response.wsgi_request.user == existing


def test_an_existing_account_with_a_wrong_password_does_not_join(web_client, acme, owner, existing):
    _, token = invite(acme, owner, email=existing.email)
    visitor = web_client(acme)
    response = visitor.post(f"/team/invitations/accept/{token}/", {"password": "Wrong-Horse-9"})
    assert response.status_code == 200
    assert b"The email address or password is incorrect." in response.content
    assert not Membership.objects.filter(user=existing, tenant=acme).exists()
    assert "_auth_user_id" not in visitor.session


def test_a_member_signed_in_as_another_address_is_told_and_cannot_accept(
    web_client, acme, owner, member
):
    _, token = invite(acme, owner, email="someone@example.test")
    student = member(acme, "student").user
    browser = web_client(acme, student)
    page = browser.get(f"/team/invitations/accept/{token}/")
    assert b"this invitation is for someone@example.test" in page.content
    response = browser.post(f"/team/invitations/accept/{token}/")
    assert response.status_code == 200
    assert Invitation.objects.get(email="someone@example.test").status == "pending"
    assert Membership.objects.get(user=student, tenant=acme).role == "student"


@pytest.mark.parametrize(
    ("spoil", "status", "says"),
    [
        (None, 404, b"not valid"),
        ({"revoked_at": timezone.now}, 410, b"revoked"),
        ({"expires_at": timezone.now}, 410, b"expired"),
        ({"accepted_at": timezone.now}, 410, b"accepted"),
    ],
)
def test_a_link_that_cannot_be_used_says_why(web_client, owner, spoil, status, says):
    acme = owner.tenant
    invitation, token = invite(acme, owner)
    if spoil is None:
        token = "no-such-token"
    else:
        Invitation.objects.filter(pk=invitation.pk).update(
            **{field: make() for field, make in spoil.items()}
        )
    response = web_client(acme).get(f"/team/invitations/accept/{token}/")
    assert response.status_code == status
    assert says in response.content


# Roles, deactivation, revocation ----------------------------------------------------------


def test_an_owner_changes_a_role_from_the_page(browser, acme, member):
    tutor = member(acme, "tutor", first_name="Tom", last_name="Tutor")
    response = browser.post(f"/team/members/{tutor.pk}/role/", {"role": "admin"})
    assert response.status_code == 302
    assert flashed(response) == ["Tom Tutor is now Admin."]
    assert Membership.objects.get(pk=tutor.pk).role == "admin"


def test_the_last_owner_is_told_they_cannot_step_down(browser, owner):
    response = browser.post(f"/team/members/{owner.pk}/role/", {"role": "tutor"})
    assert response.status_code == 302
    assert "at least one owner" in flashed(response)[0]
    assert Membership.objects.get(pk=owner.pk).role == "owner"


def test_an_admin_is_told_they_cannot_make_an_owner(web_client, acme, member):
    admin = member(acme, "admin")
    tutor = member(acme, "tutor")
    response = web_client(acme, admin.user).post(
        f"/team/members/{tutor.pk}/role/", {"role": "owner"}
    )
    assert "Only an owner" in flashed(response)[0]
    assert Membership.objects.get(pk=tutor.pk).role == "tutor"


def test_a_bad_role_from_the_page_changes_nothing(browser, acme, member):
    tutor = member(acme, "tutor")
    response = browser.post(f"/team/members/{tutor.pk}/role/", {"role": "wizard"})
    assert response.status_code == 302
    assert flashed(response) == ["Choose one of the offered roles."]
    assert Membership.objects.get(pk=tutor.pk).role == "tutor"


def test_deactivating_from_the_page_ends_the_members_session(browser, web_client, acme, member):
    tutor = member(acme, "tutor", first_name="Tom", last_name="Tutor")
    tutors_browser = web_client(acme, tutor.user)
    response = browser.post(f"/team/members/{tutor.pk}/deactivate/")
    assert flashed(response) == ["Tom Tutor no longer has access."]
    assert not Membership.objects.get(pk=tutor.pk).is_active
    assert tutors_browser.get("/dashboard/").status_code == 302

    response = browser.post(f"/team/members/{tutor.pk}/reactivate/")
    assert flashed(response)[-1] == "Tom Tutor has access again."
    assert Membership.objects.get(pk=tutor.pk).is_active


def test_nobody_can_deactivate_themselves_from_the_page(browser, owner):
    response = browser.post(f"/team/members/{owner.pk}/deactivate/")
    assert flashed(response) == ["You can't deactivate yourself."]
    assert Membership.objects.get(pk=owner.pk).is_active


def test_an_admin_cannot_deactivate_an_owner_from_the_page(web_client, acme, owner, member):
    admin = member(acme, "admin")
    response = web_client(acme, admin.user).post(f"/team/members/{owner.pk}/deactivate/")
    assert flashed(response) == ["Only an owner can deactivate an owner."]
    assert Membership.objects.get(pk=owner.pk).is_active


def test_revoking_an_invitation_from_the_page(browser, acme, owner):
    invitation, _ = invite(acme, owner)
    response = browser.post(f"/team/invitations/{invitation.pk}/revoke/")
    assert flashed(response) == ["Invitation to new@example.test withdrawn."]
    invitation.refresh_from_db()
    assert invitation.status == "revoked"
    assert list(browser.get("/team/").context["invitations"]) == []


@pytest.mark.parametrize("path", ["/team/members/424242/role/", "/team/invitations/424242/revoke/"])
def test_unknown_ids_on_the_team_pages_are_not_found(browser, path):
    assert browser.post(path, {"role": "tutor"}).status_code == 404


def test_the_team_page_offers_no_deactivate_button_for_yourself(web_client, acme, owner, member):
    tutor = member(acme, "tutor")
    page = web_client(acme, owner.user).get("/team/").content.decode()
    assert f"/team/members/{tutor.pk}/deactivate/" in page
    assert f"/team/members/{owner.pk}/deactivate/" not in page
