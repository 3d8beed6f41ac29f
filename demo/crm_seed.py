"""Demo data for the crm: verified credentials, students with goals and progress, and
the parent of a child under 13 with consent on record.

Idempotent like the rest of the seed: each record is looked up before it is made.
"""

from __future__ import annotations

import datetime as dt

import weasyprint
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from crm.documents import document_create
from crm.minors import tenant_today
from crm.models import (
    Credential,
    Document,
    LearningGoal,
    ParentalConsent,
    ParentLink,
    ProgressEntry,
    StudentDocument,
    StudentProfile,
    Subject,
    TutorAssignment,
    TutorProfile,
    VerificationStatus,
)
from crm.services import student_create

CONSENT_STATEMENT = (
    "I am the parent or guardian of this child and agree that they may book lessons, "
    "message their tutors and share work through this agency."
)


def _pdf(title: str, lines: list[str]) -> SimpleUploadedFile:
    """A real PDF document, rendered like every other PDF of the platform."""
    body = "".join(f"<p>{line}</p>" for line in lines)
    pdf = weasyprint.HTML(string=f"<h1>{title}</h1>{body}").write_pdf()
    name = title.lower().replace(" ", "-") + ".pdf"
    return SimpleUploadedFile(name, pdf, content_type="application/pdf")


def _verified_credential(membership: Membership, reviewer: User, kind: str, title: str) -> None:
    """Give ``membership``'s tutor profile one verified credential and verify the tutor."""
    profile = TutorProfile.objects.get(user_id=membership.user_id)
    if not profile.credentials.exists():
        document = document_create(
            file=_pdf(title, [membership.user.full_name, "Issued 2019"]),
            purpose=Document.Purpose.CREDENTIAL,
            uploaded_by=membership.user,
        )
        Credential.objects.create(
            profile=profile,
            kind=kind,
            title=title,
            issuer="University of Exampleshire",
            issued_on=dt.date(2019, 7, 1),
            document=document,
            status=VerificationStatus.VERIFIED,
            reviewed_by=reviewer,
            reviewed_at=timezone.now(),
        )
    if profile.verification_status != VerificationStatus.VERIFIED:
        profile.verification_status = VerificationStatus.VERIFIED
        profile.verification_reviewed_by = reviewer
        profile.verification_reviewed_at = timezone.now()
        profile.save(
            update_fields=[
                "verification_status",
                "verification_reviewed_by",
                "verification_reviewed_at",
                "updated_at",
            ]
        )


def _birthday(years: int, today: dt.date) -> dt.date:
    """A date of birth making someone ``years`` old today (and not on a leap day)."""
    return today.replace(year=today.year - years, day=min(today.day, 28)) - dt.timedelta(days=30)


def _student(owner: Membership, email: str, **fields) -> StudentProfile:
    existing = StudentProfile.objects.filter(first_name=fields["first_name"]).first()
    if email:
        existing = StudentProfile.objects.filter(email=email).first()
    return existing or student_create(actor=owner, email=email, **fields)


def _goal_with_progress(
    student: StudentProfile, tutor: User, subject: str, title: str, *, target_weeks: int, steps
) -> None:
    if student.goals.filter(title=title).exists():
        return
    today = tenant_today()
    goal = LearningGoal.objects.create(
        student=student,
        subject=Subject.objects.get(slug=subject),
        title=title,
        description="Agreed with the student and their parents at the first lesson.",
        target_date=today + dt.timedelta(weeks=target_weeks),
        status=LearningGoal.Status.IN_PROGRESS,
        created_by=tutor,
    )
    for weeks_ago, progress, note in steps:
        ProgressEntry.objects.create(
            goal=goal,
            recorded_by=tutor,
            recorded_on=today - dt.timedelta(weeks=weeks_ago),
            progress=progress,
            note=note,
        )


def crm_demo_seed(
    *,
    acme_owner: Membership,
    acme_admin: Membership,
    acme_tutor: Membership,
    student: User,
    parent: User,
    freelance_tutor: Membership,
    platform_staff: User,
) -> None:
    """Fill the crm of Acme and the marketplace for the demo."""
    with tenant_context(acme_owner.tenant):
        _verified_credential(acme_tutor, acme_admin.user, "degree", "BSc Mathematics")
        today = tenant_today()
        sam = _student(
            acme_owner,
            student.email,
            first_name=student.first_name,
            last_name=student.last_name,
            date_of_birth=_birthday(16, today),
            grade_level="Year 11",
            subject_ids=list(
                Subject.objects.filter(slug__in=["mathematics", "physics"]).values_list(
                    "pk", flat=True
                )
            ),
            learning_style="visual",
            preferred_session_minutes=60,
            preferences="Prefers worked examples before practice questions.",
            parents=[{"email": parent.email, "relationship": "mother"}],
        )
        mia = _student(
            acme_owner,
            "",
            first_name="Mia",
            last_name=parent.last_name,
            date_of_birth=_birthday(10, today),
            grade_level="Year 5",
            subject_ids=list(
                Subject.objects.filter(slug="mathematics").values_list("pk", flat=True)
            ),
            parents=[{"email": parent.email, "relationship": "mother"}],
        )
        # The demo people already hold their memberships, so the links are made at once;
        # make sure of it for databases seeded before links existed.
        ParentLink.objects.filter(email=parent.email, parent__isnull=True).update(parent=parent)
        StudentProfile.objects.filter(email=student.email, user__isnull=True).update(user=student)
        if not ParentalConsent.objects.filter(student=mia).exists():
            ParentalConsent.objects.create(
                student=mia,
                parent=parent,
                method=ParentalConsent.Method.ONLINE,
                statement=CONSENT_STATEMENT,
                recorded_by=parent,
                ip_address="203.0.113.10",
            )
        for child in (sam, mia):
            TutorAssignment.objects.get_or_create(
                student=child,
                tutor=acme_tutor.user,
                defaults={
                    "subject": Subject.objects.get(slug="mathematics"),
                    "assigned_by": acme_owner.user,
                },
            )
        _goal_with_progress(
            sam,
            acme_tutor.user,
            "mathematics",
            "Grade 7 in GCSE Maths",
            target_weeks=16,
            steps=[
                (8, 35, "Baseline test: algebra solid, geometry weak."),
                (6, 42, "Circle theorems practised."),
                (4, 55, "Mock paper 1: 61 %."),
                (2, 63, "Trigonometry clicked."),
                (0, 70, "Mock paper 2: 72 %."),
            ],
        )
        _goal_with_progress(
            sam,
            acme_tutor.user,
            "physics",
            "Confident with forces and motion",
            target_weeks=10,
            steps=[
                (5, 20, "Newton's laws recap."),
                (3, 45, "Graphs of motion."),
                (1, 60, "SUVAT."),
            ],
        )
        _goal_with_progress(
            mia,
            acme_tutor.user,
            "mathematics",
            "Times tables to 12 x 12",
            target_weeks=8,
            steps=[(4, 40, "Up to 6 x 6 fluently."), (2, 65, "7s and 8s."), (0, 80, "9s done.")],
        )
        if not sam.documents.exists():
            StudentDocument.objects.create(
                student=sam,
                document=document_create(
                    file=_pdf("Trigonometry worksheet", ["Questions 1-12", "Due next lesson"]),
                    purpose=Document.Purpose.STUDENT,
                    uploaded_by=acme_tutor.user,
                ),
                title="Trigonometry worksheet",
                category=StudentDocument.Category.ASSIGNMENT,
                shared_by=acme_tutor.user,
            )
    with tenant_context(freelance_tutor.tenant):
        _verified_credential(
            freelance_tutor, platform_staff, "certificate", "CELTA teaching certificate"
        )
