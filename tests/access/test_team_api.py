"""Team management through the API: invitations, member lists, roles, deactivation."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import Invitation, Membership, TokenFamily, User
from accounts.services.invitations import invitation_create
from audit.models import AuditEntry
from notifications.models import Notification
from tests.access.conftest import error_code, field_errors
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

MEMBERS = "/api/v1/team/members/"
INVITATIONS = "/api/v1/team/invitations/"
ACCEPT = "/api/v1/team/invitations/accept/"
ACCEPT_LINK = re.compile(r"http://acme\.localhost/team/invitations/accept/(?P<token>[\w-]+)/")


@pytest.fixture
def manager(api_client, acme, owner):
    """The acme owner's API client."""
    return api_client(acme, owner.user)


def invite(acme, owner, email: str = "new@example.test", role: str = "tutor"):
    with schema_context(acme.schema_name):
        return invitation_create(tenant=acme, email=email, role=role, actor=owner)


# Inviting -------------------------------------------------------------------------------


def test_inviting_by_email_records_the_invitation_and_emails_an_accept_link(
    manager, acme, owner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(INVITATIONS, {"email": "New.Tutor@Example.test", "role": "tutor"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role"], body["status"]) == (
        "new.tutor@example.test",
        "tutor",
        "pending",
    )

    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.tenant == acme
    assert invitation.invited_by == owner.user
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["new.tutor@example.test"]
    assert "Acme Tutoring" in email.subject
    token = ACCEPT_LINK.search(email.body).group("token")
    assert Invitation.objects.filter(pk=invitation.pk, token_hash__isnull=False).exists()
    assert token not in invitation.token_hash
    assert AuditEntry.objects.filter(action="invitation.created", tenant=acme).exists()


def test_the_emailed_link_lets_a_new_person_create_their_account_and_join(
    manager, api_client, acme, mailoutbox, django_capture_on_commit_callbacks
):
    password = PASSWORD
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(INVITATIONS, {"email": "ivy@example.test", "role": "staff"})
    token = ACCEPT_LINK.search(mailoutbox[0].body).group("token")

    response = api_client(acme).post(
        ACCEPT, {"token": token, "first_name": "Ivy", "last_name": "Green", "password": password}
    )
    assert response.status_code == 201, response.content
    assert response.json()["role"] == "staff"
    user = User.objects.get(email="ivy@example.test")
    assert user.is_email_verified
    assert user.check_password(password)
    assert Membership.objects.get(user=user, tenant=acme).role == "staff"
    invitation = Invitation.objects.get(email="ivy@example.test")
    assert (invitation.status, invitation.accepted_by) == ("accepted", user)

    signed_in = api_client(acme).post(
        "/api/v1/auth/token/", {"email": "ivy@example.test", "password": password}
    )
    assert signed_in.status_code == 200


def test_an_invitation_works_only_once(api_client, acme, owner, password):
    _, token = invite(acme, owner)
    first = api_client(acme).post(ACCEPT, {"token": token, "first_name": "A", "password": password})
    assert first.status_code == 201
    again = api_client(acme).post(ACCEPT, {"token": token, "first_name": "B", "password": password})
    assert again.status_code == 410
    assert error_code(again) == "invitation_accepted"


def test_accepting_needs_a_name_and_a_good_password(api_client, acme, owner):
    _, token = invite(acme, owner)
    fields = field_errors(api_client(acme).post(ACCEPT, {"token": token, "password": "short"}))
    assert "first_name" in fields
    assert "password" in fields
    assert not User.objects.filter(email="new@example.test").exists()
    assert Invitation.objects.get(email="new@example.test").status == "pending"


def test_a_made_up_invitation_token_is_not_found(api_client, acme, password):
    response = api_client(acme).post(
        ACCEPT, {"token": "made-up", "first_name": "A", "password": password}
    )
    assert response.status_code == 404
    assert error_code(response) == "invitation_invalid"


def test_an_expired_invitation_is_refused(api_client, acme, owner, password):
    invitation, token = invite(acme, owner)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    response = api_client(acme).post(
        ACCEPT, {"token": token, "first_name": "A", "password": password}
    )
    assert response.status_code == 410
    assert error_code(response) == "invitation_expired"
    assert not User.objects.filter(email="new@example.test").exists()


def test_a_revoked_invitation_is_refused(manager, api_client, acme, owner, password):
    invitation, token = invite(acme, owner)
    revoked = manager.post(f"{INVITATIONS}{invitation.pk}/revoke/")
    assert revoked.status_code == 200
    assert revoked.json()["status"] == "revoked"
    response = api_client(acme).post(
        ACCEPT, {"token": token, "first_name": "A", "password": password}
    )
    assert response.status_code == 410
    assert error_code(response) == "invitation_revoked"
    assert manager.get(INVITATIONS).json()["count"] == 0


def test_a_newer_invitation_replaces_the_open_one(manager, api_client, acme, owner, password):
    first, old_token = invite(acme, owner, role="tutor")
    second = manager.post(INVITATIONS, {"email": "new@example.test", "role": "admin"})
    assert second.status_code == 201
    first.refresh_from_db()
    assert first.status == "revoked"
    listed = manager.get(INVITATIONS).json()
    assert [(i["email"], i["role"]) for i in listed["results"]] == [("new@example.test", "admin")]

    stale = api_client(acme).post(
        ACCEPT, {"token": old_token, "first_name": "A", "password": password}
    )
    assert stale.status_code == 410


def test_an_active_member_cannot_be_invited_again(manager, acme, member):
    tutor = member(acme, "tutor")
    fields = field_errors(manager.post(INVITATIONS, {"email": tutor.user.email, "role": "admin"}))
    assert fields == {"email": ["This person is already a member."]}
    assert not Invitation.objects.filter(email=tutor.user.email).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-address", "role": "tutor"}, "email"),
        ({"email": "a@example.test", "role": "headmaster"}, "role"),
        ({"role": "tutor"}, "email"),
        ({"email": "a@example.test"}, "role"),
    ],
)
def test_bad_invitations_are_field_errors(manager, data, field):
    assert field in field_errors(manager.post(INVITATIONS, data))
    assert not Invitation.objects.exists()


def test_an_admin_cannot_invite_an_owner(api_client, acme, member):
    admin = member(acme, "admin")
    response = api_client(acme, admin.user).post(
        INVITATIONS, {"email": "boss@example.test", "role": "owner"}
    )
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert not Invitation.objects.exists()


def test_an_admin_can_invite_any_other_role(api_client, acme, member):
    admin = member(acme, "admin")
    response = api_client(acme, admin.user).post(
        INVITATIONS, {"email": "helper@example.test", "role": "admin"}
    )
    assert response.status_code == 201


# An existing account joins ----------------------------------------------------------------


@pytest.fixture
def existing(globex):
    """Someone who already has an account (at globex), invited to acme."""
    return MembershipFactory(
        tenant=globex, role="tutor", user=UserFactory(email="known@example.test")
    ).user


def test_an_existing_account_joins_by_proving_its_password(
    api_client, acme, owner, existing, password
):
    _, token = invite(acme, owner, email=existing.email, role="tutor")
    response = api_client(acme).post(ACCEPT, {"token": token, "password": password})
    assert response.status_code == 201, response.content
    assert response.json()["user"]["id"] == existing.pk
    assert Membership.objects.get(user=existing, tenant=acme).role == "tutor"
    assert User.objects.filter(email=existing.email).count() == 1
    signed_in = api_client(acme).post(
        "/api/v1/auth/token/", {"email": existing.email, "password": password}
    )
    assert signed_in.status_code == 200


def test_an_existing_account_without_its_password_is_asked_to_sign_in(
    api_client, acme, owner, existing
):
    _, token = invite(acme, owner, email=existing.email)
    response = api_client(acme).post(ACCEPT, {"token": token, "first_name": "Mallory"})
    assert response.status_code == 409
    assert error_code(response) == "login_required"
    assert not Membership.objects.filter(user=existing, tenant=acme).exists()


def test_an_existing_account_with_a_wrong_password_does_not_join(api_client, acme, owner, existing):
    _, token = invite(acme, owner, email=existing.email)
    response = api_client(acme).post(ACCEPT, {"token": token, "password": "Wrong-Horse-9"})
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    assert not Membership.objects.filter(user=existing, tenant=acme).exists()
    assert Invitation.objects.get(email=existing.email).status == "pending"
    existing.refresh_from_db()
    assert existing.first_name != "Mallory"


def test_an_unconfirmed_account_joins_and_its_address_counts_as_confirmed(
    api_client, acme, owner, password
):
    unconfirmed = UserFactory(email="late@example.test", email_verified_at=None)
    _, token = invite(acme, owner, email=unconfirmed.email)
    response = api_client(acme).post(ACCEPT, {"token": token, "password": password})
    assert response.status_code == 201, response.content
    unconfirmed.refresh_from_db()
    assert unconfirmed.is_email_verified


def test_an_unconfirmed_account_with_a_wrong_password_stays_unconfirmed(api_client, acme, owner):
    unconfirmed = UserFactory(email="late@example.test", email_verified_at=None)
    _, token = invite(acme, owner, email=unconfirmed.email)
    response = api_client(acme).post(ACCEPT, {"token": token, "password": "Wrong-Horse-9"})
    assert response.status_code == 401
    unconfirmed.refresh_from_db()
    assert not unconfirmed.is_email_verified


def test_a_member_signed_in_as_another_address_cannot_take_someone_elses_invitation(
    api_client, acme, owner, member
):
    _, token = invite(acme, owner, email="someone@example.test")
    student = member(acme, "student")
    response = api_client(acme, student.user).post(ACCEPT, {"token": token})
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert Invitation.objects.get(email="someone@example.test").status == "pending"
    assert Membership.objects.get(pk=student.pk).role == "student"


def test_a_deactivated_member_invited_back_is_reactivated_with_the_new_role(
    manager, api_client, acme, owner, member
):
    tutor = member(acme, "tutor")
    manager.post(f"{MEMBERS}{tutor.pk}/deactivate/")
    _, token = invite(acme, owner, email=tutor.user.email, role="staff")
    response = api_client(acme).post(ACCEPT, {"token": token, "password": PASSWORD})
    assert response.status_code == 201, response.content
    tutor.refresh_from_db()
    assert (tutor.role, tutor.is_active, tutor.deactivated_at) == ("staff", True, None)


# Listing --------------------------------------------------------------------------------


@pytest.fixture
def team(acme, member):
    member(acme, "admin", first_name="Ada", last_name="Lovelace")
    member(acme, "tutor", first_name="Tom", last_name="Tutor")
    member(acme, "tutor", first_name="Tina", last_name="Teach")
    gone = member(acme, "student", first_name="Sam", last_name="Gone")
    gone.is_active = False
    gone.save()


def emails(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [m["user"]["email"] for m in response.json()["results"]]


def test_the_member_list_shows_everyone_with_their_role_and_status(manager, team):
    body = manager.get(MEMBERS).json()
    assert body["count"] == 5
    first = body["results"][0]
    assert set(first) == {"id", "role", "is_active", "created_at", "user"}
    assert set(first["user"]) == {"id", "email", "first_name", "last_name"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"search": "lovelace"}, ["admin@acme.test"]),
        ({"search": "TINA"}, ["tutor1@acme.test"]),
        ({"search": "tutor"}, ["tutor1@acme.test", "tutor@acme.test"]),
        ({"role": "tutor"}, ["tutor1@acme.test", "tutor@acme.test"]),
        ({"active": "false"}, ["student@acme.test"]),
        ({"active": "true", "role": "student"}, []),
        ({"role": "owner", "search": "acme"}, ["owner@acme.test"]),
    ],
)
def test_the_member_list_filters_by_search_role_and_status(manager, team, query, expected):
    assert sorted(emails(manager.get(MEMBERS, query))) == sorted(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"role": "wizard"}, "role"),
        ({"active": "maybe"}, "active"),
        ({"search": "x" * 101}, "search"),
    ],
)
def test_bad_filters_are_field_errors(manager, query, field):
    assert field in field_errors(manager.get(MEMBERS, query))


def test_the_member_list_is_paginated(manager, team):
    first = manager.get(MEMBERS, {"page_size": 2}).json()
    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["next"] is not None
    third = manager.get(MEMBERS, {"page_size": 2, "page": 3}).json()
    assert len(third["results"]) == 1
    assert third["next"] is None
    seen = {
        m["id"]
        for page in (1, 2, 3)
        for m in manager.get(MEMBERS, {"page_size": 2, "page": page}).json()["results"]
    }
    assert len(seen) == 5
    assert manager.get(MEMBERS, {"page": 99}).status_code == 404


def test_the_member_list_costs_the_same_queries_for_3_or_30_members(
    manager, acme, member, django_assert_max_num_queries
):
    member(acme, "tutor")
    member(acme, "student")
    with CaptureQueriesContext(connection) as small:
        assert manager.get(MEMBERS).json()["count"] == 3
    for _ in range(27):
        member(acme, "student")
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = manager.get(MEMBERS, {"page_size": 30}).json()
    assert body["count"] == 30
    assert len(body["results"]) == 30


def test_the_invitation_list_costs_the_same_queries_for_1_or_10_invitations(
    manager, acme, owner, django_assert_max_num_queries
):
    invite(acme, owner, email="one@example.test")
    with CaptureQueriesContext(connection) as small:
        assert manager.get(INVITATIONS).json()["count"] == 1
    for n in range(9):
        invite(acme, owner, email=f"more{n}@example.test")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert manager.get(INVITATIONS).json()["count"] == 10


def test_one_member_can_be_read(manager, acme, member):
    tutor = member(acme, "tutor")
    body = manager.get(f"{MEMBERS}{tutor.pk}/").json()
    assert (body["id"], body["role"], body["user"]["email"]) == (
        tutor.pk,
        "tutor",
        "tutor@acme.test",
    )
    missing = manager.get(f"{MEMBERS}999999/")
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"


# Changing roles ---------------------------------------------------------------------------


def change_role(client, membership, role):
    return client.patch(f"{MEMBERS}{membership.pk}/", {"role": role})


def test_an_owner_changes_a_members_role_and_they_are_told(manager, acme, member):
    tutor = member(acme, "tutor")
    response = change_role(manager, tutor, "admin")
    assert response.status_code == 200
    assert response.json()["role"] == "admin"
    assert Membership.objects.get(pk=tutor.pk).role == "admin"
    entry = AuditEntry.objects.get(action="membership.role_changed")
    assert entry.data == {"from": "tutor", "to": "admin"}
    with schema_context(acme.schema_name):
        told = Notification.objects.get(user=tutor.user, event="membership.role_changed")
    assert "Admin" in told.title


def test_an_owner_can_make_another_owner(manager, acme, member):
    admin = member(acme, "admin")
    assert change_role(manager, admin, "owner").status_code == 200
    assert Membership.objects.filter(tenant=acme, role="owner").count() == 2


def test_an_admin_cannot_make_anyone_owner(api_client, acme, member):
    admin = member(acme, "admin")
    tutor = member(acme, "tutor")
    for target in (tutor, admin):
        response = change_role(api_client(acme, admin.user), target, "owner")
        assert response.status_code == 403
        assert error_code(response) == "permission_denied"
    assert Membership.objects.get(pk=tutor.pk).role == "tutor"
    assert Membership.objects.get(pk=admin.pk).role == "admin"


def test_an_admin_cannot_change_an_owners_role(api_client, acme, owner, member):
    admin = member(acme, "admin")
    response = change_role(api_client(acme, admin.user), owner, "student")
    assert response.status_code == 403
    assert Membership.objects.get(pk=owner.pk).role == "owner"


def test_an_admin_changes_other_roles(api_client, acme, member):
    admin = member(acme, "admin")
    other_admin = member(acme, "admin")
    assert change_role(api_client(acme, admin.user), other_admin, "tutor").status_code == 200
    assert Membership.objects.get(pk=other_admin.pk).role == "tutor"


def test_the_last_owner_cannot_step_down(manager, owner):
    response = change_role(manager, owner, "admin")
    assert response.status_code == 409
    assert error_code(response) == "last_owner"
    assert Membership.objects.get(pk=owner.pk).role == "owner"


def test_an_owner_can_step_down_once_there_is_another(manager, acme, owner, member):
    admin = member(acme, "admin")
    change_role(manager, admin, "owner")
    assert change_role(manager, owner, "admin").status_code == 200
    assert Membership.objects.filter(tenant=acme, role="owner", is_active=True).count() == 1


def test_a_deactivated_owners_role_can_change_while_an_active_owner_remains(
    manager, acme, owner, member
):
    former = MembershipFactory(
        tenant=acme, role="owner", is_active=False, user=UserFactory(email="former@acme.test")
    )
    response = change_role(manager, former, "tutor")
    assert response.status_code == 200, response.content
    assert Membership.objects.get(pk=former.pk).role == "tutor"
    assert Membership.objects.get(pk=owner.pk).role == "owner"


@pytest.mark.parametrize("data", [{"role": "wizard"}, {}, {"role": ""}])
def test_a_bad_role_is_a_field_error(manager, acme, member, data):
    tutor = member(acme, "tutor")
    assert "role" in field_errors(manager.patch(f"{MEMBERS}{tutor.pk}/", data))
    assert Membership.objects.get(pk=tutor.pk).role == "tutor"


def test_setting_the_same_role_changes_nothing_and_tells_no_one(manager, acme, member):
    tutor = member(acme, "tutor")
    assert change_role(manager, tutor, "tutor").status_code == 200
    assert not AuditEntry.objects.filter(action="membership.role_changed").exists()


# Deactivating and reactivating ------------------------------------------------------------


def test_an_owner_deactivates_a_member_and_their_access_ends(manager, api_client, acme, member):
    tutor = member(acme, "tutor")
    tutor_api = api_client(acme, tutor.user)
    response = manager.post(f"{MEMBERS}{tutor.pk}/deactivate/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    tutor.refresh_from_db()
    assert tutor.is_active is False
    assert tutor.deactivated_at is not None
    assert not TokenFamily.objects.filter(user=tutor.user, revoked_at__isnull=True).exists()
    assert tutor_api.get("/api/v1/me/").status_code == 401
    assert AuditEntry.objects.filter(action="membership.deactivated").count() == 1
    assert manager.get(MEMBERS, {"active": "false"}).json()["count"] == 1


def test_nobody_can_deactivate_themselves(manager, api_client, acme, owner, member):
    response = manager.post(f"{MEMBERS}{owner.pk}/deactivate/")
    assert response.status_code == 409
    assert error_code(response) == "self_deactivation"
    admin = member(acme, "admin")
    response = api_client(acme, admin.user).post(f"{MEMBERS}{admin.pk}/deactivate/")
    assert response.status_code == 409
    assert Membership.objects.filter(pk__in=[owner.pk, admin.pk], is_active=True).count() == 2


def test_an_admin_cannot_deactivate_or_reactivate_an_owner(api_client, acme, owner, member):
    admin = member(acme, "admin")
    response = api_client(acme, admin.user).post(f"{MEMBERS}{owner.pk}/deactivate/")
    assert response.status_code == 403
    assert Membership.objects.get(pk=owner.pk).is_active

    second = MembershipFactory(tenant=acme, role="owner", is_active=False)
    response = api_client(acme, admin.user).post(f"{MEMBERS}{second.pk}/reactivate/")
    assert response.status_code == 403
    assert not Membership.objects.get(pk=second.pk).is_active


def test_an_admin_deactivates_other_members(api_client, acme, member):
    admin = member(acme, "admin")
    tutor = member(acme, "tutor")
    assert api_client(acme, admin.user).post(f"{MEMBERS}{tutor.pk}/deactivate/").status_code == 200
    assert not Membership.objects.get(pk=tutor.pk).is_active


def test_an_owner_deactivates_another_owner(manager, acme, member):
    other = MembershipFactory(tenant=acme, role="owner")
    assert manager.post(f"{MEMBERS}{other.pk}/deactivate/").status_code == 200
    assert not Membership.objects.get(pk=other.pk).is_active


def test_reactivation_restores_access_and_tells_the_member(manager, api_client, acme, member):
    tutor = member(acme, "tutor")
    manager.post(f"{MEMBERS}{tutor.pk}/deactivate/")
    response = manager.post(f"{MEMBERS}{tutor.pk}/reactivate/")
    assert response.status_code == 200
    assert response.json()["is_active"] is True
    tutor.refresh_from_db()
    assert (tutor.is_active, tutor.deactivated_at) == (True, None)
    assert api_client(acme, tutor.user).get("/api/v1/me/").status_code == 200
    with schema_context(acme.schema_name):
        assert Notification.objects.filter(user=tutor.user, event="membership.reactivated").exists()


def test_deactivating_twice_or_reactivating_an_active_member_changes_nothing(manager, acme, member):
    tutor = member(acme, "tutor")
    manager.post(f"{MEMBERS}{tutor.pk}/deactivate/")
    assert manager.post(f"{MEMBERS}{tutor.pk}/deactivate/").status_code == 200
    assert AuditEntry.objects.filter(action="membership.deactivated").count() == 1
    student = member(acme, "student")
    assert manager.post(f"{MEMBERS}{student.pk}/reactivate/").status_code == 200
    assert not AuditEntry.objects.filter(action="membership.reactivated").exists()


# Revoking ---------------------------------------------------------------------------------


def test_revoking_an_invitation_removes_it_from_the_list(manager, acme, owner):
    invitation, _ = invite(acme, owner)
    assert manager.get(INVITATIONS).json()["count"] == 1
    response = manager.post(f"{INVITATIONS}{invitation.pk}/revoke/")
    assert response.status_code == 200
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert manager.get(INVITATIONS).json()["count"] == 0
    assert AuditEntry.objects.filter(action="invitation.revoked").count() == 1


def test_revoking_an_accepted_invitation_changes_nothing(
    manager, api_client, acme, owner, password
):
    invitation, token = invite(acme, owner)
    api_client(acme).post(ACCEPT, {"token": token, "first_name": "A", "password": password})
    response = manager.post(f"{INVITATIONS}{invitation.pk}/revoke/")
    assert response.json()["status"] == "accepted"
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_revoking_a_missing_invitation_is_not_found(manager):
    response = manager.post(f"{INVITATIONS}424242/revoke/")
    assert response.status_code == 404


# Two owners stepping down at the same moment ----------------------------------------------


def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    transactional_db, acme, owner, monkeypatch
):
    import threading
    import time

    from django.db import connections

    from accounts.services import memberships

    other = MembershipFactory(tenant=acme, role="owner", user=UserFactory(email="co@acme.test"))
    first_saved = threading.Event()
    real_audit = memberships.audit_record

    def slow_first_audit(**kwargs):
        # The first demotion holds its transaction open after writing, as a slow request would.
        if not first_saved.is_set():
            first_saved.set()
            time.sleep(0.5)
        return real_audit(**kwargs)

    monkeypatch.setattr(memberships, "audit_record", slow_first_audit)
    outcomes: dict[str, str] = {}

    def demote(name: str, target: Membership, actor: Membership) -> None:
        try:
            connections["default"].set_tenant(acme)
            memberships.membership_change_role(membership=target, role="admin", actor=actor)
            outcomes[name] = "demoted"
        except Exception as error:  # the refusal is the outcome under test
            outcomes[name] = getattr(error, "code", repr(error))
        finally:
            connections.close_all()

    first = threading.Thread(target=demote, args=("first", other, owner))
    second = threading.Thread(target=demote, args=("second", owner, other))
    first.start()
    assert first_saved.wait(timeout=10)
    second.start()
    first.join(timeout=10)
    second.join(timeout=10)

    assert outcomes == {"first": "demoted", "second": "last_owner"}
    assert Membership.objects.filter(tenant=acme, role="owner", is_active=True).count() == 1
