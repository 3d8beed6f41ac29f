"""Tenant-schema models of the scheduling domain: when tutors teach and what was booked.

Times are stored in UTC. Weekly availability is wall-clock time in the tutor's time zone
(``TutorSchedule.zone``), expanded into UTC instants only when slots are computed, so a
rule of "Mondays 09:00-17:00" stays 09:00-17:00 across daylight-saving changes.

The database refuses double bookings: an exclusion constraint over the session's time
range per tutor and per student, for every status that holds the slot. A request holds
it too, so twenty people racing for one slot leave exactly one request standing.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeBoundary, RangeOperators
from django.db import models
from django.db.models import Func, Q

DEFAULT_TIME_ZONE = "UTC"


class TsTzRange(Func):
    """``tstzrange(start, end, '[)')``: the half-open range a session occupies."""

    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only compared inside the constraint

    def __init__(self, start, end):
        super().__init__(start, end, RangeBoundary(inclusive_lower=True, inclusive_upper=False))


class SchedulingSettings(models.Model):
    """The tenant's booking policy: one row (pk 1); tutors may override parts of it."""

    request_expiry_hours = models.PositiveSmallIntegerField(default=24)
    free_cancellation_hours = models.PositiveSmallIntegerField(default=24)
    late_cancellation_fee_percent = models.PositiveSmallIntegerField(default=50)
    no_show_fee_percent = models.PositiveSmallIntegerField(default=100)
    max_reschedules = models.PositiveSmallIntegerField(default=2)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="scheduling_settings_singleton"),
            models.CheckConstraint(
                condition=Q(request_expiry_hours__gte=1, request_expiry_hours__lte=336),
                name="scheduling_settings_expiry_range",
            ),
            models.CheckConstraint(
                condition=Q(late_cancellation_fee_percent__lte=100, no_show_fee_percent__lte=100),
                name="scheduling_settings_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return "Scheduling settings"

    @classmethod
    def current(cls) -> SchedulingSettings:
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row


class TutorSchedule(models.Model):
    """How one tutor takes bookings, and where they override the tenant's policy."""

    tutor = models.OneToOneField(
        "crm.TutorProfile", on_delete=models.CASCADE, related_name="schedule"
    )
    # Empty: the tutor account's time zone.
    time_zone = models.CharField(max_length=64, blank=True)
    buffer_minutes = models.PositiveSmallIntegerField(default=0)
    minimum_notice_minutes = models.PositiveIntegerField(default=12 * 60)
    booking_horizon_days = models.PositiveSmallIntegerField(default=60)
    # Slots start on this grid (in the tutor's zone): 30 gives 09:00, 09:30, ...
    slot_interval_minutes = models.PositiveSmallIntegerField(default=30)
    instant_booking = models.BooleanField(default=False)

    # Policy overrides; empty means the tenant's SchedulingSettings.
    free_cancellation_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    late_cancellation_fee_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    no_show_fee_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    max_reschedules = models.PositiveSmallIntegerField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(buffer_minutes__lte=240), name="scheduling_schedule_buffer_range"
            ),
            models.CheckConstraint(
                condition=Q(booking_horizon_days__gte=1, booking_horizon_days__lte=730),
                name="scheduling_schedule_horizon_range",
            ),
            models.CheckConstraint(
                condition=Q(slot_interval_minutes__in=[5, 10, 15, 20, 30, 60]),
                name="scheduling_schedule_interval_choices",
            ),
            models.CheckConstraint(
                condition=(
                    Q(late_cancellation_fee_percent__isnull=True)
                    | Q(late_cancellation_fee_percent__lte=100)
                )
                & (Q(no_show_fee_percent__isnull=True) | Q(no_show_fee_percent__lte=100)),
                name="scheduling_schedule_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Schedule of tutor profile {self.tutor_id}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        name = self.time_zone or getattr(self.tutor.user, "time_zone", "") or DEFAULT_TIME_ZONE
        return zoneinfo.ZoneInfo(name)


class AvailabilityRule(models.Model):
    """A weekly window, wall-clock time in the tutor's zone (Monday is 0)."""

    tutor = models.ForeignKey(
        "crm.TutorProfile", on_delete=models.CASCADE, related_name="availability_rules"
    )
    weekday = models.PositiveSmallIntegerField()
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        ordering = ["weekday", "start_time", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="scheduling_rule_weekday"),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")),
                name="scheduling_rule_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Weekday {self.weekday} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    """Dates that differ from the weekly rules, in the tutor's zone.

    ``unavailable`` without times blocks whole days (holidays, vacations); with times, part
    of each day. ``available`` adds a window on those dates beyond the weekly rules.
    """

    class Kind(models.TextChoices):
        UNAVAILABLE = "unavailable", "Unavailable"
        AVAILABLE = "available", "Extra availability"

    tutor = models.ForeignKey(
        "crm.TutorProfile", on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UNAVAILABLE)
    start_date = models.DateField()
    end_date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date", "start_time", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="scheduling_exception_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, end_time__isnull=True)
                | Q(
                    start_time__isnull=False,
                    end_time__isnull=False,
                    end_time__gt=models.F("start_time"),
                ),
                name="scheduling_exception_times_paired",
            ),
            models.CheckConstraint(
                condition=Q(kind="unavailable") | Q(start_time__isnull=False),
                name="scheduling_exception_available_has_times",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start_date}..{self.end_date}"


class SessionSeries(models.Model):
    """A recurring booking (RFC 5545 RRULE) whose occurrences are ``Session`` rows.

    ``rrule`` is evaluated from ``first_starts_at`` in ``time_zone``, so a weekly 17:00
    class stays at 17:00 local time when the clocks change.
    """

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        FORTNIGHTLY = "fortnightly", "Every two weeks"
        MONTHLY = "monthly", "Monthly"

    tutor = models.ForeignKey("crm.TutorProfile", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey("crm.StudentProfile", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("crm.Subject", on_delete=models.PROTECT, related_name="+")
    frequency = models.CharField(max_length=12, choices=Frequency.choices)
    rrule = models.CharField(max_length=200)
    first_starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    time_zone = models.CharField(max_length=64)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["first_starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__isnull=False) | Q(until__isnull=False),
                name="scheduling_series_is_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"Series {self.pk}: {self.rrule}"


class SessionStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Expired"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"


# Statuses in which a session occupies its tutor's and student's time.
HOLDING_STATUSES = (
    SessionStatus.REQUESTED,
    SessionStatus.CONFIRMED,
    SessionStatus.COMPLETED,
    SessionStatus.NO_SHOW,
)
RELEASED_STATUSES = (SessionStatus.DECLINED, SessionStatus.EXPIRED, SessionStatus.CANCELLED)


class Session(models.Model):
    """One class between a tutor and a student, from request to history."""

    Status = SessionStatus

    tutor = models.ForeignKey("crm.TutorProfile", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey("crm.StudentProfile", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("crm.Subject", on_delete=models.PROTECT, related_name="+")
    series = models.ForeignKey(
        SessionSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    # The occurrence's start as the series' rule produced it (RECURRENCE-ID), kept when
    # this one occurrence is moved.
    series_occurrence = models.DateTimeField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=SessionStatus.choices, default=SessionStatus.REQUESTED
    )
    # The price agreed when it was booked: the tutor's rate for the subject, pro rata.
    price_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    request_message = models.TextField(blank=True)
    # An unanswered request expires at this instant (empty once answered).
    expires_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)
    reschedule_count = models.PositiveSmallIntegerField(default=0)

    # Notes: each side's private notes, and what both see after the class.
    tutor_notes = models.TextField(blank=True)
    student_notes = models.TextField(blank=True)
    summary = models.TextField(blank=True)
    homework = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["tutor", "starts_at"], name="scheduling_session_tutor_idx"),
            models.Index(fields=["student", "starts_at"], name="scheduling_session_student_idx"),
            models.Index(fields=["status", "starts_at"], name="scheduling_session_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="scheduling_session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="scheduling_session_currency_code",
            ),
            ExclusionConstraint(
                name="scheduling_session_tutor_no_overlap",
                expressions=[
                    ("tutor", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=HOLDING_STATUSES),
            ),
            ExclusionConstraint(
                name="scheduling_session_student_no_overlap",
                expressions=[
                    ("student", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=HOLDING_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} {self.starts_at:%Y-%m-%d %H:%M} UTC ({self.status})"

    @property
    def duration(self) -> dt.timedelta:
        return self.ends_at - self.starts_at

    @property
    def holds_slot(self) -> bool:
        return self.status in HOLDING_STATUSES


class SessionChange(models.Model):
    """A cancellation, reschedule or no-show, and the policy's outcome for billing.

    Billing acts on rows whose ``billing_processed_at`` is empty and stamps them.
    """

    class Kind(models.TextChoices):
        CANCELLATION = "cancellation", "Cancellation"
        RESCHEDULE = "reschedule", "Reschedule"
        NO_SHOW = "no_show", "No-show"

    class Party(models.TextChoices):
        TUTOR = "tutor", "Tutor"
        STUDENT = "student", "Student or parent"
        AGENCY = "agency", "Agency"
        SYSTEM = "system", "System"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # Who asked for it (a cancellation by the tutor refunds the student in full).
    party = models.CharField(max_length=8, choices=Party.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.TextField(blank=True)
    previous_starts_at = models.DateTimeField()
    previous_ends_at = models.DateTimeField()
    new_starts_at = models.DateTimeField(null=True, blank=True)
    new_ends_at = models.DateTimeField(null=True, blank=True)
    # Hours between the change and the session's start.
    notice_hours = models.DecimalField(max_digits=8, decimal_places=2)
    within_free_window = models.BooleanField()
    fee_percent = models.PositiveSmallIntegerField(default=0)
    fee_minor = models.PositiveIntegerField(default=0)
    refund_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    billing_processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fee_percent__lte=100), name="scheduling_change_fee_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of session {self.session_id}"


class SessionAttachment(models.Model):
    """A file shared on a session (worksheet, homework, slides): a protected document."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attachments")
    document = models.OneToOneField("crm.Document", on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Attachment {self.pk} of session {self.session_id}"


class SessionReminder(models.Model):
    """A reminder sent: unique per session, kind and start, so it goes out exactly once
    (and again, once, if the session moves).
    """

    class Kind(models.TextChoices):
        DAY_BEFORE = "24h", "24 hours before"
        HOUR_BEFORE = "1h", "1 hour before"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=3, choices=Kind.choices)
    starts_at = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "kind", "starts_at"], name="scheduling_reminder_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder for session {self.session_id}"


class CalendarFeed(models.Model):
    """A private ICS feed URL of one user in this tenant; only a hash of its secret is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(revoked_at__isnull=True),
                name="scheduling_feed_one_active_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.pk} of user {self.user_id}"


class CalendarConnection(models.Model):
    """A user's Google or Microsoft calendar, connected with OAuth for two-way sync.

    Tokens are stored encrypted (``scheduling.calendars.crypto``).
    """

    class Provider(models.TextChoices):
        GOOGLE = "google", "Google Calendar"
        MICROSOFT = "microsoft", "Microsoft Outlook"

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        ERROR = "error", "Needs reconnecting"
        REVOKED = "revoked", "Disconnected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    provider = models.CharField(max_length=10, choices=Provider.choices)
    account_email = models.EmailField(blank=True)
    calendar_id = models.CharField(max_length=255, default="primary")
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scope = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    busy_synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "provider"], name="scheduling_calendar_one_per_provider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} of user {self.user_id}"


class ExternalEvent(models.Model):
    """The event a session became in a connected calendar."""

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="events"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="external_events")
    event_id = models.CharField(max_length=255)
    synced_starts_at = models.DateTimeField()
    synced_ends_at = models.DateTimeField()
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "session"], name="scheduling_event_one_per_session"
            ),
        ]

    def __str__(self) -> str:
        return f"Event {self.event_id} for session {self.session_id}"


class ExternalBusyTime(models.Model):
    """A busy period read from a connected calendar; it blocks the tutor's slots."""

    connection = models.ForeignKey(
        CalendarConnection, on_delete=models.CASCADE, related_name="busy_times"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["connection", "starts_at"], name="scheduling_busy_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="scheduling_busy_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Busy {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M} UTC"
