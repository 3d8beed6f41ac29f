"""Tenant-schema models of the meetings domain: the video room of each session, who joined
it, whether the class was held, and its recordings.

A ``Meeting`` is made by the tenant's provider (``MeetingSettings.provider``: Jitsi or
Zoom) once a session is confirmed, and follows the session when it is moved or
cancelled. People never get the provider's link directly: they join through the
platform's join endpoint, which checks who they are and when it is, records their
``Attendance``, and only then hands out a short-lived token or the provider's URL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class MeetingSettings(models.Model):
    """The tenant's meeting policy: one row (pk 1)."""

    # A key of settings.MEETING_PROVIDERS ("jitsi", "zoom").
    provider = models.CharField(max_length=16, default="jitsi")
    # Zoom: the agency's own connected account; empty means the platform's account.
    zoom_connection = models.ForeignKey(
        "meetings.ZoomConnection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The join window: from this many minutes before the start to this many after the end.
    join_early_minutes = models.PositiveSmallIntegerField(default=15)
    join_grace_minutes = models.PositiveSmallIntegerField(default=15)
    # Whether a student's linked parents may join their child's classes.
    parents_may_join = models.BooleanField(default=False)
    # Whether owners, admins and staff may join any class as silent observers.
    staff_may_observe = models.BooleanField(default=True)
    # A class both sides attended is confirmed this many hours after its end unless the
    # student reported a problem (0: only people confirm).
    auto_confirm_hours = models.PositiveSmallIntegerField(default=24)
    # Recording links are kept only where this is on and consent was recorded.
    recordings_enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="meetings_settings_singleton"),
            models.CheckConstraint(
                condition=Q(join_early_minutes__lte=120, join_grace_minutes__lte=240),
                name="meetings_settings_window_range",
            ),
            models.CheckConstraint(
                condition=Q(auto_confirm_hours__lte=24 * 14),
                name="meetings_settings_auto_confirm_range",
            ),
        ]

    def __str__(self) -> str:
        return "Meeting settings"

    @classmethod
    def current(cls) -> MeetingSettings:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class ZoomConnection(models.Model):
    """An agency's Zoom account, authorized by one of its people (OAuth user-managed app).

    Tokens are stored encrypted (``scheduling.calendars.crypto``).
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Connected"
        REVOKED = "revoked", "Needs reconnecting"

    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    zoom_user_id = models.CharField(max_length=64)
    zoom_account_id = models.CharField(max_length=64, blank=True)
    email = models.EmailField(blank=True)
    access_token = models.TextField(blank=True)
    refresh_token = models.TextField(blank=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    scope = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zoom_user_id"], name="meetings_zoom_connection_user"),
        ]

    def __str__(self) -> str:
        return f"Zoom {self.email or self.zoom_user_id} ({self.status})"


class MeetingStatus(models.TextChoices):
    PENDING = "pending", "Being set up"
    READY = "ready", "Ready"
    FAILED = "failed", "Could not be set up"
    CANCELLED = "cancelled", "Cancelled"


class Meeting(models.Model):
    """The video room of one session at its provider."""

    Status = MeetingStatus

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="meeting"
    )
    provider = models.CharField(max_length=16)
    status = models.CharField(
        max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PENDING
    )
    # Jitsi: the room's name (random, unguessable). Zoom: empty.
    room_name = models.CharField(max_length=100, blank=True)
    # Zoom: the meeting id; the participants' join URL (carries the encoded passcode).
    external_id = models.CharField(max_length=64, blank=True)
    join_url = models.URLField(max_length=1000, blank=True)
    # The room password (Jitsi) or meeting passcode (Zoom), handed out only on joining.
    passcode = models.CharField(max_length=32, blank=True)
    # Zoom: the host user the meeting was made under (per-user daily limits count there)
    # and the agency connection used (empty: the platform's account).
    host_account = models.CharField(max_length=254, blank=True)
    zoom_connection = models.ForeignKey(
        ZoomConnection, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The times the provider was last told (a move compares against these).
    scheduled_start = models.DateTimeField(null=True, blank=True)
    scheduled_end = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Join links went out to the people of the session (once, 15 minutes before).
    join_links_sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status"], name="meetings_meeting_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["room_name"],
                condition=~Q(room_name=""),
                name="meetings_meeting_room_name_unique",
            ),
            models.UniqueConstraint(
                fields=["provider", "external_id"],
                condition=~Q(external_id=""),
                name="meetings_meeting_external_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} meeting of session {self.session_id} ({self.status})"


class AttendanceRole(models.TextChoices):
    TUTOR = "tutor", "Tutor"
    STUDENT = "student", "Student"
    PARENT = "parent", "Parent"
    OBSERVER = "observer", "Observer"


class Attendance(models.Model):
    """One person's presence in one session's meeting: a summary of their events."""

    Role = AttendanceRole

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="attendances"
    )
    # Empty for a provider participant we could not match to an account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    role = models.CharField(max_length=10, choices=AttendanceRole.choices, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    first_joined_at = models.DateTimeField()
    last_joined_at = models.DateTimeField()
    last_left_at = models.DateTimeField(null=True, blank=True)
    join_count = models.PositiveIntegerField(default=0)
    # Seconds between matched joined/left events reported by the provider.
    seconds_present = models.PositiveIntegerField(default=0)
    # Through the platform's join endpoint, and/or confirmed by the provider's events.
    via_platform = models.BooleanField(default=False)
    via_provider = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["first_joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user"],
                condition=Q(user__isnull=False),
                name="meetings_attendance_one_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name or self.user_id} in session {self.session_id}"


class AttendanceEvent(models.Model):
    """What was seen: a join through the platform, or a provider's joined/left event."""

    class Kind(models.TextChoices):
        JOINED = "joined", "Joined"
        LEFT = "left", "Left"

    session = models.ForeignKey("scheduling.Session", on_delete=models.CASCADE, related_name="+")
    attendance = models.ForeignKey(
        Attendance, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=6, choices=Kind.choices)
    # "platform" (the join endpoint) or the provider's name.
    source = models.CharField(max_length=16)
    occurred_at = models.DateTimeField()
    # Makes a provider's retried webhook a no-op (empty for platform joins).
    dedupe_key = models.CharField(max_length=200, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="meetings_attendance_event_dedupe",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} via {self.source} at {self.occurred_at:%Y-%m-%d %H:%M}"


class SessionCompletion(models.Model):
    """Whether a class was held: the tutor marks it, the student (or the clock) confirms.

    Confirming moves the session to ``completed``, which billing releases payment on.
    """

    class Via(models.TextChoices):
        STUDENT = "student", "Confirmed by the student"
        PARENT = "parent", "Confirmed by a parent"
        AUTOMATIC = "automatic", "Confirmed automatically (both attended)"
        STAFF = "staff", "Confirmed by agency staff"

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="completion"
    )
    held_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    held_marked_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_via = models.CharField(max_length=10, choices=Via.choices, blank=True)
    # The student's side said something went wrong: no automatic confirmation.
    problem_reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    problem_reported_at = models.DateTimeField(null=True, blank=True)
    problem_reason = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | ~Q(confirmed_via=""),
                name="meetings_completion_confirmed_how",
            ),
        ]

    def __str__(self) -> str:
        return f"Completion of session {self.session_id}"


class RecordingConsent(models.Model):
    """Consent to record a session, from the student or (for a minor) a parent.

    At most one consent per session is in force; withdrawn ones stay as the record.
    """

    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="recording_consents"
    )
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    given_at = models.DateTimeField()
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
                fields=["session"],
                condition=Q(withdrawn_at__isnull=True),
                name="meetings_recording_consent_one_in_force",
            ),
        ]

    def __str__(self) -> str:
        return f"Recording consent for session {self.session_id}"


class Recording(models.Model):
    """One recording file the provider reported for a session's meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="recordings")
    external_id = models.CharField(max_length=100)
    recording_type = models.CharField(max_length=60, blank=True)
    file_type = models.CharField(max_length=20, blank=True)
    file_size = models.BigIntegerField(null=True, blank=True)
    play_url = models.URLField(max_length=1000, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "external_id"], name="meetings_recording_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Recording {self.external_id} of {self.meeting_id}"
