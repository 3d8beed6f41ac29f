"""Agency sign-up: the owner's account (when new) and the agency, in one transaction."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.ratelimits import rate_limit_consume
from accounts.services.registration import email_verification_send, user_build
from audit.services import audit_record, client_ip
from tenants.models import Tenant
from tenants.services import agency_provision, agency_slug_validate


@transaction.atomic
def agency_signup(
    *,
    agency_name: str,
    slug: str,
    time_zone: str = "UTC",
    owner=None,
    email: str = "",
    password: str = "",
    first_name: str = "",
    last_name: str = "",
    locale: str = "en",
    request=None,
) -> Tenant:
    """Sign up an agency; a new owner must confirm their email before signing in."""
    rate_limit_consume("register", ip=client_ip(request), account=email or None)
    if owner is None:
        # Collect every problem at once: the slug's and the owner's fields together.
        errors: dict[str, list[str]] = {}
        for field, value in (("email", email), ("password", password), ("first_name", first_name)):
            if not value:
                errors[field] = ["This field is required."]
        try:
            agency_slug_validate(slug)
        except ValidationError as error:
            errors.update(error.message_dict)
        if not errors.keys() & {"email", "password", "first_name"}:
            try:
                owner = user_build(
                    email=email,
                    password=password,
                    first_name=first_name,
                    last_name=last_name,
                    time_zone=time_zone,
                    locale=locale,
                )
            except ValidationError as error:
                errors.update(error.message_dict)
        if errors:
            raise ValidationError(errors)  # the transaction drops a user already built
        audit_record(action="auth.registered", actor=owner, target=owner, request=request)
        email_verification_send(user=owner)
    return agency_provision(
        name=agency_name, slug=slug, owner=owner, time_zone=time_zone, request=request
    )
