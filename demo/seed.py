"""Demo data: the platform, the marketplace, two agencies and one person per role.

Idempotent: every record is looked up before it is made, so seeding twice creates
nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from accounts.services.memberships import membership_create
from crm.models import Subject, TutorSubject
from crm.services import tutor_profile_ensure, tutor_profile_update, tutor_subject_add
from demo.billing_seed import billing_demo_seed
from demo.crm_seed import crm_demo_seed
from demo.marketplace_seed import marketplace_demo_seed
from demo.meetings_seed import meetings_demo_seed
from demo.scheduling_seed import scheduling_demo_seed
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


def _tutor_profile(membership: Membership, profile: dict, subjects: list[tuple]) -> None:
    """Fill ``membership``'s tutor profile (once) with ``profile`` and priced ``subjects``."""
    with tenant_context(membership.tenant):
        tutor_profile = tutor_profile_ensure(actor=membership)
        tutor_profile_update(profile=tutor_profile, actor=membership, **profile)
        for slug, level, proficiency, rate, currency in subjects:
            subject = Subject.objects.get(slug=slug)
            if not TutorSubject.objects.filter(
                profile=tutor_profile, subject=subject, level=level
            ).exists():
                tutor_subject_add(
                    profile=tutor_profile,
                    actor=membership,
                    subject_id=subject.pk,
                    level=level,
                    difficulty="intermediate",
                    proficiency=proficiency,
                    hourly_rate_minor=rate,
                    currency=currency,
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
    _tutor_profile(
        Membership.objects.select_related("tenant").get(user=tutor, tenant=acme),
        {
            "headline": "GCSE and A-level maths and physics, calmly explained",
            "years_of_experience": 8,
            "languages": ["en", "fr"],
            "availability_summary": "Weekday evenings 17:00-20:00 and Saturday mornings.",
            "bio": "Former secondary teacher; I help students build confidence before exams.",
            "intro_video_url": "https://videos.example/theo-turner-intro",
            "visibility": {"basics": "public", "subjects": "public", "bio": "public"},
        },
        [("mathematics", "exam_prep", 5, 4500, "GBP"), ("physics", "secondary", 4, 4000, "GBP")],
    )

    globex_owner = _user("owner@globex.test", "Gina", "Gold", time_zone="America/New_York")
    globex = _agency("globex", "Globex Learning", globex_owner, "America/New_York")

    freelancer = _user("freelancer@educonnect.test", "Fran", "Freeman", time_zone="Europe/Berlin")
    freelance = membership_create(user=freelancer, tenant=marketplace, role=Role.TUTOR)
    _tutor_profile(
        Membership.objects.select_related("tenant").get(pk=freelance.pk),
        {
            "headline": "Conversational Spanish and English for adults",
            "years_of_experience": 5,
            "languages": ["de", "es", "en"],
            "availability_summary": "Mornings (Berlin time), Monday to Thursday.",
            "bio": "Native German speaker, fluent in Spanish; lessons built around real talk.",
            "intro_video_url": "https://videos.example/fran-freeman-intro",
            "visibility": {"basics": "public", "subjects": "public", "rates": "public"},
        },
        [("spanish", "adult", 5, 3500, "EUR"), ("english", "adult", 4, 3000, "EUR")],
    )
    # A student of two agencies and the marketplace chooses where to go after login.
    membership_create(user=student, tenant=marketplace, role=Role.STUDENT)

    def member_of(person: User, tenant: Tenant) -> Membership:
        return Membership.objects.select_related("tenant", "user").get(user=person, tenant=tenant)

    crm_demo_seed(
        acme_owner=member_of(owner, acme),
        acme_admin=member_of(admin, acme),
        acme_tutor=member_of(tutor, acme),
        student=student,
        parent=parent,
        freelance_tutor=member_of(freelancer, marketplace),
        platform_staff=staff,
    )
    scheduling_demo_seed(
        acme_tutor=member_of(tutor, acme),
        student=member_of(student, acme),
        parent=member_of(parent, acme),
        freelance_tutor=member_of(freelancer, marketplace),
    )
    meetings_demo_seed(acme_tutor=member_of(tutor, acme), student=member_of(student, acme))
    billing_demo_seed(
        acme_owner=member_of(owner, acme),
        acme_tutor=member_of(tutor, acme),
        student=member_of(student, acme),
    )
    learner = marketplace_demo_seed(
        marketplace=marketplace,
        acme=acme,
        freelance_tutor=member_of(freelancer, marketplace),
        acme_tutor=member_of(tutor, acme),
        platform_staff=staff,
    )

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
            "Student, no bookings yet (marketplace)", learner.email, root_url("/marketplace/")
        ),
        DemoLogin(
            "Agency owner (Globex)", globex_owner.email, globex.absolute_url("/accounts/login/")
        ),
    ]
