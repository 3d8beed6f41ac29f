"""Creating accounts, confirming email addresses, resetting passwords."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts.models import User, UserManager
from accounts.ratelimits import rate_limit_consume
from audit.services import audit_record, client_ip
from config.errors import ApplicationError
from notifications.services import notify
from tenants.selectors import root_url
from tenants.validators import validate_time_zone

_VERIFY_SALT = "accounts.email-verification"
_EMAIL_TAKEN = "An account with this email address already exists."


def user_fields_validate(
    *,
    email: str,
    first_name: str,
    last_name: str,
    time_zone: str,
    locale: str,
) -> dict[str, list[str]]:
    """Field errors for a new account's details (the password is checked separately)."""
    errors: dict[str, list[str]] = {}
    max_email_length = User._meta.get_field("email").max_length
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    else:
        # validate_email allows 320 characters; the column holds fewer.
        if len(email) > max_email_length:
            errors["email"] = [f"Use at most {max_email_length} characters."]
        elif User.objects.filter(email__iexact=email).exists():
            errors["email"] = [_EMAIL_TAKEN]
    if not first_name.strip():
        errors["first_name"] = ["Enter your first name."]
    if len(first_name) > 150:
        errors["first_name"] = ["Use at most 150 characters."]
    if len(last_name) > 150:
        errors["last_name"] = ["Use at most 150 characters."]
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        errors["time_zone"] = error.messages
    if locale not in dict(settings.LANGUAGES):
        errors["locale"] = ["Choose one of the offered languages."]
    return errors


def user_build(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str = "",
    time_zone: str = "UTC",
    locale: str = "en",
    verified: bool = False,
) -> User:
    """Validate and save a new account; raise ValidationError with field messages."""
    email = UserManager.normalize_email(email)
    errors = user_fields_validate(
        email=email, first_name=first_name, last_name=last_name, time_zone=time_zone, locale=locale
    )
    user = User(
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        time_zone=time_zone,
        locale=locale,
        email_verified_at=timezone.now() if verified else None,
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        errors["password"] = error.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        # Another request (a double-clicked form) took the address since the check above.
        raise ValidationError({"email": [_EMAIL_TAKEN]}) from error
    return user


@transaction.atomic
def user_register(
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str = "",
    time_zone: str = "UTC",
    locale: str = "en",
    request=None,
) -> User:
    """Create an account and send the email that confirms its address."""
    rate_limit_consume("register", ip=client_ip(request), account=email)
    user = user_build(
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        time_zone=time_zone,
        locale=locale,
    )
    audit_record(action="auth.registered", actor=user, target=user, request=request)
    email_verification_send(user=user)
    return user


def email_verification_send(*, user: User) -> None:
    """Email ``user`` a link that confirms their address (valid for three days)."""
    token = signing.dumps({"user": user.pk, "email": user.email}, salt=_VERIFY_SALT)
    url = root_url(reverse("accounts:verify_email", kwargs={"token": token}))
    notify(
        user=user,
        event="account.verify_email",
        title="Confirm your email address",
        url=url,
        context={"verify_url": url},
        in_app=False,
    )


@transaction.atomic
def email_verify(*, token: str, request=None) -> User:
    """Confirm the address a verification link was sent to. Safe to use twice."""
    try:
        payload = signing.loads(
            token, salt=_VERIFY_SALT, max_age=settings.EMAIL_VERIFICATION_MAX_AGE
        )
    except signing.SignatureExpired as error:
        raise ApplicationError(
            "This link has expired. Ask for a new one.", code="link_expired"
        ) from error
    except signing.BadSignature as error:
        raise ApplicationError("This link is not valid.", code="link_invalid") from error
    user = User.objects.select_for_update().filter(pk=payload["user"]).first()
    if user is None or user.email != payload["email"]:
        raise ApplicationError("This link is not valid.", code="link_invalid")
    email_mark_verified(user=user, request=request)
    return user


def email_mark_verified(*, user: User, request=None) -> None:
    """Record that ``user`` proved their address (a link reached their inbox)."""
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=["email_verified_at"])
        audit_record(action="auth.email_verified", actor=user, target=user, request=request)


def email_verification_resend(*, email: str, request=None) -> None:
    """Send a fresh verification link, silently doing nothing for unknown addresses."""
    email = UserManager.normalize_email(email)
    rate_limit_consume("register", ip=client_ip(request), account=email)
    user = User.objects.filter(email=email, email_verified_at__isnull=True, is_active=True).first()
    if user is not None:
        email_verification_send(user=user)


@transaction.atomic
def password_reset_request(*, email: str, request=None) -> None:
    """Email a reset link if an account exists; the answer never reveals whether it does."""
    email = UserManager.normalize_email(email)
    rate_limit_consume("password_reset", ip=client_ip(request), account=email)
    user = User.objects.filter(email=email, is_active=True).first()
    audit_record(
        action="auth.password_reset_requested",
        actor=user,
        target=user,
        data={"email": email},
        request=request,
    )
    if user is None:
        return
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    url = root_url(
        reverse("accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    )
    notify(
        user=user,
        event="account.password_reset",
        title="Reset your password",
        url=url,
        context={"reset_url": url},
        in_app=False,
    )


def password_reset_user(*, uidb64: str, token: str) -> User:
    """The account a reset link belongs to, if the link is still good."""
    try:
        user = User.objects.filter(
            pk=int(force_str(urlsafe_base64_decode(uidb64))), is_active=True
        ).first()
    except (TypeError, ValueError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        raise ApplicationError(
            "This reset link is invalid or has already been used.", code="link_invalid"
        )
    return user


@transaction.atomic
def password_reset_confirm(*, uidb64: str, token: str, password: str, request=None) -> User:
    """Set a new password from a reset link; this ends every API session of the account."""
    from accounts.services.tokens import token_families_revoke

    user = password_reset_user(uidb64=uidb64, token=token)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from error
    user.set_password(password)
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()  # the link proved the address
    user.save(update_fields=["password", "email_verified_at"])
    token_families_revoke(user=user, reason="password_reset")
    audit_record(action="auth.password_reset", actor=user, target=user, request=request)
    notify(
        user=user,
        event="account.password_changed",
        title="Your password was changed",
        body="If this wasn't you, reset your password now and contact support.",
    )
    return user
