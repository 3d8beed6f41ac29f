"""Tenant-schema models of the crm domain: the subjects catalogue and tutor profiles."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

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
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(blank=True)
    years_of_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    languages = models.JSONField(default=list, blank=True)
    intro_video_url = models.URLField(max_length=500, blank=True)
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

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Tutor profile of user {self.user_id}"

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
