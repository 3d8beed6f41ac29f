"""The payouts, billing settings and pay rates API."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from billing.models import BillingSettings, TutorPayRate
from connect.models import ConnectedAccount
from connect.services import account_sync
from tests.access.conftest import error_code, field_errors, move_to
from tests.billing.connect.conftest import account_creates, route

pytestmark = pytest.mark.django_db

CONNECT = "/api/v1/billing/connect/"


def test_a_manager_onboards_the_agency_through_the_api(fake_stripe, api_client, acme, people):
    client = api_client(acme, people.owner.user)
    before = client.get(CONNECT)
    assert before.status_code == 200
    assert before.json()["tutors_paid_directly"] is False
    ((row),) = before.json()["accounts"]
    assert (row["owner"], row["status"], row["stripe_id"]) == ("agency", "not_started", "")

    started = client.post(f"{CONNECT}start/", {"owner": "agency"}, format="json")
    assert started.status_code == 200, started.content
    account = ConnectedAccount.objects.get(tenant=acme)
    assert started.json()["url"].startswith(f"{fake_stripe.url}/setup/e/{account.stripe_id}/")
    again = client.post(f"{CONNECT}start/", {"owner": "agency"}, format="json")
    assert again.status_code == 200
    assert len(account_creates(fake_stripe)) == 1

    early = client.post(f"{CONNECT}dashboard/", {"owner": "agency"}, format="json")
    assert (early.status_code, error_code(early)) == (409, "account_not_ready")

    fake_stripe.account_complete(account.stripe_id)
    account_sync(account)
    ((row),) = client.get(CONNECT).json()["accounts"]
    assert (row["status"], row["can_receive"], row["requirements_due"]) == ("enabled", True, [])
    dashboard = client.post(f"{CONNECT}dashboard/", {"owner": "agency"}, format="json")
    assert dashboard.status_code == 200
    assert dashboard.json() == {"url": f"{fake_stripe.url}/express/{account.stripe_id}"}


def test_a_tutor_sees_their_own_account_only_when_paid_directly(
    fake_stripe, api_client, acme, people
):
    client = api_client(acme, people.tutor.user)
    body = client.get(CONNECT).json()
    assert body == {"tutors_paid_directly": False, "accounts": []}
    refused = client.post(f"{CONNECT}start/", {"owner": "me"}, format="json")
    assert (refused.status_code, error_code(refused)) == (403, "permission_denied")

    route(acme, "tutors")
    assert [a["owner"] for a in client.get(CONNECT).json()["accounts"]] == ["me"]
    assert client.post(f"{CONNECT}start/", {"owner": "me"}, format="json").status_code == 200


@pytest.mark.parametrize("who", ["student", "parent", "staff"])
def test_people_without_payouts_get_403(fake_stripe, api_client, acme, people, who):
    client = api_client(acme, getattr(people, who).user)
    assert error_code(client.get(CONNECT)) == "permission_denied"
    for action in ("start", "dashboard"):
        response = client.post(f"{CONNECT}{action}/", {"owner": "agency"}, format="json")
        assert (response.status_code, error_code(response)) == (403, "permission_denied")
    assert fake_stripe.requests == []


def test_a_bad_owner_is_a_field_error(fake_stripe, api_client, acme, people):
    client = api_client(acme, people.owner.user)
    assert set(field_errors(client.post(f"{CONNECT}start/", {}, format="json"))) == {"owner"}
    response = client.post(f"{CONNECT}dashboard/", {"owner": "all"}, format="json")
    assert set(field_errors(response)) == {"owner"}


def test_another_tenants_token_is_refused(fake_stripe, api_client, acme, globex, people):
    client = api_client(acme, people.owner.user)
    move_to(client, globex)
    response = client.post(f"{CONNECT}start/", {"owner": "agency"}, format="json")
    assert (response.status_code, error_code(response)) == (401, "wrong_tenant")
    assert not ConnectedAccount.objects.exists()


# Settings ---------------------------------------------------------------------------------


def test_managers_read_and_change_the_settings(api_client, acme, people):
    client = api_client(acme, people.admin.user)
    body = client.get("/api/v1/billing/settings/").json()
    assert (body["commission_basis_points"], body["platform_fee_basis_points"]) == (2000, 1000)
    assert body["example"] == {
        "amount_minor": 10000,
        "currency": "USD",
        "platform_fee_minor": 1000,
        "agency_commission_minor": 2000,
        "tutor_earnings_minor": 7000,
        "payout_route": "agency",
    }

    changed = client.patch(
        "/api/v1/billing/settings/",
        {"payout_route": "tutors", "commission_basis_points": 1500, "invoice_prefix": "AC"},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert (body["payout_route"], body["commission_basis_points"], body["invoice_prefix"]) == (
        "tutors",
        1500,
        "AC",
    )
    assert body["example"]["agency_commission_minor"] == 1500
    with tenant_context(acme):
        assert BillingSettings.current().payout_route == "tutors"


def test_bad_settings_are_field_errors(api_client, acme, people):
    client = api_client(acme, people.owner.user)
    response = client.patch(
        "/api/v1/billing/settings/",
        {
            "invoice_prefix": "in v",
            "brand_color": "#zzzzzz",
            "commission_basis_points": 10001,
            "commission_mode": "most",
        },
        format="json",
    )
    # The shape first (types, ranges, choices), then the service's rules.
    assert set(field_errors(response)) == {"commission_basis_points", "commission_mode"}
    response = client.patch(
        "/api/v1/billing/settings/", {"invoice_prefix": "in v", "brand_color": "#zz"}, format="json"
    )
    assert set(field_errors(response)) == {"invoice_prefix", "brand_color"}
    with tenant_context(acme):
        assert BillingSettings.current().invoice_prefix == "INV"


@pytest.mark.parametrize("who", ["staff", "tutor", "student"])
def test_only_managers_use_the_settings_api(api_client, acme, people, tutor_profile, who):
    client = api_client(acme, getattr(people, who).user)
    for method, path in (
        ("get", "/api/v1/billing/settings/"),
        ("patch", "/api/v1/billing/settings/"),
        ("get", "/api/v1/billing/pay-rates/"),
        ("put", f"/api/v1/billing/pay-rates/{tutor_profile.pk}/"),
        ("delete", f"/api/v1/billing/pay-rates/{tutor_profile.pk}/"),
    ):
        response = getattr(client, method)(path, {"hourly_pay_minor": 1}, format="json")
        assert (response.status_code, error_code(response)) == (403, "permission_denied"), path


def test_the_marketplace_has_no_settings_or_pay_rates(api_client, marketplace, member):
    client = api_client(marketplace, member(marketplace, "owner").user)
    assert client.get("/api/v1/billing/settings/").status_code == 404
    assert client.get("/api/v1/billing/pay-rates/").status_code == 404


def test_pay_rates_are_listed_set_and_removed(api_client, acme, people, tutor_profile):
    client = api_client(acme, people.owner.user)
    listed = client.get("/api/v1/billing/pay-rates/").json()
    assert listed["results"] == [
        {
            "tutor_id": tutor_profile.pk,
            "tutor_name": "Theo Turner",
            "hourly_pay_minor": None,
            "currency": None,
        }
    ]
    url = f"/api/v1/billing/pay-rates/{tutor_profile.pk}/"
    put = client.put(url, {"hourly_pay_minor": 3500}, format="json")
    assert put.status_code == 200, put.content
    assert (put.json()["hourly_pay_minor"], put.json()["currency"]) == (3500, "USD")
    assert client.get(url).json()["hourly_pay_minor"] == 3500

    bad = client.put(url, {"hourly_pay_minor": -1, "currency": "EU"}, format="json")
    assert set(field_errors(bad)) == {"hourly_pay_minor", "currency"}
    bad = client.put(url, {"hourly_pay_minor": 10, "currency": "e1r"}, format="json")
    assert set(field_errors(bad)) == {"currency"}

    assert client.delete(url).status_code == 204
    with tenant_context(acme):
        assert not TutorPayRate.objects.exists()
    assert client.get("/api/v1/billing/pay-rates/999999/").status_code == 404
    assert (
        client.put("/api/v1/billing/pay-rates/999999/", {"hourly_pay_minor": 1}).status_code == 404
    )
