"""The API's common ground: one error format, page-number pagination, throttles."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from rest_framework.throttling import SimpleRateThrottle

from notifications.models import Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _error(response) -> dict:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"status", "code", "message", "fields"}
    assert body["error"]["status"] == response.status_code
    return body["error"]


@pytest.fixture
def many_notifications(owner):
    """``many_notifications(n)`` → n notifications for acme's owner, newest first."""

    def make(count: int) -> None:
        with tenant_context(owner.tenant):
            Notification.objects.bulk_create(
                Notification(user=owner.user, email=owner.user.email, event="x", title=f"N{i}")
                for i in range(count)
            )

    return make


# Errors ---------------------------------------------------------------------------------


def test_bad_input_is_a_400_with_messages_per_field(api_client, owner):
    response = api_client(owner.tenant, owner.user).post(
        "/api/v1/notifications/read/", {"ids": ["x", 0]}, format="json"
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "invalid"
    assert error["message"] == "Some of the data sent is not valid."
    assert error["fields"] == {
        "ids": [
            "0: A valid integer is required.",
            "1: Ensure this value is greater than or equal to 1.",
        ]
    }


def test_a_services_field_error_keeps_its_field(api_client, public_tenant):
    taken = UserFactory(email="taken@example.test")
    response = api_client(public_tenant).post(
        "/api/v1/auth/register/",
        {"email": taken.email, "password": "Correct-Horse-99", "first_name": "Ann"},
        format="json",
    )
    assert response.status_code == 400
    assert _error(response)["fields"] == {
        "email": ["An account with this email address already exists."]
    }


def test_a_refused_rule_is_an_error_with_its_own_code(api_client, public_tenant):
    response = api_client(public_tenant).post(
        "/api/v1/auth/verify-email/", {"token": "forged"}, format="json"
    )
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "link_invalid"
    assert error["message"] == "This link is not valid."
    assert error["fields"] == {}


def test_malformed_json_is_a_parse_error(api_client, owner):
    response = api_client(owner.tenant, owner.user).post(
        "/api/v1/notifications/read/", data='{"ids": [1,', content_type="application/json"
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


def test_no_token_is_a_401_that_names_the_scheme(api_client, acme):
    response = api_client(acme).get("/api/v1/notifications/")
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_garbled_token_is_a_401(api_client, acme):
    client = api_client(acme)
    client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = client.get("/api/v1/notifications/")
    assert response.status_code == 401
    assert _error(response)["code"] == "token_not_valid"


def test_a_token_for_another_tenant_is_refused(api_client, owner, globex):
    client = api_client(owner.tenant, owner.user)
    response = client.get("/api/v1/notifications/", HTTP_HOST="globex.localhost")
    assert response.status_code == 401
    assert _error(response)["code"] == "wrong_tenant"


def test_a_member_without_the_role_gets_a_403(api_client, acme, member):
    student = member(acme, "student")
    response = api_client(acme, student.user).get("/api/v1/team/members/")
    assert response.status_code == 403
    assert _error(response)["code"] == "permission_denied"


def test_a_missing_object_is_a_404(api_client, owner):
    response = api_client(owner.tenant, owner.user).get("/api/v1/team/members/999999/")
    assert response.status_code == 404
    error = _error(response)
    assert error["code"] == "not_found"


def test_a_wrong_method_is_a_405(api_client, owner):
    response = api_client(owner.tenant, owner.user).delete("/api/v1/notifications/")
    assert response.status_code == 405
    assert _error(response)["code"] == "method_not_allowed"


def test_too_many_failed_sign_ins_are_a_429_with_retry_after(api_client, owner):
    client = api_client(owner.tenant)
    attempt = {"email": owner.user.email, "password": "wrong-password"}
    statuses = [
        client.post("/api/v1/auth/token/", attempt, format="json").status_code for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    response = client.post("/api/v1/auth/token/", attempt, format="json")
    assert response.status_code == 429
    assert _error(response)["code"] == "throttled"
    assert 0 < int(response["Retry-After"]) <= 900


# Pagination -----------------------------------------------------------------------------


def test_lists_come_in_pages_of_25_with_links(api_client, owner, many_notifications):
    many_notifications(30)
    client = api_client(owner.tenant, owner.user)
    first = client.get("/api/v1/notifications/").json()
    assert first["count"] == 30
    assert len(first["results"]) == 25
    assert first["previous"] is None
    assert first["next"] == "http://acme.localhost/api/v1/notifications/?page=2"
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None
    seen = {item["id"] for item in first["results"]} | {item["id"] for item in second["results"]}
    assert len(seen) == 30


def test_the_client_chooses_the_page_size(api_client, owner, many_notifications):
    many_notifications(12)
    body = api_client(owner.tenant, owner.user).get("/api/v1/notifications/?page_size=5").json()
    assert len(body["results"]) == 5
    assert body["next"] == "http://acme.localhost/api/v1/notifications/?page=2&page_size=5"


def test_the_page_size_is_capped_at_100(api_client, owner, many_notifications):
    many_notifications(105)
    body = api_client(owner.tenant, owner.user).get("/api/v1/notifications/?page_size=1000").json()
    assert len(body["results"]) == 100
    assert body["count"] == 105


@pytest.mark.parametrize("page_size", ["0", "-3", "lots"])
def test_a_nonsense_page_size_falls_back_to_the_default(
    api_client, owner, many_notifications, page_size
):
    many_notifications(30)
    response = api_client(owner.tenant, owner.user).get(
        f"/api/v1/notifications/?page_size={page_size}"
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 25


@pytest.mark.parametrize("page", ["9", "0", "abc"])
def test_a_page_that_does_not_exist_is_a_404(api_client, owner, many_notifications, page):
    many_notifications(3)
    response = api_client(owner.tenant, owner.user).get(f"/api/v1/notifications/?page={page}")
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_a_page_costs_the_same_queries_whatever_its_size(api_client, owner, many_notifications):
    many_notifications(100)
    client = api_client(owner.tenant, owner.user)
    counts = []
    for size in (5, 100):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/notifications/?page_size={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# Throttling -----------------------------------------------------------------------------


@pytest.fixture
def low_throttle_rates(monkeypatch):
    # DRF reads the rates once, when the throttle classes are defined.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "4/min"})


def test_anonymous_callers_are_throttled_with_retry_after(
    api_client, public_tenant, low_throttle_rates
):
    client = api_client(public_tenant)
    for _ in range(3):
        assert client.post("/api/v1/auth/verify-email/", {"token": "x"}).status_code == 400
    response = client.post("/api/v1/auth/verify-email/", {"token": "x"})
    assert response.status_code == 429
    error = _error(response)
    assert error["code"] == "throttled"
    assert "throttled" in error["message"]
    assert 0 < int(response["Retry-After"]) <= 60


def test_each_signed_in_user_has_their_own_allowance(
    api_client, owner, acme, member, low_throttle_rates
):
    tutor = member(acme, "tutor")
    busy = api_client(acme, owner.user)
    statuses = [busy.get("/api/v1/notifications/").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    assert api_client(acme, tutor.user).get("/api/v1/notifications/").status_code == 200


def test_switching_agency_hosts_does_not_reset_an_anonymous_allowance(
    api_client, acme, globex, low_throttle_rates
):
    on_acme, on_globex = api_client(acme), api_client(globex)
    for _ in range(3):
        assert on_acme.post("/api/v1/auth/verify-email/", {"token": "x"}).status_code == 400
    assert on_globex.post("/api/v1/auth/verify-email/", {"token": "x"}).status_code == 429


def test_nested_error_details_keep_their_code_and_a_plain_message(rf):
    from rest_framework import exceptions

    from api.errors import exception_handler

    error = exceptions.AuthenticationFailed(
        {
            "detail": "Given token not valid for any token type",
            "code": "token_not_valid",
            "messages": [{"token_class": "AccessToken", "message": "Token is expired"}],
        }
    )
    response = exception_handler(error, {"request": rf.get("/")})
    assert response.status_code == 401
    assert response.data["error"]["code"] == "token_not_valid"
    assert response.data["error"]["message"] == "Given token not valid for any token type"
