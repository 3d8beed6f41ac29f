"""Checking who someone is: password, second factor, membership of the tenant."""

from __future__ import annotations

from django.contrib.auth import authenticate

from accounts.models import Membership, User, UserManager
from accounts.ratelimits import rate_limit_check, rate_limit_consume
from accounts.services.two_factor import (
    InvalidCodeError,
    second_factor_required,
    second_factor_verify,
)
from audit.services import audit_record, client_ip
from config.errors import ApplicationError


def membership_active_for(*, user: User, tenant) -> Membership | None:
    if tenant is None or tenant.is_public:
        return None
    return (
        Membership.objects.select_related("tenant")
        .filter(user=user, tenant=tenant, is_active=True)
        .first()
    )


def credentials_check(
    *,
    email: str,
    password: str,
    tenant,
    request=None,
) -> User:
    """The account these credentials open, allowed into ``tenant``; else ApplicationError.

    Every attempt counts against the caller's IP; failures also count against the
    account, so guessing one person's password stops after a few tries.
    """
    email = UserManager.normalize_email(email)
    ip = client_ip(request)
    rate_limit_check("login", ip=ip, account=email)
    rate_limit_consume("login", ip=ip)
    user = authenticate(request, email=email, password=password)
    if user is None:
        rate_limit_consume("login", account=email)
        audit_record(action="auth.login_failed", data={"email": email}, request=request)
        raise ApplicationError(
            "The email address or password is incorrect.", code="invalid_credentials", status=401
        )
    if not user.is_email_verified:
        raise ApplicationError(
            "Please confirm your email address first: follow the link we emailed you.",
            code="email_unverified",
            status=403,
        )
    if (
        tenant is not None
        and not tenant.is_public
        and membership_active_for(user=user, tenant=tenant) is None
    ):
        audit_record(
            action="auth.login_refused",
            actor=user,
            data={"reason": "not_a_member"},
            request=request,
        )
        raise ApplicationError(
            f"Your account has no access to {tenant.name}.", code="not_a_member", status=403
        )
    return user


def user_sign_in_check(
    *,
    email: str,
    password: str,
    tenant,
    otp: str | None = None,
    request=None,
    via: str = "web",
) -> User:
    """Password and (when enrolled) second factor in one step, as the API needs."""
    user = credentials_check(email=email, password=password, tenant=tenant, request=request)
    if second_factor_required(user=user):
        if not otp:
            raise ApplicationError(
                "Enter the code from your authenticator app.", code="otp_required", status=401
            )
        try:
            second_factor_verify(user=user, code=otp, request=request)
        except InvalidCodeError as error:
            # Signing in, a wrong code means "not authenticated", like a wrong password.
            raise ApplicationError(
                error.message, code=error.code, status=401, extra=error.extra
            ) from error
    audit_record(action="auth.login", actor=user, data={"via": via}, request=request)
    return user
