"""Optional TOTP two-factor authentication with one-time recovery codes."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import RecoveryCode, User
from accounts.ratelimits import rate_limit_check, rate_limit_consume
from audit.services import audit_record, client_ip
from config.errors import ApplicationError
from notifications.services import notify

RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)


def _code_hash(code: str) -> str:
    normalised = code.replace("-", "").replace(" ", "").lower()
    return hashlib.sha256(normalised.encode()).hexdigest()


def _totp_digits(code: str | None) -> str:
    """An authenticator code as typed: apps show "123 456", so spaces are not part of it."""
    return "".join((code or "").split())


class InvalidCodeError(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            "That code is not valid. Check your app and try again.",
            code="invalid_otp",
            extra={"fields": {"code": ["Invalid code."]}},
        )


def totp_device_confirmed(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def second_factor_required(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_enrol_begin(*, user: User) -> TOTPDevice:
    """A new, unconfirmed authenticator secret to show as a QR code."""
    if second_factor_required(user=user):
        raise ApplicationError("Two-factor authentication is already on.", code="already_enabled")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_pending_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


@transaction.atomic
def totp_enrol_confirm(*, user: User, code: str, request=None) -> list[str]:
    """Turn two-factor on once the app shows a valid code; return new recovery codes."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        raise ApplicationError(
            "Start setting up two-factor authentication first.", code="no_pending_device"
        )
    if not device.verify_token(_totp_digits(code)):
        raise InvalidCodeError()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = recovery_codes_generate(user=user)
    audit_record(action="auth.2fa_enabled", actor=user, target=user, request=request)
    notify(
        user=user,
        event="account.two_factor_enabled",
        title="Two-factor authentication is on",
        body="Keep your recovery codes somewhere safe.",
    )
    return codes


@transaction.atomic
def recovery_codes_generate(*, user: User) -> list[str]:
    """Replace ``user``'s recovery codes; the plain codes are shown once and never stored."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user=user, code_hash=_code_hash(code)) for code in codes]
    )
    return codes


def recovery_codes_remaining(*, user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


def totp_disable(*, user: User, code: str, request=None) -> None:
    """Turn two-factor off; needs a current code (or a recovery code)."""
    if not second_factor_required(user=user):
        raise ApplicationError("Two-factor authentication is already off.", code="not_enabled")
    second_factor_verify(user=user, code=code, request=request)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        RecoveryCode.objects.filter(user=user).delete()
        audit_record(action="auth.2fa_disabled", actor=user, target=user, request=request)
        notify(
            user=user,
            event="account.two_factor_disabled",
            title="Two-factor authentication is off",
            body="If this wasn't you, reset your password now.",
        )


def second_factor_verify(*, user: User, code: str, request=None) -> str:
    """Accept a TOTP code or an unused recovery code; return which kind was used.

    Not one transaction: a failed attempt must still be counted and audited.
    """
    ip = client_ip(request)
    rate_limit_check("otp", ip=ip, account=user.email)
    code = (code or "").strip()
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
        # verify_token refuses a code used before (last_t) and throttles repeated failures.
        digits = _totp_digits(code)
        if device is not None and digits.isdigit() and device.verify_token(digits):
            return "totp"
        recovery = (
            RecoveryCode.objects.select_for_update()
            .filter(user=user, code_hash=_code_hash(code), used_at__isnull=True)
            .first()
        )
        if recovery is not None and code:
            recovery.used_at = timezone.now()
            recovery.save(update_fields=["used_at"])
            audit_record(
                action="auth.recovery_code_used",
                actor=user,
                target=user,
                request=request,
                data={"remaining": recovery_codes_remaining(user=user)},
            )
            return "recovery_code"
    rate_limit_consume("otp", ip=ip, account=user.email)
    audit_record(action="auth.otp_failed", actor=user, target=user, request=request)
    raise InvalidCodeError()
