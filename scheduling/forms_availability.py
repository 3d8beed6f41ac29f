"""Forms of the availability pages: they shape the input; the services hold the rules."""

from __future__ import annotations

import zoneinfo

from django import forms

from scheduling.models import AvailabilityException
from scheduling.services.availability import LIMITS, SLOT_INTERVALS

TIME_ZONE_CHOICES = [("", "My account's time zone")] + [
    (zone, zone) for zone in sorted(zoneinfo.available_timezones())
]


def _number(field: str, label: str, *, required: bool = True, help_text: str = "") -> forms.Field:
    low, high, _ = LIMITS[field]
    return forms.IntegerField(
        label=label, min_value=low, max_value=high, required=required, help_text=help_text
    )


AGENCY_DEFAULT = "Leave empty to use the agency's default"


class ScheduleForm(forms.Form):
    time_zone = forms.ChoiceField(
        choices=TIME_ZONE_CHOICES,
        required=False,
        label="Time zone of your weekly hours",
        help_text="Weekly hours and exceptions are read in this zone.",
    )
    slot_interval_minutes = forms.TypedChoiceField(
        choices=[(value, f"Every {value} minutes") for value in SLOT_INTERVALS],
        coerce=int,
        label="Sessions start",
    )
    buffer_minutes = _number(
        "buffer_minutes", "Buffer between sessions (minutes)", help_text="0 to 240."
    )
    minimum_notice_minutes = _number(
        "minimum_notice_minutes",
        "Minimum notice (minutes)",
        help_text="How long before a session it can still be booked: 720 is 12 hours.",
    )
    booking_horizon_days = _number(
        "booking_horizon_days", "Bookable up to (days ahead)", help_text="1 to 730."
    )
    instant_booking = forms.BooleanField(
        required=False,
        label="Instant booking",
        help_text="Requests in a free slot are confirmed at once, without your answer.",
    )
    free_cancellation_hours = _number(
        "free_cancellation_hours", "Free cancellation up to (hours before)", required=False
    )
    late_cancellation_fee_percent = _number(
        "late_cancellation_fee_percent", "Late cancellation fee (%)", required=False
    )
    no_show_fee_percent = _number("no_show_fee_percent", "No-show fee (%)", required=False)
    max_reschedules = _number("max_reschedules", "Reschedules allowed", required=False)

    POLICY_FIELDS = (
        "free_cancellation_hours",
        "late_cancellation_fee_percent",
        "no_show_fee_percent",
        "max_reschedules",
    )

    def __init__(self, *args, agency=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.POLICY_FIELDS:
            default = getattr(agency, field, None) if agency is not None else None
            suffix = f" (agency's default: {default})" if default is not None else ""
            self.fields[field].help_text = f"{AGENCY_DEFAULT}{suffix}."
            if default is not None:
                self.fields[field].widget.attrs["placeholder"] = str(default)


class ExceptionForm(forms.Form):
    kind = forms.ChoiceField(choices=AvailabilityException.Kind.choices, label="Kind")
    start_date = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        label="Until (inclusive)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Empty: the same day.",
    )
    start_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Empty times: whole days (only for time off).",
    )
    end_time = forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="23:59 means until midnight.",
    )
    reason = forms.CharField(max_length=200, required=False)


class PolicyForm(forms.Form):
    request_expiry_hours = _number(
        "request_expiry_hours",
        "Unanswered requests expire after (hours)",
        help_text="1 to 336 (two weeks).",
    )
    free_cancellation_hours = _number(
        "free_cancellation_hours",
        "Free cancellation up to (hours before)",
        help_text="Later cancellations by the student's side owe the late fee.",
    )
    late_cancellation_fee_percent = _number(
        "late_cancellation_fee_percent", "Late cancellation fee (% of the price)"
    )
    no_show_fee_percent = _number("no_show_fee_percent", "No-show fee (% of the price)")
    max_reschedules = _number(
        "max_reschedules", "Reschedules allowed per session", help_text="0 to 20."
    )
