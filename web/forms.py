"""Form plumbing shared by portal pages."""

from __future__ import annotations

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
