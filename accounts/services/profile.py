"""A person changing their own account: names, time zone, language, password."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import TokenFamily, User
from accounts.ratelimits import rate_limit_check, rate_limit_consume
from audit.services import audit_record, client_ip
from config.errors import ApplicationError
from notifications.services import notify
from tenants.validators import validate_time_zone

_PROFILE_FIELDS = ("first_name", "last_name", "time_zone", "locale")


@transaction.atomic
def user_profile_update(*, user: User, request=None, **changes: str) -> User:
    """Change ``user``'s names, time zone or language; unknown fields are refused."""
    unknown = set(changes) - set(_PROFILE_FIELDS)
    if unknown:
        raise ValidationError({field: ["This field can't be changed here."] for field in unknown})
    errors: dict[str, list[str]] = {}
    if "first_name" in changes:
        changes["first_name"] = changes["first_name"].strip()
        if not changes["first_name"]:
            errors["first_name"] = ["Enter your first name."]
    if "last_name" in changes:
        changes["last_name"] = changes["last_name"].strip()
    for field in ("first_name", "last_name"):
        if len(changes.get(field, "")) > 150:
            errors[field] = ["Use at most 150 characters."]
    if "time_zone" in changes:
        try:
            validate_time_zone(changes["time_zone"])
        except ValidationError as error:
            errors["time_zone"] = error.messages
    if "locale" in changes and changes["locale"] not in dict(settings.LANGUAGES):
        errors["locale"] = ["Choose one of the offered languages."]
    if errors:
        raise ValidationError(errors)
    before = {field: getattr(user, field) for field in changes}
    for field, value in changes.items():
        setattr(user, field, value)
    user.save(update_fields=list(changes) or None)
    changed = {
        field: [before[field], value] for field, value in changes.items() if before[field] != value
    }
    if changed:
        audit_record(
            action="account.profile_updated",
            actor=user,
            target=user,
            data={"changed": changed},
            request=request,
        )
    return user


def password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_family: str | None = None,
    request=None,
) -> User:
    """Change the password of a signed-in person; every other session of theirs ends.

    The current password is checked like a sign-in (wrong guesses count against the
    account's limit), so a borrowed unlocked session cannot lock its owner out.
    """
    ip = client_ip(request)
    rate_limit_check("login", ip=ip, account=user.email)
    if not user.check_password(current_password):
        rate_limit_consume("login", ip=ip, account=user.email)
        audit_record(action="auth.password_change_failed", actor=user, target=user, request=request)
        raise ApplicationError(
            "Your current password is not right.",
            code="invalid_password",
            status=400,
            extra={"fields": {"current_password": ["Not right."]}},
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationError({"new_password": error.messages}) from error
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        families = TokenFamily.objects.filter(user=user, revoked_at__isnull=True)
        if keep_family:
            families = families.exclude(pk=keep_family)
        families.update(revoked_at=timezone.now(), revoked_reason="password_changed")
        audit_record(action="auth.password_changed", actor=user, target=user, request=request)
        notify(
            user=user,
            event="account.password_changed",
            title="Your password was changed",
            body="If this wasn't you, reset your password now and contact support.",
        )
    return user
