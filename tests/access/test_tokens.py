"""API tokens: bound to one tenant, short-lived, rotated, revoked by family, logout and reuse."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import TokenFamily
from accounts.services.memberships import membership_deactivate, membership_reactivate
from tests.access.conftest import bearer, error_code, move_to
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
LOGOUT_URL = "/api/v1/auth/logout/"
ME_URL = "/api/v1/me/"


def claims(raw: str) -> dict:
    return jwt.decode(raw, options={"verify_signature": False})


def sign_in(client, email: str, password: str):
    return client.post(TOKEN_URL, {"email": email, "password": password})


# Issuing -------------------------------------------------------------------------------


def test_signing_in_on_a_tenant_host_issues_a_pair_that_works_on_that_host(
    api_client, acme, owner, password
):
    client = api_client(acme)
    response = sign_in(client, owner.user.email, password)
    assert response.status_code == 200, response.content
    pair = response.json()
    assert set(pair) == {"access", "refresh"}

    bearer(client, pair["access"])
    me = client.get(ME_URL)
    assert me.status_code == 200
    assert me.json()["email"] == owner.user.email
    mine = client.get("/api/v1/me/membership/")
    assert mine.status_code == 200
    assert mine.json()["role"] == "owner"


def test_tokens_carry_the_tenant_and_the_sign_in_they_belong_to(api_client, acme, owner, password):
    pair = sign_in(api_client(acme), owner.user.email, password).json()
    access, refresh = claims(pair["access"]), claims(pair["refresh"])
    assert access["tenant"] == refresh["tenant"] == "acme"
    assert access["fam"] == refresh["fam"]
    family = TokenFamily.objects.get(pk=access["fam"])
    assert (family.user, family.tenant, family.revoked_at) == (owner.user, acme, None)


def test_each_sign_in_starts_its_own_family(api_client, acme, owner, password):
    first = sign_in(api_client(acme), owner.user.email, password).json()
    second = sign_in(api_client(acme), owner.user.email, password).json()
    assert claims(first["access"])["fam"] != claims(second["access"])["fam"]
    assert TokenFamily.objects.filter(user=owner.user, tenant=acme).count() == 2


def test_a_non_member_gets_no_token_on_that_tenants_host(api_client, acme, globex, password):
    outsider = "owner@globex.test"
    response = sign_in(api_client(acme), outsider, password)
    assert response.status_code == 403
    assert error_code(response) == "not_a_member"
    assert not TokenFamily.objects.filter(user__email=outsider, tenant=acme).exists()


@pytest.mark.parametrize(
    ("data", "fields"),
    [({"email": "owner@acme.test"}, {"password"}), ({}, {"email", "password"})],
)
def test_signing_in_without_a_password_is_a_field_error(api_client, acme, data, fields):
    response = api_client(acme).post(TOKEN_URL, data)
    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert set(response.json()["error"]["fields"]) == fields
    assert not TokenFamily.objects.exists()


def test_a_wrong_password_gets_no_token(api_client, acme, owner):
    response = sign_in(api_client(acme), owner.user.email, "Wrong-Horse-9")
    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    assert not TokenFamily.objects.filter(user=owner.user).exists()


# Bound to one tenant --------------------------------------------------------------------


def test_an_acme_token_is_refused_on_globexs_host(api_client, acme, globex, owner):
    client = api_client(acme, owner.user)
    move_to(client, globex)
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "wrong_tenant"


def test_a_member_of_both_tenants_still_cannot_use_one_tenants_token_on_the_other(
    api_client, acme, globex, owner
):
    MembershipFactory(user=owner.user, tenant=globex, role="owner")
    client = api_client(acme, owner.user)
    move_to(client, globex)
    response = client.get("/api/v1/team/members/")
    assert response.status_code == 401
    assert error_code(response) == "wrong_tenant"


def test_a_root_domain_token_is_refused_on_a_tenant_host_and_the_reverse(
    api_client, public_tenant, acme, owner
):
    root = api_client(None, owner.user)
    move_to(root, acme)
    refused = root.get(ME_URL)
    assert refused.status_code == 401
    assert error_code(refused) == "wrong_tenant"

    tenant = api_client(acme, owner.user)
    move_to(tenant, public_tenant)
    refused = tenant.get("/api/v1/me/memberships/")
    assert refused.status_code == 401
    assert error_code(refused) == "wrong_tenant"


def test_a_token_made_without_a_sign_in_family_is_refused(api_client, acme, owner):
    token = AccessToken.for_user(owner.user)
    token["tenant"] = acme.schema_name
    client = api_client(acme)
    bearer(client, str(token))
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "token_revoked"


# Refresh and reuse ----------------------------------------------------------------------


def test_refresh_rotates_the_pair_and_the_new_pair_works(api_client, acme, owner):
    client = api_client(acme, owner.user)
    old = client.tokens
    response = client.post(REFRESH_URL, {"refresh": old["refresh"]})
    assert response.status_code == 200, response.content
    new = response.json()
    assert new["refresh"] != old["refresh"]
    assert claims(new["refresh"])["fam"] == claims(old["refresh"])["fam"]
    assert BlacklistedToken.objects.filter(token__jti=claims(old["refresh"])["jti"]).exists()

    bearer(client, new["access"])
    assert client.get(ME_URL).status_code == 200
    assert client.post(REFRESH_URL, {"refresh": new["refresh"]}).status_code == 200


def test_reusing_a_rotated_refresh_token_ends_the_whole_sign_in(api_client, acme, owner):
    client = api_client(acme, owner.user)
    stolen = client.tokens["refresh"]
    newest = client.post(REFRESH_URL, {"refresh": stolen}).json()

    replay = client.post(REFRESH_URL, {"refresh": stolen})
    assert replay.status_code == 401
    assert error_code(replay) == "token_reused"

    family = TokenFamily.objects.get(pk=claims(stolen)["fam"])
    assert family.revoked_at is not None
    assert family.revoked_reason == "refresh_token_reused"
    bearer(client, newest["access"])
    refused = client.get(ME_URL)
    assert refused.status_code == 401
    assert error_code(refused) == "token_revoked"
    again = client.post(REFRESH_URL, {"refresh": newest["refresh"]})
    assert again.status_code == 401
    assert error_code(again) == "token_revoked"


def test_reuse_ends_only_that_sign_in_not_the_users_other_sessions(api_client, acme, owner):
    phone = api_client(acme, owner.user)
    laptop = api_client(acme, owner.user)
    stolen = phone.tokens["refresh"]
    phone.post(REFRESH_URL, {"refresh": stolen})
    phone.post(REFRESH_URL, {"refresh": stolen})
    assert laptop.get(ME_URL).status_code == 200


def test_reuse_is_caught_even_several_rotations_later(api_client, acme, owner):
    client = api_client(acme, owner.user)
    first = client.tokens["refresh"]
    second = client.post(REFRESH_URL, {"refresh": first}).json()["refresh"]
    client.post(REFRESH_URL, {"refresh": second})
    replay = client.post(REFRESH_URL, {"refresh": first})
    assert replay.status_code == 401
    assert error_code(replay) == "token_reused"


def test_a_refresh_token_of_one_tenant_is_refused_on_another_and_not_spent(
    api_client, acme, globex, owner
):
    client = api_client(acme, owner.user)
    refresh = client.tokens["refresh"]
    move_to(client, globex)
    refused = client.post(REFRESH_URL, {"refresh": refresh})
    assert refused.status_code == 401
    assert error_code(refused) == "wrong_tenant"
    move_to(client, acme)
    assert client.post(REFRESH_URL, {"refresh": refresh}).status_code == 200


def test_an_access_token_is_not_accepted_as_a_refresh_token(api_client, acme, owner):
    client = api_client(acme, owner.user)
    response = client.post(REFRESH_URL, {"refresh": client.tokens["access"]})
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


def test_a_refresh_token_is_not_accepted_as_an_access_token(api_client, acme, owner):
    client = api_client(acme, owner.user)
    bearer(client, client.tokens["refresh"])
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


def test_refresh_without_a_token_is_a_field_error(api_client, acme):
    response = api_client(acme).post(REFRESH_URL, {})
    assert response.status_code == 400
    assert error_code(response) == "invalid"
    assert "refresh" in response.json()["error"]["fields"]


# Logout ---------------------------------------------------------------------------------


def test_logout_blacklists_the_refresh_token_and_ends_the_sign_in(api_client, acme, owner):
    client = api_client(acme, owner.user)
    other_session = api_client(acme, owner.user)
    pair = client.tokens
    response = client.post(LOGOUT_URL, {"refresh": pair["refresh"]})
    assert response.status_code == 204

    assert BlacklistedToken.objects.filter(token__jti=claims(pair["refresh"])["jti"]).exists()
    family = TokenFamily.objects.get(pk=claims(pair["refresh"])["fam"])
    assert family.revoked_reason == "logout"
    refused = client.get(ME_URL)
    assert refused.status_code == 401
    assert error_code(refused) == "token_revoked"
    refresh = client.post(REFRESH_URL, {"refresh": pair["refresh"]})
    assert refresh.status_code == 401
    assert error_code(refresh) == "token_revoked"
    assert other_session.get(ME_URL).status_code == 200


def test_logout_with_another_tenants_refresh_token_is_refused(api_client, acme, globex, owner):
    client = api_client(acme, owner.user)
    move_to(client, globex)
    response = client.post(LOGOUT_URL, {"refresh": client.tokens["refresh"]})
    assert response.status_code == 401
    assert error_code(response) == "wrong_tenant"
    assert TokenFamily.objects.get(pk=claims(client.tokens["refresh"])["fam"]).revoked_at is None


def test_logout_with_garbage_is_refused(api_client, acme):
    response = api_client(acme).post(LOGOUT_URL, {"refresh": "not-a-token"})
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


# Lifetimes and expiry -------------------------------------------------------------------


def test_access_tokens_live_minutes_and_refresh_tokens_a_day(api_client, acme, owner):
    pair = api_client(acme, owner.user).tokens
    access, refresh = claims(pair["access"]), claims(pair["refresh"])
    assert 0 < access["exp"] - access["iat"] <= 15 * 60
    assert refresh["exp"] - refresh["iat"] == 24 * 60 * 60
    assert settings.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"] is True
    assert settings.SIMPLE_JWT["BLACKLIST_AFTER_ROTATION"] is True


def _expired(raw: str, token_class) -> str:
    token = token_class(raw)
    token.set_iat(at_time=timezone.now() - timedelta(days=2))
    token.set_exp(from_time=timezone.now() - timedelta(days=2))
    return str(token)


def test_an_expired_access_token_is_refused(api_client, acme, owner):
    client = api_client(acme, owner.user)
    bearer(client, _expired(client.tokens["access"], AccessToken))
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


def test_an_expired_refresh_token_is_refused(api_client, acme, owner):
    client = api_client(acme, owner.user)
    response = client.post(
        REFRESH_URL, {"refresh": _expired(client.tokens["refresh"], RefreshToken)}
    )
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


# Malformed credentials ------------------------------------------------------------------


FOREIGN_KEY = "a-key-that-is-not-ours-and-long-enough-for-hs256"


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("Bearer garbage", "token_not_valid"),
        ("Bearer a.b.c", "token_not_valid"),
        (
            "Bearer " + jwt.encode({"user_id": 1, "token_type": "access"}, FOREIGN_KEY),
            "token_not_valid",
        ),
        ("Bearer one two", "bad_authorization_header"),
    ],
)
def test_garbage_bearer_tokens_get_a_401_in_the_error_format(api_client, acme, header, code):
    client = api_client(acme)
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == code
    message = response.json()["error"]["message"]
    assert message
    assert "{" not in message
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_token_with_a_forged_tenant_claim_is_refused(api_client, acme, globex, owner):
    payload = claims(api_client(acme, owner.user).tokens["access"])
    payload["tenant"] = globex.schema_name
    client = api_client(globex)
    bearer(client, jwt.encode(payload, FOREIGN_KEY, algorithm="HS256"))
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "token_not_valid"


def test_no_credentials_at_all_get_a_401_asking_for_a_bearer_token(api_client, acme):
    response = api_client(acme).get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


# Losing access --------------------------------------------------------------------------


def test_deactivating_a_member_stops_their_tokens_at_once(api_client, acme, owner, member):
    tutor = member(acme, "tutor")
    client = api_client(acme, tutor.user)
    assert client.get(ME_URL).status_code == 200

    membership_deactivate(membership=tutor, actor=owner)

    refused = client.get(ME_URL)
    assert refused.status_code == 401
    assert error_code(refused) == "token_revoked"
    refresh = client.post(REFRESH_URL, {"refresh": client.tokens["refresh"]})
    assert refresh.status_code == 401
    assert error_code(refresh) == "token_revoked"


def test_deactivation_in_one_tenant_leaves_the_users_tokens_elsewhere_alone(
    api_client, acme, globex, owner, member
):
    tutor = member(acme, "tutor")
    MembershipFactory(user=tutor.user, tenant=globex, role="tutor")
    at_globex = api_client(globex, tutor.user)
    membership_deactivate(membership=tutor, actor=owner)
    assert at_globex.get(ME_URL).status_code == 200


def test_a_deactivated_member_gets_no_new_token(api_client, acme, owner, member, password):
    tutor = member(acme, "tutor")
    membership_deactivate(membership=tutor, actor=owner)
    response = sign_in(api_client(acme), tutor.user.email, password)
    assert response.status_code == 403
    assert error_code(response) == "not_a_member"


def test_reactivation_does_not_bring_old_tokens_back(api_client, acme, owner, member):
    tutor = member(acme, "tutor")
    client = api_client(acme, tutor.user)
    membership_deactivate(membership=tutor, actor=owner)
    membership_reactivate(membership=tutor, actor=owner)
    assert client.get(ME_URL).status_code == 401
    assert api_client(acme, tutor.user).get(ME_URL).status_code == 200


def test_a_deactivated_members_web_session_ends_on_their_next_request(
    web_client, acme, owner, member
):
    tutor = member(acme, "tutor")
    browser = web_client(acme, tutor.user)
    assert browser.get("/dashboard/").status_code == 200

    membership_deactivate(membership=tutor, actor=owner)

    response = browser.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in browser.session
    assert browser.get("/notifications/").status_code == 302


def test_a_user_disabled_platform_wide_is_refused_with_a_live_token(api_client, acme, member):
    tutor = member(acme, "tutor")
    client = api_client(acme, tutor.user)
    tutor.user.is_active = False
    tutor.user.save(update_fields=["is_active"])
    response = client.get(ME_URL)
    assert response.status_code == 401
    assert error_code(response) == "user_inactive"
