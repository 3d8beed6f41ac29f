"""Tenant-schema models of the crm domain: the people an agency works with.

Subjects catalogue, tutor profiles with credentials, student profiles with parents,
consent, goals and progress, and the protected documents they carry.

Profiles of tutors and students may exist before the person has an account: the agency
records them (by hand or by CSV import) and invites them by email; accepting the
invitation links the account (``crm.receivers``). Until then ``user`` is empty.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import connection, models
from django.db.models.functions import Lower
from django.utils import timezone

from crm.storage import protected_storage

MAX_HOURLY_RATE_MINOR = 100000_00  # 100,000.00 in a two-decimal currency


class Level(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"
    EXAM_PREP = "exam_prep", "Exam preparation"
    UNIVERSITY = "university", "University"
    ADULT = "adult", "Adult"


class Difficulty(models.TextChoices):
    BEGINNER = "beginner", "Beginner"
    INTERMEDIATE = "intermediate", "Intermediate"
    ADVANCED = "advanced", "Advanced"


class Visibility(models.TextChoices):
    PUBLIC = "public", "Public"
    AGENCY = "agency", "Agency only"
    PRIVATE = "private", "Private"


class VerificationStatus(models.TextChoices):
    PENDING = "pending", "Pending review"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class Subject(models.Model):
    """One entry of the tenant's catalogue; deactivated, never deleted (tutors refer to it)."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True, allow_unicode=True)
    is_active = models.BooleanField(default=True)
    ordering = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["ordering", "name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="crm_subject_name_unique_ci"),
        ]

    def __str__(self) -> str:
        return self.name


class TutorProfile(models.Model):
    """What a tutor tells the agency and its students; one per tutor in this tenant."""

    SECTIONS = ("basics", "subjects", "rates", "credentials", "bio")

    # Users live in the public schema; the search path (tenant, public) resolves the FK.
    # DO_NOTHING, not CASCADE: deleting a user from the public schema must not make
    # Django look for this table there (it exists only in tenant schemas). The database
    # constraint stays, so a user with profiles cannot vanish leaving orphans; erasing
    # a person has to go through the tenants they belong to.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        blank=True,
    )
    # Who was invited, while ``user`` is empty (a tutor imported before they signed up).
    invited_email = models.EmailField(blank=True)
    invited_first_name = models.CharField(max_length=150, blank=True)
    invited_last_name = models.CharField(max_length=150, blank=True)
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(blank=True)
    years_of_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    languages = models.JSONField(default=list, blank=True)
    intro_video_url = models.URLField(max_length=500, blank=True)
    # An uploaded introduction video (MP4/WebM); the link above is the alternative.
    intro_video = models.OneToOneField(
        "crm.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Free text until scheduling brings real availability.
    availability_summary = models.TextField(blank=True)

    basics_visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.AGENCY
    )
    subjects_visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.AGENCY
    )
    rates_visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.AGENCY
    )
    credentials_visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.AGENCY
    )
    bio_visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.AGENCY
    )

    # The agency's review of the tutor as a whole (identity, references, interview).
    verification_status = models.CharField(
        max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    verification_reason = models.TextField(blank=True)
    verification_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    verification_reviewed_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | ~models.Q(invited_email=""),
                name="crm_tutorprofile_user_or_invited",
            ),
            models.UniqueConstraint(
                Lower("invited_email"),
                condition=models.Q(user__isnull=True),
                name="crm_tutorprofile_invited_email_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Tutor profile {self.pk} of user {self.user_id or self.invited_email}"

    @property
    def first_name(self) -> str:
        return self.user.first_name if self.user_id else self.invited_first_name

    @property
    def last_name(self) -> str:
        return self.user.last_name if self.user_id else self.invited_last_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def visibility_of(self, section: str) -> str:
        return getattr(self, f"{section}_visibility")


class TutorSubject(models.Model):
    """A subject a tutor teaches at one level, with proficiency and (once set) a rate."""

    profile = models.ForeignKey(TutorProfile, on_delete=models.CASCADE, related_name="subjects")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=20, choices=Level.choices)
    difficulty = models.CharField(
        max_length=20, choices=Difficulty.choices, default=Difficulty.BEGINNER
    )
    proficiency = models.PositiveSmallIntegerField()
    # Minor units (cents, pence) of ``currency``; empty until the wizard's rate step.
    hourly_rate_minor = models.PositiveIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["subject__ordering", "subject__name", "level", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["profile", "subject", "level"], name="crm_tutorsubject_unique_level"
            ),
            models.CheckConstraint(
                condition=models.Q(proficiency__gte=1, proficiency__lte=5),
                name="crm_tutorsubject_proficiency_1_5",
            ),
            models.CheckConstraint(
                condition=models.Q(hourly_rate_minor__isnull=True)
                | models.Q(hourly_rate_minor__gt=0, hourly_rate_minor__lte=MAX_HOURLY_RATE_MINOR),
                name="crm_tutorsubject_rate_range",
            ),
            models.CheckConstraint(
                condition=models.Q(currency__regex=r"^[A-Z]{3}$"),
                name="crm_tutorsubject_currency_code",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} ({self.level}) for profile {self.profile_id}"


# Documents ---------------------------------------------------------------------------------


def document_upload_to(document: Document, filename: str) -> str:
    """``<schema>/<purpose>/<yyyy>/<mm>/<uuid><ext>``: never the uploader's file name."""
    now = timezone.now()
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"{connection.schema_name}/{document.purpose}/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Document(models.Model):
    """A stored upload: the file lives in protected storage, served only through a view.

    ``content_type`` is what the content is (sniffed from its bytes), not what the
    uploader's browser or file name claimed.
    """

    class Purpose(models.TextChoices):
        CREDENTIAL = "credential", "Credential"
        INTRO_VIDEO = "intro_video", "Introduction video"
        STUDENT = "student", "Student document"

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    file = models.FileField(storage=protected_storage, upload_to=document_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.pk}: {self.original_name}"


class Credential(models.Model):
    """A qualification, identity document or check a tutor provides, with the agency's review."""

    class Kind(models.TextChoices):
        DEGREE = "degree", "Degree or diploma"
        CERTIFICATE = "certificate", "Teaching certificate"
        IDENTITY = "identity", "Identity document"
        BACKGROUND_CHECK = "background_check", "Background check"
        REFERENCE = "reference", "Reference"
        OTHER = "other", "Other"

    profile = models.ForeignKey(TutorProfile, on_delete=models.CASCADE, related_name="credentials")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    issuer = models.CharField(max_length=200, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    document = models.OneToOneField(Document, on_delete=models.PROTECT, related_name="credential")
    status = models.CharField(
        max_length=10, choices=VerificationStatus.choices, default=VerificationStatus.PENDING
    )
    rejection_reason = models.TextField(blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="rejected") | ~models.Q(rejection_reason=""),
                name="crm_credential_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(issued_on__isnull=True)
                | models.Q(expires_on__gte=models.F("issued_on")),
                name="crm_credential_expires_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


# Students and parents ----------------------------------------------------------------------


class LearningStyle(models.TextChoices):
    VISUAL = "visual", "Visual"
    AUDITORY = "auditory", "Auditory"
    READING_WRITING = "reading_writing", "Reading and writing"
    KINESTHETIC = "kinesthetic", "Hands-on"
    MIXED = "mixed", "Mixed"


class StudentProfile(models.Model):
    """A learner of this tenant. Young children often have no account: ``user`` stays empty
    and their parents act for them.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        related_name="+",
        null=True,
        blank=True,
    )
    first_name = models.CharField(max_length=150)
    last_name = models.CharField(max_length=150, blank=True)
    # The address the student is invited at (empty for a child without an account).
    email = models.EmailField(blank=True)
    date_of_birth = models.DateField()
    grade_level = models.CharField(max_length=40, blank=True)
    subjects = models.ManyToManyField(Subject, blank=True, related_name="+")
    learning_style = models.CharField(max_length=20, choices=LearningStyle.choices, blank=True)
    preferred_session_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    preferences = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="crm_studentprofile_email_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    preferred_session_minutes__isnull=True,
                )
                | models.Q(preferred_session_minutes__gte=15, preferred_session_minutes__lte=240),
                name="crm_studentprofile_session_minutes_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Student {self.pk}: {self.full_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class ParentLink(models.Model):
    """A parent or guardian of a student: invited by email, linked once they accept."""

    class Relationship(models.TextChoices):
        MOTHER = "mother", "Mother"
        FATHER = "father", "Father"
        GUARDIAN = "guardian", "Guardian"
        OTHER = "other", "Other"

    student = models.ForeignKey(
        StudentProfile, on_delete=models.CASCADE, related_name="parent_links"
    )
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    relationship = models.CharField(max_length=10, choices=Relationship.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                "student", Lower("email"), name="crm_parentlink_student_email_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Parent {self.email} of student {self.student_id}"


class ParentalConsent(models.Model):
    """A parent's recorded consent for a child under 13: who, when, how; withdrawable.

    At most one consent per student is in force (not withdrawn) at a time; withdrawn
    ones stay as the record.
    """

    class Method(models.TextChoices):
        ONLINE = "online", "Given online by the parent"
        PAPER_FORM = "paper_form", "Signed form, recorded by staff"
        VERBAL = "verbal", "Spoken, recorded by staff"

    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="consents")
    parent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    method = models.CharField(max_length=12, choices=Method.choices)
    statement = models.TextField()
    given_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-given_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["student"],
                condition=models.Q(withdrawn_at__isnull=True),
                name="crm_parentalconsent_one_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent for student {self.student_id} by user {self.parent_id}"


class TutorAssignment(models.Model):
    """A tutor works with a student (optionally for one subject): the tutor then sees them."""

    student = models.ForeignKey(
        StudentProfile, on_delete=models.CASCADE, related_name="assignments"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["student", "tutor"], name="crm_tutorassignment_unique"),
        ]

    def __str__(self) -> str:
        return f"Tutor {self.tutor_id} for student {self.student_id}"


class LearningGoal(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        ABANDONED = "abandoned", "Abandoned"

    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="goals")
    subject = models.ForeignKey(
        Subject, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["target_date", "id"]

    def __str__(self) -> str:
        return self.title


class ProgressEntry(models.Model):
    """A tutor's reading of how far a student has come towards a goal (0-100 %)."""

    goal = models.ForeignKey(LearningGoal, on_delete=models.CASCADE, related_name="entries")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    recorded_on = models.DateField()
    progress = models.PositiveSmallIntegerField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recorded_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="crm_progressentry_progress_0_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.progress}% on {self.recorded_on} for goal {self.goal_id}"


class StudentDocument(models.Model):
    """An assignment or resource shared on a student's profile (by staff, tutor, parent or
    the student)."""

    class Category(models.TextChoices):
        ASSIGNMENT = "assignment", "Assignment"
        RESOURCE = "resource", "Resource"
        OTHER = "other", "Other"

    student = models.ForeignKey(StudentProfile, on_delete=models.CASCADE, related_name="documents")
    document = models.OneToOneField(
        Document, on_delete=models.PROTECT, related_name="student_document"
    )
    title = models.CharField(max_length=200)
    category = models.CharField(max_length=12, choices=Category.choices)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
