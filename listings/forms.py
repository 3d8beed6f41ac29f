"""The marketplace search form: every parameter of ``listing_search``, checked once for the
search page and the API alike.

Prices are typed in major units of the chosen currency (40 or 40.50 GBP) and become minor
units here. The availability range takes dates or dates with times, read in the viewer's
zone (``tz`` when given, else the signed-in user's, else UTC); a date alone as the end
means the end of that day, so "from 5 to 5 May" is one whole day.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.templatetags.money import minor_digits, money_minor
from crm.currencies import ISO_4217_CODES
from crm.models import Level
from listings.selectors import COUNT_CAP, MAX_PER_PAGE, SORTS
from marketplace.selectors.languages import ISO_639_1
from tenants.validators import time_zones
from web.forms import EARLIEST, LATEST

__all__ = ["MAX_RANGE_DAYS", "ListingSearchForm"]

MAX_RANGE_DAYS = 60
DEFAULT_RANGE = dt.timedelta(days=7)
PER_PAGE = 20
RATINGS = [("", "Any rating"), ("3", "3 and up"), ("4", "4 and up"), ("4.5", "4.5 and up")]


class LocalDateTimeField(forms.DateTimeField):
    """A date, or a date and time (ISO 8601); left naive until the form knows the zone."""

    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, dt.date):
            return dt.datetime.combine(value, dt.time())  # naive on purpose: see clean()
        text = str(value).strip()
        try:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValidationError(
                "Use a date (2030-05-01) or a date and time (2030-05-01T09:00).", code="invalid"
            ) from None
        if not EARLIEST <= parsed.date() <= LATEST:
            raise ValidationError(f"Use a date from {EARLIEST} to {LATEST}.", code="invalid")
        return parsed

    def prepare_value(self, value):
        return value


class ListingSearchForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=200, widget=forms.SearchInput())
    subject = forms.SlugField(label="Subject", required=False, max_length=80, allow_unicode=True)
    level = forms.ChoiceField(
        label="Level", required=False, choices=[("", "Any level"), *Level.choices]
    )
    currency = forms.CharField(
        label="Currency",
        required=False,
        max_length=3,
        widget=forms.TextInput(attrs={"placeholder": "GBP", "autocapitalize": "characters"}),
    )
    price_min = forms.DecimalField(
        label="Price from",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "a session"}),
    )
    price_max = forms.DecimalField(
        label="Price up to",
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "any", "placeholder": "a session"}),
    )
    min_rating = forms.DecimalField(
        label="Rating",
        required=False,
        min_value=1,
        max_value=5,
        max_digits=3,
        decimal_places=2,
        widget=forms.Select(choices=RATINGS),
    )
    language = forms.CharField(
        label="Language",
        required=False,
        max_length=2,
        widget=forms.Select(
            choices=[
                ("", "Any language"),
                *sorted(ISO_639_1.items(), key=lambda item: item[1]),
            ]
        ),
    )
    available_from = LocalDateTimeField(label="Free from", required=False)
    available_to = LocalDateTimeField(label="Free until", required=False)
    verified_only = forms.BooleanField(label="Verified tutors only", required=False)
    sort = forms.ChoiceField(label="Sort by", required=False, choices=list(SORTS.items()))
    page = forms.IntegerField(required=False, min_value=1, max_value=COUNT_CAP)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PER_PAGE)
    tz = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput())

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].strip().upper()
        if code and code not in ISO_4217_CODES:
            raise ValidationError("Use a three-letter currency code, like GBP.")
        return code

    def clean_language(self) -> str:
        code = self.cleaned_data["language"].strip().lower()
        if code and code not in ISO_639_1:
            raise ValidationError("Use a two-letter language code (ISO 639-1), like en.")
        return code

    def clean_tz(self) -> str:
        name = self.cleaned_data["tz"].strip()
        if name and name not in time_zones():
            raise ValidationError("Use an IANA time zone name, like Europe/London.")
        return name

    def _zone(self) -> dt.tzinfo:
        name = self.cleaned_data.get("tz")
        return zoneinfo.ZoneInfo(name) if name else timezone.get_current_timezone()

    def _date_only(self, name: str) -> bool:
        raw = self.data.get(self.add_prefix(name), "")
        return isinstance(raw, str) and len(raw.strip()) == 10

    def _clean_prices(self, data: dict) -> None:
        currency = data.get("currency")
        bounds = {name: data.get(name) for name in ("price_min", "price_max")}
        if all(value is None for value in bounds.values()):
            return
        if not currency:
            if "currency" not in self.errors:
                self.add_error("currency", "Choose the currency of the price range.")
            return
        for name, value in bounds.items():
            if value is None:
                continue
            minor = money_minor(value, currency)
            if minor is None:
                digits = minor_digits(currency)
                self.add_error(name, f"{currency} amounts have at most {digits} decimals.")
            else:
                data[name] = minor
        low, high = data.get("price_min"), data.get("price_max")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            self.add_error("price_max", "The highest price cannot be below the lowest.")

    def _clean_range(self, data: dict) -> None:
        start, end = data.get("available_from"), data.get("available_to")
        if start is None and end is None:
            return
        if "tz" in self.errors:
            return
        zone = self._zone()
        if end is not None and self._date_only("available_to"):
            end += dt.timedelta(days=1)  # the whole last day
        if start is not None and timezone.is_naive(start):
            start = timezone.make_aware(start, zone)
        if end is not None and timezone.is_naive(end):
            end = timezone.make_aware(end, zone)
        start = start or timezone.now()
        end = end or start + DEFAULT_RANGE
        if end <= start:
            self.add_error("available_to", "The end must be after the start.")
        elif end - start > dt.timedelta(days=MAX_RANGE_DAYS):
            self.add_error("available_to", f"Search at most {MAX_RANGE_DAYS} days at a time.")
        else:
            data["available_from"], data["available_to"] = start, end

    def clean(self):
        data = super().clean()
        self._clean_prices(data)
        self._clean_range(data)
        return data

    def search_params(self) -> dict:
        """Keyword arguments for ``listing_search`` (call after ``is_valid``)."""
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "subject": data.get("subject") or "",
            "level": data.get("level") or "",
            "price_min": data.get("price_min"),
            "price_max": data.get("price_max"),
            "currency": data.get("currency") or "",
            "min_rating": data.get("min_rating"),
            "available_from": data.get("available_from"),
            "available_to": data.get("available_to"),
            "language": data.get("language") or "",
            "verified_only": bool(data.get("verified_only")),
            "sort": data.get("sort") or "relevance",
            "page": data.get("page") or 1,
            "per_page": data.get("page_size") or PER_PAGE,
        }
