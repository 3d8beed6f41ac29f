"""Form plumbing shared by portal pages."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError

from config.errors import ApplicationError


def form_apply_errors(form: forms.Form, error: Exception) -> None:
    """Put a service's ValidationError/ApplicationError onto the form's fields."""
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    elif isinstance(error, ValidationError):
        for message in error.messages:
            form.add_error(None, message)
    elif isinstance(error, ApplicationError):
        fields = error.extra.get("fields", {})
        if fields:
            for field, messages in fields.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            form.add_error(None, error.message)
    else:
        raise error


# Dates a search form accepts: wide enough for any real record, narrow enough that the
# database never sees a year it cannot store.
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2999, 12, 31)


def date_range_clean(form: forms.Form, data: dict, start: str = "date_from", end: str = "date_to"):
    """Field errors for a search form's optional date range: each day within bounds, the
    last not before the first."""
    for field in (start, end):
        day = data.get(field)
        if day is not None and not EARLIEST <= day <= LATEST:
            form.add_error(field, f"Use a date from {EARLIEST} to {LATEST}.")
    first, last = data.get(start), data.get(end)
    if first and last and last < first and not form.errors:
        form.add_error(end, "The last day cannot be before the first.")
    return data
