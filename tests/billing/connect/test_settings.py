"""The agency's billing settings page: its rules, its errors, and the worked example."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from billing.models import BillingSettings, TutorPayRate
from billing.services.settings import billing_settings_update, pay_rate_set
from connect.models import FeeTerms

pytestmark = pytest.mark.django_db

VALID = {
    "payout_route": "agency",
    "commission_mode": "share",
    "commission_percent": "25",
    "invoice_prefix": "ACME-24",
    "brand_color": "#AA3300",
    "invoice_details": "Acme Tutoring Ltd, 1 High Street",
}


def _saved(tenant) -> BillingSettings:
    with tenant_context(tenant):
        return BillingSettings.current()


def _example(html: str) -> tuple[str, str, str]:
    def cell(name):
        start = html.index(f'data-testid="split-{name}">') + len(f'data-testid="split-{name}">')
        return html[start : html.index("</td>", start)]

    return cell("platform"), cell("agency"), cell("tutor")


def test_the_owner_sees_the_settings_the_platform_fee_and_a_worked_example(
    web_client, acme, people
):
    page = web_client(acme, people.owner.user).get("/billing/settings/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "10 % of each payment" in html
    # 100.00 split: 10 % platform, 20 % agency (the defaults), the rest to the tutor.
    assert _example(html) == ("USD 10.00", "USD 20.00", "USD 70.00")


def test_the_example_follows_the_fee_terms_and_another_sample_price(web_client, acme, people):
    FeeTerms.objects.create(tenant=acme, platform_fee_basis_points=750)
    client = web_client(acme, people.owner.user)

    html = client.get("/billing/settings/").content.decode()
    assert "7.5 % of each payment" in html
    assert _example(html) == ("USD 7.50", "USD 20.00", "USD 72.50")

    part = client.get("/billing/settings/example/", {"example": "45.50"}, HTTP_HX_REQUEST="true")
    assert part.status_code == 200
    assert _example(part.content.decode()) == ("USD 3.41", "USD 9.10", "USD 32.99")
    bad = client.get("/billing/settings/example/", {"example": "-3"})
    assert bad.status_code == 400


def test_saving_the_settings_changes_them_and_is_audited(web_client, acme, people):
    response = web_client(acme, people.admin.user).post("/billing/settings/", VALID)

    assert response.status_code == 302
    row = _saved(acme)
    assert (row.commission_basis_points, row.invoice_prefix, row.brand_color) == (
        2500,
        "ACME-24",
        "#aa3300",
    )
    assert row.invoice_details == "Acme Tutoring Ltd, 1 High Street"
    entry = AuditEntry.objects.get(action="billing.settings.updated", tenant=acme)
    assert entry.data["changes"]["commission_basis_points"] == 2500


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("invoice_prefix", "INV_1", "uppercase letters, digits and dashes"),
        ("invoice_prefix", "-INV", "starting and ending with a letter or digit"),
        ("invoice_prefix", "ABCDEFGHIJKLM", "at most 12 characters"),
        ("brand_color", "blue", "#rrggbb"),
        ("commission_percent", "101", "less than or equal to 100"),
        ("commission_percent", "95", "can be at most 90 %"),
        ("payout_route", "bank", "Select a valid choice"),
    ],
)
def test_bad_settings_are_shown_on_their_field_and_nothing_changes(
    web_client, acme, people, field, value, message
):
    response = web_client(acme, people.owner.user).post(
        "/billing/settings/", {**VALID, field: value}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    html = response.content.decode()
    error = html[html.index(f'id="id_{field}_error"') :]
    assert message in error[: error.index("</small>")]
    assert _saved(acme).commission_basis_points == 2000
    assert _saved(acme).invoice_prefix == "INV"


def test_a_lowercase_prefix_is_taken_in_uppercase(acme, people):
    with tenant_context(acme):
        row = billing_settings_update(actor=people.owner, invoice_prefix=" acme ")
    assert row.invoice_prefix == "ACME"


@pytest.mark.parametrize("who", ["staff", "tutor", "student", "parent"])
def test_only_owners_and_admins_open_the_settings(web_client, acme, people, who):
    client = web_client(acme, getattr(people, who).user)
    assert client.get("/billing/settings/").status_code == 403
    assert client.post("/billing/settings/", VALID).status_code == 403
    assert _saved(acme).commission_basis_points == 2000
    with tenant_context(acme), pytest.raises(PermissionDenied):
        billing_settings_update(actor=getattr(people, who), commission_basis_points=0)


def test_the_marketplace_has_no_billing_settings(web_client, marketplace, member):
    manager = member(marketplace, "owner")
    assert web_client(marketplace, manager.user).get("/billing/settings/").status_code == 404
    with tenant_context(marketplace), pytest.raises(PermissionDenied):
        billing_settings_update(actor=manager, commission_basis_points=0)


def test_pay_rates_set_the_difference_the_agency_keeps(web_client, acme, people, tutor_profile):
    client = web_client(acme, people.owner.user)
    client.post("/billing/settings/", {**VALID, "commission_mode": "rate_difference"})
    html = client.get("/billing/settings/").content.decode()
    assert 'data-testid="pay-rates"' in html

    prefix = f"rate-{tutor_profile.pk}"
    saved = client.post(
        f"/billing/settings/pay-rates/{tutor_profile.pk}/",
        {f"{prefix}-hourly_pay": "40.00", f"{prefix}-currency": "usd"},
    )
    assert saved.status_code == 302
    with tenant_context(acme):
        rate = TutorPayRate.objects.get(tutor=tutor_profile)
    assert (rate.hourly_pay_minor, rate.currency) == (4000, "USD")

    html = client.get("/billing/settings/").content.decode()
    # An hour at 100.00: 10.00 to the platform, 40.00 to the tutor, the rest to the agency.
    assert _example(html) == ("USD 10.00", "USD 50.00", "USD 40.00")

    removed = client.post(f"/billing/settings/pay-rates/{tutor_profile.pk}/delete/")
    assert removed.status_code == 302
    with tenant_context(acme):
        assert not TutorPayRate.objects.exists()


@pytest.mark.parametrize(
    ("pay", "currency", "message"),
    [
        ("-1", "USD", "greater than or equal to 0"),
        ("12.5", "JPY", "JPY amounts have at most 0 decimals"),
        ("10", "U1D", "three-letter ISO currency code"),
    ],
)
def test_a_bad_pay_rate_is_refused_with_the_reason(
    web_client, acme, people, tutor_profile, pay, currency, message
):
    prefix = f"rate-{tutor_profile.pk}"
    response = web_client(acme, people.owner.user).post(
        f"/billing/settings/pay-rates/{tutor_profile.pk}/",
        {f"{prefix}-hourly_pay": pay, f"{prefix}-currency": currency},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(acme):
        assert not TutorPayRate.objects.exists()


def test_a_pay_rate_for_a_tutor_who_is_not_here_is_a_404(web_client, acme, people):
    response = web_client(acme, people.owner.user).post(
        "/billing/settings/pay-rates/999999/", {"rate-999999-hourly_pay": "10"}
    )
    assert response.status_code == 404


def test_the_service_refuses_bad_values_it_is_given_directly(acme, people, tutor_profile):
    with tenant_context(acme):
        with pytest.raises(ValidationError) as caught:
            billing_settings_update(
                actor=people.owner,
                commission_mode="half",
                commission_basis_points=True,
                brand_color="#12345",
                invoice_details=None,
            )
        assert set(caught.value.message_dict) == {
            "commission_mode",
            "commission_basis_points",
            "brand_color",
            "invoice_details",
        }
        with pytest.raises(ValidationError) as caught:
            pay_rate_set(actor=people.owner, tutor=tutor_profile, hourly_pay_minor=1.5)
        assert set(caught.value.message_dict) == {"hourly_pay_minor"}


def test_an_htmx_save_answers_with_the_form_again_and_says_it_is_saved(web_client, acme, people):
    response = web_client(acme, people.owner.user).post(
        "/billing/settings/", {**VALID, "payout_route": "tutors"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-testid="billing-settings-notice">Billing settings saved.' in html
    assert _saved(acme).payout_route == "tutors"
    assert "paid into the tutor's own account" in html
