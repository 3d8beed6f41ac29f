"""The form that books a gig from the marketplace: for whom, the package, a message.

It only shapes what the browser sent; every rule (ages, consent, the slot still free) is
``marketplace.services.booking.gig_book``'s, whose field errors land back here through
``SERVICE_FIELDS``.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.dateparse import parse_datetime

from billing.templatetags.money import money

FOR_CHOICES = [("me", "For me"), ("child", "For my child")]
SINGLE = ""
NO_START = "Choose a time from the gig's free times."


def _package_label(package: dict, currency: str) -> str:
    total = money(package["price_minor"], currency)
    each = money(package["per_session_minor"], currency)
    return f"{package['sessions']} weekly sessions, {total} ({each} a session)"


class GigBookingForm(forms.Form):
    start = forms.CharField(max_length=40, widget=forms.HiddenInput())
    for_whom = forms.ChoiceField(
        label="Who is the class for?", choices=FOR_CHOICES, widget=forms.RadioSelect
    )
    date_of_birth = forms.DateField(
        label="Your date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Recorded with your student profile; you must be 18 or over.",
    )
    child_first_name = forms.CharField(label="Child's first name", required=False, max_length=150)
    child_last_name = forms.CharField(label="Child's last name", required=False, max_length=150)
    child_date_of_birth = forms.DateField(
        label="Child's date of birth",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    consent = forms.BooleanField(label="I agree", required=False)
    package = forms.ChoiceField(label="Sessions", required=False)
    message = forms.CharField(
        label="Message to the tutor",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional: what you would like to work on.",
    )

    def __init__(
        self,
        *args,
        price_minor: int,
        currency: str,
        packages: list[dict],
        roles: tuple[str, ...] = ("me", "child"),
        needs_date_of_birth: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.needs_date_of_birth = needs_date_of_birth
        self.offers_me = "me" in roles
        self.offers_child = "child" in roles
        self.fields["for_whom"].choices = [c for c in FOR_CHOICES if c[0] in roles]
        if len(roles) == 1:
            self.fields["for_whom"].initial = roles[0]
        self.fields["package"].choices = [
            (SINGLE, f"One session, {money(price_minor, currency)}"),
            *((str(p["sessions"]), _package_label(p, currency)) for p in packages),
        ]
        if not packages:
            self.fields["package"].widget = forms.HiddenInput()

    @staticmethod
    def parse_start(value: str | None) -> dt.datetime | None:
        """An ISO date and time with its offset, else None."""
        # A "+" in a query string arrives as a space.
        value = (value or "").strip().replace(" ", "+")[:40]
        try:
            parsed = parse_datetime(value)
        except ValueError:
            return None
        return parsed if parsed is not None and parsed.tzinfo is not None else None

    def clean_start(self) -> dt.datetime:
        parsed = self.parse_start(self.cleaned_data["start"])
        if parsed is None:
            raise forms.ValidationError(NO_START)
        return parsed

    def student(self) -> dict:
        """The service's ``student`` argument from what was chosen."""
        data = self.cleaned_data
        if data.get("for_whom") == "child":
            return {
                "for": "child",
                "first_name": data.get("child_first_name", ""),
                "last_name": data.get("child_last_name", ""),
                "date_of_birth": data.get("child_date_of_birth"),
                "consent": bool(data.get("consent")),
            }
        student = {"for": "me"}
        if data.get("date_of_birth"):
            student["date_of_birth"] = data["date_of_birth"]
        return student

    def package_sessions(self) -> int | None:
        value = self.cleaned_data.get("package") or SINGLE
        return None if value == SINGLE else int(value)

    def apply(self, errors: dict[str, list[str]]) -> None:
        """Put the service's field errors on this form's fields."""
        child = self.cleaned_data.get("for_whom") == "child"
        fields = {
            "starts_at": None,
            "package_sessions": "package",
            "message": "message",
            "student.for": "for_whom",
            "student.first_name": "child_first_name",
            "student.last_name": "child_last_name",
            "student.date_of_birth": "child_date_of_birth" if child else "date_of_birth",
            "student.consent": "consent",
        }
        for field, messages in errors.items():
            target = fields.get(field)
            for message in messages:
                self.add_error(target, message)
