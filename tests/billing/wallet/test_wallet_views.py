"""The wallet page and API: a tutor's own wallet, the agency's for its owners and admins
(with each tutor's balance where tutors are paid directly), withdrawing from either."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from billing.models import BillingSettings, Withdrawal
from tests.billing.wallet.conftest import COMMISSION, EARNINGS

pytestmark = pytest.mark.django_db

PAGE = "/billing/wallet/"
WITHDRAW = "/billing/wallet/withdraw/"
API_WALLET = "/api/v1/billing/wallet/"
API_WITHDRAWALS = "/api/v1/billing/withdrawals/"


# The page ----------------------------------------------------------------------------------


def test_a_tutor_sees_their_balances(web_client, acme, tutor, earned):
    earned()
    earned("held")
    html = web_client(acme, tutor.user).get(PAGE).content.decode()
    assert "GBP 28.00" in html  # available and pending: one class each
    assert 'data-testid="wallet-no-account"' in html
    assert 'data-testid="tutor-wallets"' not in html


def test_a_tutor_withdraws_typing_major_units(
    web_client, acme, tutor, earned, payout_account, django_capture_on_commit_callbacks
):
    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    client = web_client(acme, tutor.user)
    assert 'data-testid="withdraw-form"' in client.get(PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(WITHDRAW, {"withdraw-amount": "12.50", "withdraw-currency": "GBP"})
    assert response.status_code == 302
    with tenant_context(acme):
        withdrawal = Withdrawal.objects.get()
    assert (withdrawal.amount_minor, withdrawal.status) == (1250, Withdrawal.Status.PENDING)
    assert "GBP 12.50" in client.get(PAGE).content.decode()


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("28.01", "At most GBP 28.00 is available."),
        ("1.005", "Use at most 2 decimals for GBP."),
        ("0", "Enter an amount above zero."),
        ("lots", "Enter a number."),
    ],
)
def test_a_bad_amount_is_shown_on_the_form(
    web_client, acme, tutor, earned, payout_account, amount, message
):
    earned()
    payout_account(user=tutor.user)
    response = web_client(acme, tutor.user).post(
        WITHDRAW,
        {"withdraw-amount": amount, "withdraw-currency": "GBP"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(acme):
        assert not Withdrawal.objects.exists()


def test_withdrawing_without_a_payout_account_says_why(web_client, acme, tutor, earned):
    earned()
    response = web_client(acme, tutor.user).post(
        WITHDRAW, {"withdraw-amount": "10", "withdraw-currency": "GBP"}
    )
    assert response.status_code == 409
    assert "payout account" in response.content.decode()


def test_the_agency_sees_its_wallet_and_each_tutors_where_tutors_are_paid_directly(
    web_client, acme, owner, earned
):
    earned()
    with tenant_context(acme):
        BillingSettings.objects.update_or_create(pk=1, defaults={"payout_route": "tutors"})
    html = web_client(acme, owner.user).get(PAGE).content.decode()
    assert "GBP 8.00" in html
    assert 'data-testid="tutor-wallets"' in html
    assert "Theo Turner" in html


@pytest.mark.parametrize("role", ["staff", "student", "parent"])
def test_others_have_no_wallet_page(web_client, acme, member, role):
    assert web_client(acme, member(acme, role).user).get(PAGE).status_code == 403


def test_someone_of_another_tenant_is_refused(web_client, acme, globex, member):
    outsider = member(globex, "tutor")
    assert web_client(acme, outsider.user).get(PAGE).status_code in (302, 403)


# The API -----------------------------------------------------------------------------------


def test_the_api_shows_the_tutors_wallet(api_client, acme, tutor, earned, payout_account):
    earned()
    payout_account(user=tutor.user)
    body = api_client(acme, tutor.user).get(API_WALLET).json()
    assert body["payee"] == "tutor"
    assert body["payout_account_ready"] is True
    assert body["balances"] == [
        {
            "currency": "GBP",
            "pending_minor": 0,
            "available_minor": EARNINGS,
            "in_flight_minor": 0,
            "paid_out_minor": 0,
        }
    ]


def test_the_api_shows_the_agency_its_wallet_and_tutors(api_client, acme, owner, earned):
    earned("held")
    with tenant_context(acme):
        BillingSettings.objects.update_or_create(pk=1, defaults={"payout_route": "tutors"})
    body = api_client(acme, owner.user).get(API_WALLET).json()
    assert body["payee"] == "agency"
    assert body["balances"][0]["pending_minor"] == COMMISSION
    assert [(t["name"], t["pending_minor"]) for t in body["tutors"]] == [("Theo Turner", EARNINGS)]


def test_the_api_withdraws_and_lists_withdrawals(
    api_client, acme, tutor, earned, payout_account, django_capture_on_commit_callbacks
):
    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    client = api_client(acme, tutor.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(API_WITHDRAWALS, {"amount_minor": 2000, "currency": "gbp"})
    assert response.status_code == 201, response.content
    assert response.json()["amount_minor"] == 2000
    assert response.json()["currency"] == "GBP"
    (row,) = client.get(API_WITHDRAWALS).json()["results"]
    assert row["status"] == "pending"
    assert row["payout_id"].startswith("po_")


def test_the_api_refuses_more_than_is_available_on_the_amount(
    api_client, acme, tutor, earned, payout_account
):
    earned()
    payout_account(user=tutor.user)
    response = api_client(acme, tutor.user).post(
        API_WITHDRAWALS, {"amount_minor": EARNINGS + 1, "currency": "GBP"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["amount_minor"] == ["At most GBP 28.00 is available."]


def test_the_api_says_409_without_a_payout_account(api_client, acme, tutor, earned):
    earned()
    response = api_client(acme, tutor.user).post(
        API_WITHDRAWALS, {"amount_minor": 100, "currency": "GBP"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payout_account_not_ready"


@pytest.mark.parametrize("role", ["staff", "student", "parent"])
def test_the_api_refuses_people_without_a_wallet(api_client, acme, member, role):
    client = api_client(acme, member(acme, role).user)
    assert client.get(API_WALLET).status_code == 403
    assert client.get(API_WITHDRAWALS).status_code == 403
    assert client.post(API_WITHDRAWALS, {"amount_minor": 1, "currency": "GBP"}).status_code == 403


def test_the_api_refuses_another_tenants_token(api_client, acme, globex, member):
    outsider = member(globex, "owner")
    assert api_client(acme, outsider.user).get(API_WALLET).status_code in (401, 403)
