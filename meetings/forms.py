"""Forms of the meetings pages: they shape the input; the services hold the rules."""

from __future__ import annotations

import datetime as dt

from django import forms

from crm.models import TutorProfile
from meetings.providers import provider_choices
from meetings.selectors import MAX_RANGE_DAYS, STATUS_FILTERS
from meetings.services.completion import REASON_LIMIT
from meetings.services.settings import NUMBER_RANGES

EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2999, 12, 31)


def _number(field: str, label: str, help_text: str = "") -> forms.IntegerField:
    low, high = NUMBER_RANGES[field]
    return forms.IntegerField(
        label=label,
        min_value=low,
        max_value=high,
        help_text=help_text or f"{low} to {high}.",
    )


class MeetingSettingsForm(forms.Form):
    provider = forms.ChoiceField(label="Video provider", choices=())
    join_early_minutes = _number(
        "join_early_minutes",
        "Join from (minutes before the start)",
        help_text="0 to 120. People can enter the meeting this long before the class.",
    )
    join_grace_minutes = _number(
        "join_grace_minutes",
        "Join until (minutes after the end)",
        help_text="0 to 240.",
    )
    parents_may_join = forms.BooleanField(
        label="Linked parents may join their child's classes", required=False
    )
    staff_may_observe = forms.BooleanField(
        label="Owners, admins and staff may join any class as observers", required=False
    )
    auto_confirm_hours = _number(
        "auto_confirm_hours",
        "Confirm classes automatically after (hours)",
        help_text=(
            "0 to 336. A class both sides attended is confirmed this long after its end "
            "unless a problem was reported; 0 means only people confirm."
        ),
    )
    recordings_enabled = forms.BooleanField(
        label="Keep recordings of classes whose student's side consented", required=False
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = provider_choices()


class ProblemForm(forms.Form):
    reason = forms.CharField(
        label="What went wrong?",
        max_length=REASON_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MeetingFilterForm(forms.Form):
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    tutor = forms.ModelChoiceField(
        label="Tutor", required=False, queryset=TutorProfile.objects.none(), empty_label="Any"
    )
    status = forms.ChoiceField(
        label="Meeting", required=False, choices=[("", "Any"), *STATUS_FILTERS]
    )
    provider = forms.ChoiceField(label="Provider", required=False, choices=())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tutor"].queryset = TutorProfile.objects.select_related("user").order_by(
            "user__last_name", "user__first_name", "id"
        )
        self.fields["tutor"].label_from_instance = lambda tutor: tutor.full_name or "Tutor"
        self.fields["provider"].choices = [("", "Any"), *provider_choices()]

    def clean(self):
        data = super().clean()
        for name in ("date_from", "date_to"):
            day = data.get(name)
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, f"Use a date from {EARLIEST} to {LATEST}.")
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and not self.errors:
            if end < start:
                self.add_error("date_to", "The last day cannot be before the first.")
            elif (end - start).days >= MAX_RANGE_DAYS:
                self.add_error("date_to", f"Choose at most {MAX_RANGE_DAYS} days.")
        return data

    def search(self) -> dict:
        data = self.cleaned_data
        tutor = data.get("tutor")
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "tutor": tutor.pk if tutor is not None else None,
            "status": data.get("status") or "",
            "provider": data.get("provider") or "",
        }
