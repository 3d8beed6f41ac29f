"""Forms of the tutor profile wizard and of the agency's review pages (crm credentials area).

They only parse what a browser sends; the crm services validate and decide.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from crm.models import Credential, Difficulty, Level, Visibility


def _visibility_field(section: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=f"Who sees your {section}",
        choices=Visibility.choices,
        help_text="Public: anyone once listed; agency: members of this agency; private: "
        "only you and the agency's staff.",
    )


class BasicsForm(forms.Form):
    headline = forms.CharField(max_length=120, help_text="One line students see first.")
    years_of_experience = forms.IntegerField(min_value=0, max_value=80)
    languages = forms.CharField(
        max_length=400, help_text="Language codes, separated by commas: en, pt-BR."
    )
    visibility = _visibility_field("basics")

    def clean_languages(self) -> list[str]:
        return [part.strip() for part in self.cleaned_data["languages"].split(",") if part.strip()]


class SubjectAddForm(forms.Form):
    subject_id = forms.TypedChoiceField(label="Subject", coerce=int)
    level = forms.ChoiceField(choices=Level.choices)
    difficulty = forms.ChoiceField(choices=Difficulty.choices, initial=Difficulty.BEGINNER)
    proficiency = forms.TypedChoiceField(
        choices=[(n, str(n)) for n in range(1, 6)], coerce=int, help_text="1 (basic) to 5 (expert)."
    )

    def __init__(self, *args, subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subject_id"].choices = [(s.pk, s.name) for s in subjects]


class VisibilityForm(forms.Form):
    def __init__(self, *args, section: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.section = section
        self.fields["visibility"] = _visibility_field(section)


class RatesForm(forms.Form):
    def __init__(self, *args, tutor_subjects, **kwargs):
        super().__init__(*args, **kwargs)
        self.tutor_subjects = list(tutor_subjects)
        for item in self.tutor_subjects:
            rate = item.hourly_rate_minor
            self.fields[f"rate_{item.pk}"] = forms.DecimalField(
                label=f"{item.subject.name}, {item.get_level_display()} ({item.currency} per hour)",
                min_value=Decimal("0.01"),
                max_digits=9,
                decimal_places=2,
                initial=None if rate is None else Decimal(rate) / 100,
            )


class AvailabilityForm(forms.Form):
    availability_summary = forms.CharField(
        label="When you can teach",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For example: weekday evenings after 6 pm, Saturday mornings.",
    )


class CredentialForm(forms.Form):
    kind = forms.ChoiceField(choices=Credential.Kind.choices)
    title = forms.CharField(max_length=200)
    issuer = forms.CharField(max_length=200, required=False)
    issued_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    expires_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(
        help_text="PDF, JPEG or PNG, at most 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )


class FileForm(forms.Form):
    file = forms.FileField()


class BioForm(forms.Form):
    bio = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    intro_video_url = forms.CharField(
        label="Introduction video link",
        max_length=500,
        required=False,
        help_text="An https:// link to a video elsewhere, or upload one below.",
    )
    visibility = _visibility_field("bio")


class VideoForm(forms.Form):
    file = forms.FileField(
        label="Upload a video",
        help_text="MP4 or WebM, at most 200 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/webm"}),
    )


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[("verified", "Verified"), ("rejected", "Rejected")], label="Decision"
    )
    reason = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when rejecting; the tutor sees it.",
    )
