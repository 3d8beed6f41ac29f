"""Demo data: one login per role, and seeding twice creates nothing twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from accounts.models import Membership, User
from demo.seed import DEMO_PASSWORD, demo_seed
from tenants.models import Domain, Tenant

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, int, int, int]:
    return (
        Tenant.objects.count(),
        Domain.objects.count(),
        User.objects.count(),
        Membership.objects.count(),
    )


def test_seeding_twice_creates_nothing_twice():
    demo_seed()
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first


def test_every_role_has_a_working_demo_login():
    demo_seed()
    roles = {
        ("owner@acme.test", "acme"): Membership.Role.OWNER,
        ("admin@acme.test", "acme"): Membership.Role.ADMIN,
        ("tutor@acme.test", "acme"): Membership.Role.TUTOR,
        ("student@acme.test", "acme"): Membership.Role.STUDENT,
        ("parent@acme.test", "acme"): Membership.Role.PARENT,
        ("freelancer@educonnect.test", "marketplace"): Membership.Role.TUTOR,
    }
    for (email, slug), role in roles.items():
        membership = Membership.objects.get(user__email=email, tenant__slug=slug)
        assert membership.role == role
        assert membership.user.check_password(DEMO_PASSWORD)
        assert membership.user.is_email_verified
    staff = User.objects.get(email="staff@educonnect.test")
    assert staff.is_platform_staff
    assert Tenant.objects.get(slug="marketplace").kind == Tenant.Kind.MARKETPLACE


def test_seed_command_prints_the_logins(capsys):
    call_command("seed_demo")
    output = capsys.readouterr().out
    for email in (
        "staff@educonnect.test",
        "owner@acme.test",
        "tutor@acme.test",
        "student@acme.test",
        "parent@acme.test",
        "freelancer@educonnect.test",
    ):
        assert email in output
    assert DEMO_PASSWORD in output
    assert "http://acme.localhost" in output
