"""Forms of the gig pages: they shape the input (prices in major units, languages as
text) and start a new gig from the tutor's profile; the services hold the rules. The
preview card is built here too, from a saved gig or from the form as typed so far."""

from __future__ import annotations

import re
from decimal import Decimal

from django import forms

from billing.templatetags.money import minor_digits, money_amount, money_minor
from crm.currencies import ISO_4217_CODES
from crm.models import Difficulty, Level, Subject, TutorProfile, TutorSubject
from marketplace.models import Gig
from marketplace.selectors.languages import ISO_639_1, language_names
from marketplace.services.gigs import (
    DESCRIPTION_MAX,
    FIELDS,
    LANGUAGES_MAX,
    PACKAGE_SESSIONS,
    PACKAGES_MAX,
    TITLE_MAX,
)
from scheduling.services.bookings import DURATIONS

MAX_MINOR = 2**31 - 1


def _minor(form: forms.Form, field: str, amount: Decimal | None, currency: str) -> int | None:
    """``amount`` in minor units of ``currency``, or a field error and None."""
    if amount is None or not currency:
        return None
    minor = money_minor(amount, currency)
    if minor is None:
        digits = minor_digits(currency)
        form.add_error(
            field,
            f"{currency} amounts have no decimals."
            if digits == 0
            else f"Use at most {digits} decimals for {currency}.",
        )
    elif not 0 < minor <= MAX_MINOR:
        form.add_error(field, "Enter an amount above zero.")
    else:
        return minor
    return None


class GigForm(forms.Form):
    title = forms.CharField(label="Title", max_length=TITLE_MAX)
    subject_id = forms.TypedChoiceField(label="Subject", coerce=int, choices=())
    level = forms.ChoiceField(label="Level", choices=Level.choices)
    difficulty = forms.ChoiceField(
        label="Difficulty", choices=[("", "Any"), *Difficulty.choices], required=False
    )
    languages = forms.CharField(
        label="Languages",
        max_length=100,
        help_text=f"Up to {LANGUAGES_MAX} ISO 639-1 codes separated by commas, like en, fr.",
    )
    description = forms.CharField(
        label="Description",
        max_length=DESCRIPTION_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="What the student gets: topics, approach, materials. Needed to publish.",
    )
    price = forms.DecimalField(
        label="Price per session", min_value=0, max_digits=15, decimal_places=3, localize=False
    )
    currency = forms.ChoiceField(
        label="Currency", choices=[(code, code) for code in sorted(ISO_4217_CODES)]
    )
    duration_minutes = forms.TypedChoiceField(
        label="Length of a session",
        coerce=int,
        choices=[(minutes, f"{minutes} minutes") for minutes in DURATIONS],
    )

    def __init__(self, *args, subjects: list[Subject], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject_id"].choices = [(subject.pk, subject.name) for subject in subjects]

    def clean_languages(self) -> list[str]:
        text = self.cleaned_data["languages"]
        return [part for part in re.split(r"[\s,;]+", text.lower()) if part]

    def clean(self):
        data = super().clean()
        data["price_minor"] = _minor(self, "price", data.get("price"), data.get("currency", ""))
        return data

    def values(self) -> dict:
        """The gig's fields as the services take them."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "subject_id": data["subject_id"],
            "level": data["level"],
            "difficulty": data["difficulty"],
            "languages": data["languages"],
            "description": data["description"],
            "price_minor": data["price_minor"],
            "currency": data["currency"],
            "duration_minutes": data["duration_minutes"],
        }

    @staticmethod
    def initial_of(gig: Gig) -> dict:
        return {
            "title": gig.title,
            "subject_id": gig.subject_id,
            "level": gig.level,
            "difficulty": gig.difficulty,
            "languages": ", ".join(gig.languages),
            "description": gig.description,
            "price": money_amount(gig.price_minor, gig.currency),
            "currency": gig.currency,
            "duration_minutes": gig.duration_minutes,
        }


class PackageForm(forms.Form):
    sessions = forms.IntegerField(
        label="Sessions",
        min_value=PACKAGE_SESSIONS[0],
        max_value=PACKAGE_SESSIONS[1],
        required=False,
    )
    price = forms.DecimalField(
        label="Total price", min_value=0, max_digits=15, decimal_places=3, required=False
    )

    def clean(self):
        data = super().clean()
        sessions, price = data.get("sessions"), data.get("price")
        if sessions is not None and price is None and "price" not in self.errors:
            self.add_error("price", "Enter the package's total price.")
        if price is not None and sessions is None and "sessions" not in self.errors:
            self.add_error("sessions", "Enter the number of sessions.")
        return data


PackageFormSet = forms.formset_factory(
    PackageForm, extra=PACKAGES_MAX, max_num=PACKAGES_MAX, absolute_max=PACKAGES_MAX
)


def package_formset(data=None, *, gig: Gig | None = None) -> forms.BaseFormSet:
    initial = (
        [
            {"sessions": package.sessions, "price": money_amount(package.price_minor, gig.currency)}
            for package in gig.packages.all()
        ]
        if gig is not None
        else []
    )
    return PackageFormSet(data, initial=initial, prefix="packages")


def package_values(formset: forms.BaseFormSet, currency: str) -> list[dict] | None:
    """The filled-in rows as the services take them; None when a price is not valid."""
    packages = []
    for form in formset.forms:
        sessions, price = form.cleaned_data.get("sessions"), form.cleaned_data.get("price")
        if sessions is None and price is None:
            continue
        minor = _minor(form, "price", price, currency)
        if minor is None:
            return None
        packages.append({"sessions": sessions, "price_minor": minor})
    return packages


# Starting a gig ----------------------------------------------------------------------------


def subject_choices(profile: TutorProfile | None, *, keep: int | None = None) -> list[Subject]:
    """The active subjects the tutor teaches (and the gig's own, so an edit can show it)."""
    taught = TutorSubject.objects.filter(profile=profile, subject__is_active=True).values(
        "subject_id"
    )
    subjects = Subject.objects.filter(pk__in=taught) if profile else Subject.objects.none()
    if keep is not None:
        subjects = subjects | Subject.objects.filter(pk=keep)
    return list(subjects.distinct().order_by("ordering", "name", "id"))


def new_gig_initial(profile: TutorProfile | None, *, currency: str) -> dict:
    """A start from the tutor's profile: first subject's level and rate, their languages."""
    first = (
        TutorSubject.objects.filter(profile=profile, subject__is_active=True)
        .select_related("subject")
        .first()
        if profile
        else None
    )
    languages = []
    for tag in profile.languages if profile else []:
        code = str(tag).split("-")[0].lower()
        if code in ISO_639_1 and code not in languages:
            languages.append(code)
    initial = {
        "currency": currency,
        "duration_minutes": 60,
        "languages": ", ".join(languages[:LANGUAGES_MAX]),
    }
    if first is not None:
        initial.update({"subject_id": first.subject_id, "level": first.level})
        if first.hourly_rate_minor:
            initial.update(
                {
                    "price": money_amount(first.hourly_rate_minor, first.currency),
                    "currency": first.currency,
                }
            )
    return initial


# The preview: how the gig will look to a student --------------------------------------------


def gig_preview(
    *, tutor: TutorProfile | None, values: dict, subject: Subject | None, packages: list[dict]
) -> dict:
    """What the gig's card shows, from whatever ``values`` are known (all optional)."""
    languages = [code for code in values.get("languages") or [] if code in ISO_639_1]
    price_minor, currency = values.get("price_minor"), values.get("currency") or ""
    return {
        "title": values.get("title") or "Your gig's title",
        "tutor_name": tutor.full_name if tutor else "",
        "subject": subject.name if subject else "",
        "level": Level(values["level"]).label if values.get("level") in Level.values else "",
        "difficulty": Difficulty(values["difficulty"]).label
        if values.get("difficulty") in Difficulty.values
        else "",
        "languages": language_names(languages),
        "description": values.get("description") or "",
        "price_minor": price_minor,
        "currency": currency,
        "duration_minutes": values.get("duration_minutes"),
        "packages": [
            {
                **package,
                "per_session_minor": package["price_minor"] // package["sessions"],
                "saving_minor": package["sessions"] * price_minor - package["price_minor"]
                if price_minor
                else 0,
            }
            for package in packages
            if package.get("sessions") and package.get("price_minor")
        ],
    }


def gig_preview_of(gig: Gig) -> dict:
    """The preview of a saved gig."""
    return gig_preview(
        tutor=gig.tutor,
        values={field: getattr(gig, field) for field in FIELDS},
        subject=gig.subject,
        packages=[
            {"sessions": package.sessions, "price_minor": package.price_minor}
            for package in gig.packages.all()
        ],
    )


def gig_preview_of_form(form: GigForm, formset, tutor: TutorProfile | None) -> dict:
    """The preview of what is typed so far: whatever parts are valid already."""
    form.is_valid()
    values = {
        field: value
        for field, value in form.cleaned_data.items()
        if field not in form.errors and value is not None
    }
    subject = Subject.objects.filter(pk=values.get("subject_id")).first()
    packages = []
    if formset.is_valid() and values.get("currency"):
        packages = package_values(formset, values["currency"]) or []
    return gig_preview(tutor=tutor, values=values, subject=subject, packages=packages)


class ListingForm(forms.Form):
    listed = forms.BooleanField(
        label="List our tutors' published gigs on the marketplace",
        required=False,
        help_text="Students searching the marketplace find and book them; you can stop at "
        "any time, which takes them off the marketplace (bookings already made stay).",
    )
