"""Demo data for the marketplace: freelancers with gigs in several subjects, languages and
price ranges, Acme listing its maths tutor, finished classes with reviews (one answered),
a freelancer waiting for the platform's verification, and an adult student with an account
and no memberships yet, who can find a gig and book it.

Runs after the other seeds (it needs the freelancers' availability and Acme's tutor).
Idempotent: people, gigs and reviews are looked up before they are made. The listing index
is rebuilt at the end, so the marketplace shows the demo at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from accounts.services.memberships import membership_create
from crm.documents import document_create
from crm.models import (
    Credential,
    Document,
    StudentProfile,
    Subject,
    TutorProfile,
    VerificationStatus,
)
from marketplace.models import Gig, GigBooking, GigPackage, Review
from scheduling.models import AvailabilityRule, Session
from scheduling.policy import schedule_for
from tenants.models import Tenant

Role = Membership.Role


@dataclass(frozen=True)
class GigSeed:
    title: str
    subject: str
    level: str
    difficulty: str
    languages: list[str]
    price_minor: int
    currency: str
    minutes: int
    description: str
    packages: tuple[tuple[int, int], ...] = ()
    status: str = Gig.Status.PUBLISHED


FRAN_GIGS = [
    GigSeed(
        "Conversational Spanish for adults",
        "spanish",
        "adult",
        "intermediate",
        ["es", "en"],
        3500,
        "EUR",
        60,
        "Real conversations from the first lesson: travel, work and everyday life. "
        "I correct gently, keep notes of your mistakes and send them after each class.",
        packages=((5, 16000), (10, 30000)),
    ),
    GigSeed(
        "English conversation practice",
        "english",
        "adult",
        "beginner",
        ["en", "de"],
        2800,
        "EUR",
        45,
        "Speak English with confidence: short, friendly sessions for beginners who "
        "understand more than they dare to say.",
    ),
    GigSeed(
        "DELE B2 exam preparation",
        "spanish",
        "adult",
        "advanced",
        ["es"],
        4000,
        "EUR",
        90,
        "Mock papers and oral exam practice for the DELE B2.",
        status=Gig.Status.DRAFT,
    ),
]

# Other freelancers: (email, first, last, zone, headline, languages, subject, level,
# rate, currency, verified, gig).
FREELANCERS = [
    (
        "claire@educonnect.test",
        "Claire",
        "Dubois",
        "Europe/Paris",
        "French for secondary students and adults",
        ["fr", "en"],
        "french",
        "secondary",
        3000,
        "EUR",
        True,
        GigSeed(
            "French grammar made simple",
            "french",
            "secondary",
            "beginner",
            ["fr", "en"],
            3000,
            "EUR",
            60,
            "Verb tenses, agreement and pronunciation for GCSE and Brevet students, with "
            "a short quiz at the end of every lesson.",
            packages=((4, 11000),),
        ),
    ),
    (
        "maya@educonnect.test",
        "Maya",
        "Patel",
        "Europe/London",
        "Chemistry and biology that finally make sense",
        ["en", "hi"],
        "chemistry",
        "secondary",
        3500,
        "GBP",
        True,
        GigSeed(
            "GCSE chemistry: bonding, moles and equations",
            "chemistry",
            "secondary",
            "intermediate",
            ["en"],
            3500,
            "GBP",
            60,
            "Exam-board aligned chemistry tutoring with past-paper practice and a revision "
            "plan for the weeks before the exam.",
        ),
    ),
    (
        "kofi@educonnect.test",
        "Kofi",
        "Mensah",
        "Africa/Accra",
        "Programming for complete beginners",
        ["en"],
        "computer-science",
        "university",
        4000,
        "USD",
        True,
        GigSeed(
            "Python programming from zero",
            "computer-science",
            "university",
            "beginner",
            ["en"],
            4000,
            "USD",
            90,
            "Variables to small projects in eight weeks: we write code together in every "
            "session and you leave with exercises for the week.",
            packages=((8, 28000),),
        ),
    ),
    (
        "jonas@educonnect.test",
        "Jonas",
        "Weber",
        "Europe/Berlin",
        "University physics, mechanics to quantum",
        ["de", "en"],
        "physics",
        "university",
        5000,
        "EUR",
        False,
        GigSeed(
            "First-year university physics",
            "physics",
            "university",
            "advanced",
            ["de", "en"],
            5000,
            "EUR",
            60,
            "Mechanics, electromagnetism and the mathematics behind them, worked through "
            "problem sheets from your own course.",
        ),
    ),
]

REVIEWS = [
    # (reviewer email, first, last, tutor email, weeks ago, rating, text, reply)
    (
        "rosa@educonnect.test",
        "Rosa",
        "Martin",
        "freelancer@educonnect.test",
        3,
        5,
        (
            "Fran made me talk from minute one. After a month I ordered dinner in Madrid "
            "without switching to English."
        ),
        "Thank you, Rosa! Your past tenses are next.",
    ),
    (
        "tom@educonnect.test",
        "Tom",
        "Baker",
        "freelancer@educonnect.test",
        2,
        4,
        "Patient and well prepared. I would like a little more homework between lessons.",
        "",
    ),
    (
        "rosa@educonnect.test",
        "Rosa",
        "Martin",
        "claire@educonnect.test",
        1,
        5,
        "Claire explained the subjunctive better than any book I have tried.",
        "",
    ),
]


def _person(email: str, first_name: str, last_name: str, time_zone: str) -> User:
    from demo.seed import DEMO_PASSWORD

    return User.objects.filter(email=email).first() or User.objects.create_user(
        email=email,
        password=DEMO_PASSWORD,
        first_name=first_name,
        last_name=last_name,
        time_zone=time_zone,
        email_verified_at=timezone.now(),
    )


def _gig(profile: TutorProfile, seed: GigSeed) -> Gig:
    gig = Gig.objects.filter(tutor=profile, title=seed.title).first()
    if gig is not None:
        return gig
    published = seed.status == Gig.Status.PUBLISHED
    gig = Gig.objects.create(
        tutor=profile,
        title=seed.title,
        subject=Subject.objects.get(slug=seed.subject),
        level=seed.level,
        difficulty=seed.difficulty,
        languages=seed.languages,
        description=seed.description,
        price_minor=seed.price_minor,
        currency=seed.currency,
        duration_minutes=seed.minutes,
        status=seed.status,
        published_at=timezone.now() if published else None,
    )
    GigPackage.objects.bulk_create(
        GigPackage(gig=gig, sessions=sessions, price_minor=price)
        for sessions, price in seed.packages
    )
    return gig


def _freelancer(marketplace: Tenant, row: tuple, staff: User) -> None:
    from demo.crm_seed import _pdf
    from demo.seed import _tutor_profile

    (email, first, last, zone, headline, languages, subject, level, rate, currency, verified) = row[
        :11
    ]
    user = _person(email, first, last, zone)
    membership = membership_create(user=user, tenant=marketplace, role=Role.TUTOR)
    _tutor_profile(
        membership,
        {
            "headline": headline,
            "languages": languages,
            "years_of_experience": 6,
            "bio": f"{headline}. Lessons are planned around your goals and your own materials.",
            "visibility": {"basics": "public", "subjects": "public", "bio": "public"},
        },
        [(subject, level, 5, rate, currency)],
    )
    profile = TutorProfile.objects.get(user=user)
    if not AvailabilityRule.objects.filter(tutor=profile).exists():
        schedule = schedule_for(profile)
        schedule.time_zone = zone
        # Claire confirms bookings at once; the others answer each request.
        schedule.instant_booking = email.startswith("claire@")
        schedule.save(update_fields=["time_zone", "instant_booking", "updated_at"])
        AvailabilityRule.objects.bulk_create(
            AvailabilityRule(tutor=profile, weekday=day, start_time=start, end_time=end)
            for day in range(6)
            for start, end in ((dt.time(9), dt.time(12)), (dt.time(15), dt.time(19)))
        )
    if not profile.credentials.exists():
        Credential.objects.create(
            profile=profile,
            kind=Credential.Kind.IDENTITY,
            title="Passport",
            issuer="",
            document=document_create(
                file=_pdf("Passport", [user.full_name]),
                purpose=Document.Purpose.CREDENTIAL,
                uploaded_by=user,
            ),
            status=VerificationStatus.VERIFIED if verified else VerificationStatus.PENDING,
            reviewed_by=staff if verified else None,
            reviewed_at=timezone.now() if verified else None,
        )
        if verified:
            profile.verification_status = VerificationStatus.VERIFIED
            profile.verification_reviewed_by = staff
            profile.verification_reviewed_at = timezone.now()
            profile.save()
    _gig(profile, row[11])


def _reviewed_class(marketplace: Tenant, review: tuple) -> None:
    """A class held some weeks ago, booked through the tutor's first gig, and its review."""
    email, first, last, tutor_email, weeks, rating, text, reply = review
    reviewer = _person(email, first, last, "Europe/London")
    membership_create(user=reviewer, tenant=marketplace, role=Role.STUDENT)
    student = StudentProfile.objects.filter(user=reviewer).first() or StudentProfile.objects.create(
        user=reviewer,
        first_name=first,
        last_name=last,
        email=email,
        date_of_birth=dt.date(1994, 5, 17),
        created_by=reviewer,
    )
    tutor = TutorProfile.objects.select_related("user").get(user__email=tutor_email)
    if Review.objects.filter(tutor=tutor, author=reviewer).exists():
        return
    gig = Gig.objects.filter(tutor=tutor, status=Gig.Status.PUBLISHED).order_by("pk").first()
    starts_at = (timezone.now() - dt.timedelta(weeks=weeks)).replace(
        minute=0, second=0, microsecond=0
    )
    session = Session.objects.create(
        tutor=tutor,
        student=student,
        subject=gig.subject,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=gig.duration_minutes),
        status=Session.Status.COMPLETED,
        price_minor=gig.price_minor,
        currency=gig.currency,
        requested_by=reviewer,
        decided_by=tutor.user,
        decided_at=starts_at - dt.timedelta(days=2),
    )
    GigBooking.objects.create(session=session, gig=gig, booked_by=reviewer)
    review = Review.objects.create(
        session=session,
        tutor=tutor,
        gig=gig,
        author=reviewer,
        rating=rating,
        text=text,
        reply=reply,
        replied_at=starts_at + dt.timedelta(days=2) if reply else None,
    )
    # Written the day after the class, not on the day of seeding.
    Review.objects.filter(pk=review.pk).update(created_at=starts_at + dt.timedelta(days=1))


def marketplace_demo_seed(
    *,
    marketplace: Tenant,
    acme: Tenant,
    freelance_tutor: Membership,
    acme_tutor: Membership,
    platform_staff: User,
) -> User:
    """Fill the marketplace; return the adult student who has not booked anything yet."""
    from listings.indexing import rebuild_all

    if not acme.marketplace_listed:
        acme.marketplace_listed = True
        acme.save(update_fields=["marketplace_listed"])
    with tenant_context(marketplace):
        fran = TutorProfile.objects.get(user_id=freelance_tutor.user_id)
        for seed in FRAN_GIGS:
            _gig(fran, seed)
        for row in FREELANCERS:
            _freelancer(marketplace, row, platform_staff)
        for review in REVIEWS:
            _reviewed_class(marketplace, review)
    with tenant_context(acme):
        theo = TutorProfile.objects.get(user_id=acme_tutor.user_id)
        _gig(
            theo,
            GigSeed(
                "GCSE maths exam preparation",
                "mathematics",
                "exam_prep",
                "intermediate",
                ["en", "fr"],
                4500,
                "GBP",
                60,
                "Past papers, mark schemes and the topics that cost most marks, with a "
                "former secondary teacher from Acme Tutoring.",
                packages=((6, 25000),),
            ),
        )
    learner = _person("alex@educonnect.test", "Alex", "Adams", "Europe/London")
    rebuild_all()
    return learner
