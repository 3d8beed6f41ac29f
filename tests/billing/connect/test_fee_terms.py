"""The platform's fee per tenant: set by platform staff only, on the console or in the admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditEntry
from billing.fees import platform_fee_basis_points
from connect.models import FeeTerms
from connect.services import fee_terms_set
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user():
    return UserFactory(email="ops@platform.test", is_platform_staff=True)


def test_staff_set_and_clear_a_tenants_fee(acme, staff_user):
    fee_terms_set(actor=staff_user, tenant=acme, platform_fee_basis_points=650, note="Pilot")
    assert platform_fee_basis_points(acme) == 650
    assert FeeTerms.objects.get(tenant=acme).note == "Pilot"

    fee_terms_set(actor=staff_user, tenant=acme, platform_fee_basis_points=None)
    assert platform_fee_basis_points(acme) == 1000
    assert not FeeTerms.objects.exists()
    changes = [
        (e.data["from"], e.data["to"])
        for e in AuditEntry.objects.filter(action="connect.fee_terms.updated").order_by("id")
    ]
    assert changes == [(None, 650), (650, None)]


@pytest.mark.parametrize("value", [-1, 5001, 12.5, True, "700"])
def test_a_fee_outside_0_to_50_percent_is_refused(acme, staff_user, value):
    with pytest.raises(ValidationError) as caught:
        fee_terms_set(actor=staff_user, tenant=acme, platform_fee_basis_points=value)
    assert set(caught.value.message_dict) == {"platform_fee_basis_points"}
    assert not FeeTerms.objects.exists()


def test_no_one_but_platform_staff_sets_a_fee(acme, owner, public_tenant):
    with pytest.raises(PermissionDenied):
        fee_terms_set(actor=owner.user, tenant=acme, platform_fee_basis_points=0)
    with pytest.raises(ValidationError):
        fee_terms_set(
            actor=UserFactory(is_platform_staff=True),
            tenant=public_tenant,
            platform_fee_basis_points=0,
        )
    assert not FeeTerms.objects.exists()


def test_the_console_lists_tenants_and_sets_their_fee(web_client, acme, globex, staff_user):
    client = web_client(None, staff_user)
    page = client.get("/console/fees/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Acme Tutoring" in html
    assert "Globex Learning" in html

    saved = client.post(
        f"/console/fees/{acme.pk}/", {f"fee-{acme.pk}-percent": "7.25", f"fee-{acme.pk}-note": "x"}
    )
    assert saved.status_code == 302
    assert platform_fee_basis_points(acme) == 725
    assert platform_fee_basis_points(globex) == 1000
    assert 'data-testid="fee-acme"><strong>7.25 %' in client.get("/console/fees/").content.decode()

    refused = client.post(f"/console/fees/{acme.pk}/", {f"fee-{acme.pk}-percent": "60"})
    assert refused.status_code == 400
    assert "less than or equal to 50" in refused.content.decode()
    assert platform_fee_basis_points(acme) == 725

    back = client.post(
        f"/console/fees/{acme.pk}/", {f"fee-{acme.pk}-percent": "7.25", "default": "1"}
    )
    assert back.status_code == 302
    assert platform_fee_basis_points(acme) == 1000


def test_the_console_is_for_platform_staff_only(web_client, acme, owner):
    client = web_client(None, owner.user)
    assert client.get("/console/fees/").status_code == 403
    assert (
        client.post(f"/console/fees/{acme.pk}/", {f"fee-{acme.pk}-percent": "0"}).status_code == 403
    )
    assert not FeeTerms.objects.exists()
    anonymous = web_client(None).get("/console/fees/")
    assert anonymous.status_code == 302


def test_the_admin_sets_fee_terms_through_the_service(web_client, acme):
    admin = UserFactory(
        email="root@platform.test", is_staff=True, is_superuser=True, is_platform_staff=True
    )
    client = web_client(None, admin)
    assert client.get("/admin/connect/connectedaccount/").status_code == 200
    added = client.post(
        "/admin/connect/feeterms/add/",
        {"tenant": acme.pk, "platform_fee_basis_points": 900, "note": "Agreed"},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    assert platform_fee_basis_points(acme) == 900
    assert AuditEntry.objects.filter(action="connect.fee_terms.updated").count() == 1
    too_high = client.post(
        f"/admin/connect/feeterms/{FeeTerms.objects.get().pk}/change/",
        {"tenant": acme.pk, "platform_fee_basis_points": 6000, "note": ""},
    )
    assert too_high.status_code == 200  # the form again, with the constraint's error
    assert platform_fee_basis_points(acme) == 900
