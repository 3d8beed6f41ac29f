"""Demo data: the platform, the marketplace, two agencies and one person per role.

Idempotent: every record is looked up before it is made, so seeding twice creates
nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User
from accounts.services.memberships import membership_create
from tenants.models import Tenant
from tenants.selectors import root_url, tenant_get_by_slug
from tenants.services import agency_provision, marketplace_tenant_ensure, public_tenant_ensure

DEMO_PASSWORD = "Tutor-demo-2026"  # noqa: S105 - published demo login, never in production

Role = Membership.Role


@dataclass(frozen=True)
class DemoLogin:
    who: str
    email: str
    url: str


def _user(
    email: str,
    first_name: str,
    last_name: str,
    *,
    time_zone: str = "Europe/London",
    platform_staff: bool = False,
) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            time_zone=time_zone,
            email_verified_at=timezone.now(),
            is_platform_staff=platform_staff,
            is_staff=platform_staff,
            is_superuser=platform_staff,
        )
    return user


def _agency(slug: str, name: str, owner: User, time_zone: str) -> Tenant:
    return tenant_get_by_slug(slug) or agency_provision(
        name=name, slug=slug, owner=owner, time_zone=time_zone
    )


@transaction.atomic
def demo_seed() -> list[DemoLogin]:
    """Create (or find) the demo tenants and people; return their logins."""
    public_tenant_ensure()
    marketplace = marketplace_tenant_ensure()

    staff = _user("staff@educonnect.test", "Priya", "Shah", platform_staff=True)

    owner = _user("owner@acme.test", "Olivia", "Owens")
    acme = _agency("acme", "Acme Tutoring", owner, "Europe/London")
    admin = _user("admin@acme.test", "Adam", "Archer")
    tutor = _user("tutor@acme.test", "Theo", "Turner")
    student = _user("student@acme.test", "Sam", "Student")
    parent = _user("parent@acme.test", "Pat", "Parent")
    for person, role in (
        (admin, Role.ADMIN),
        (tutor, Role.TUTOR),
        (student, Role.STUDENT),
        (parent, Role.PARENT),
    ):
        membership_create(user=person, tenant=acme, role=role)

    globex_owner = _user("owner@globex.test", "Gina", "Gold", time_zone="America/New_York")
    globex = _agency("globex", "Globex Learning", globex_owner, "America/New_York")

    freelancer = _user("freelancer@educonnect.test", "Fran", "Freeman", time_zone="Europe/Berlin")
    membership_create(user=freelancer, tenant=marketplace, role=Role.TUTOR)
    # A student of two agencies and the marketplace chooses where to go after login.
    membership_create(user=student, tenant=marketplace, role=Role.STUDENT)

    return [
        DemoLogin("Platform staff", staff.email, root_url("/accounts/login/")),
        DemoLogin("Agency owner (Acme)", owner.email, acme.absolute_url("/accounts/login/")),
        DemoLogin("Agency admin (Acme)", admin.email, acme.absolute_url("/accounts/login/")),
        DemoLogin("Tutor (Acme)", tutor.email, acme.absolute_url("/accounts/login/")),
        DemoLogin("Student (Acme + marketplace)", student.email, root_url("/accounts/login/")),
        DemoLogin("Parent (Acme)", parent.email, acme.absolute_url("/accounts/login/")),
        DemoLogin(
            "Freelance tutor (marketplace)",
            freelancer.email,
            marketplace.absolute_url("/accounts/login/"),
        ),
        DemoLogin(
            "Agency owner (Globex)", globex_owner.email, globex.absolute_url("/accounts/login/")
        ),
    ]
