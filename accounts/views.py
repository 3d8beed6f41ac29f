"""Account pages: sign-in (with two-factor), registration, verification, password reset."""

from __future__ import annotations

import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts.forms import (
    CodeForm,
    EmailForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    ProfileForm,
    RegisterForm,
)
from accounts.models import User
from accounts.selectors import membership_list_for_user
from accounts.services import profile, registration, two_factor
from accounts.services.authentication import credentials_check
from accounts.services.handoff import login_handoff_consume, login_handoff_url
from accounts.sessions import session_sign_in
from audit.services import audit_record
from config.errors import ApplicationError
from web.forms import form_apply_errors

_PENDING_KEY = "accounts.pending_second_factor"
_PENDING_MAX_AGE = 300  # seconds between password and code


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _complete_login(request, user: User) -> HttpResponse:
    session_sign_in(request, user)
    audit_record(action="auth.login", actor=user, data={"via": "web"}, request=request)
    return redirect(_safe_next(request) or reverse("accounts:after_login"))


def login_page(request) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = credentials_check(**form.cleaned_data, tenant=request.tenant, request=request)
        except ApplicationError as error:
            form.add_error(None, error.message)
            if error.code == "email_unverified":
                messages.info(request, "Didn't get the email? You can ask for a new link below.")
        else:
            if two_factor.second_factor_required(user=user):
                request.session[_PENDING_KEY] = {
                    "user": user.pk,
                    "at": time.time(),
                    "next": _safe_next(request),
                }
                return redirect("accounts:login_second_factor")
            return _complete_login(request, user)
    return render(request, "accounts/login.html", {"form": form, "next": _safe_next(request)})


def login_second_factor(request) -> HttpResponse:
    pending = request.session.get(_PENDING_KEY)
    user = None
    if pending and time.time() - pending["at"] <= _PENDING_MAX_AGE:
        # Re-read: the account may have been deactivated since the password step.
        user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None:
        request.session.pop(_PENDING_KEY, None)
        messages.info(request, "Please sign in again.")
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            used = two_factor.second_factor_verify(
                user=user, code=form.cleaned_data["code"], request=request
            )
        except ApplicationError as error:
            form_apply_errors(form, error)
        else:
            request.session.pop(_PENDING_KEY, None)
            if used == "recovery_code":
                messages.warning(
                    request,
                    "You used a recovery code. "
                    f"{two_factor.recovery_codes_remaining(user=user)} remain.",
                )
            response = _complete_login(request, user)
            if pending.get("next"):
                return redirect(pending["next"])
            return response
    return render(request, "accounts/login_second_factor.html", {"form": form})


@login_required
def after_login(request) -> HttpResponse:
    """Send each person to their own place after signing in."""
    if not request.tenant.is_public:
        return redirect("web:dashboard")
    if request.user.is_platform_staff:
        return redirect("web:console")
    memberships = list(membership_list_for_user(user=request.user))
    if len(memberships) == 1:
        return redirect(login_handoff_url(user=request.user, membership=memberships[0]))
    if len(memberships) > 1:
        return redirect("web:choose")
    return redirect("web:home")


@require_POST
def logout_page(request) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action="auth.logout", actor=request.user, data={"via": "web"}, request=request)
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("accounts:login")


def handoff(request) -> HttpResponse:
    """Arrive signed in on a tenant's host from the root domain."""
    if request.tenant.is_public:
        raise Http404
    user = login_handoff_consume(token=request.GET.get("token", ""), tenant=request.tenant)
    session_sign_in(request, user)
    next_path = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_path, {request.get_host()}):
        next_path = reverse("web:dashboard")
    return redirect(next_path)


def register_page(request) -> HttpResponse:
    if not request.tenant.is_public:
        return redirect(
            f"{settings.SITE_SCHEME}://{settings.ROOT_DOMAIN}"
            f"{':' + settings.SITE_PORT if settings.SITE_PORT else ''}"
            f"{reverse('accounts:register')}"
        )
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = registration.user_register(**form.cleaned_data, request=request)
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            return render(request, "accounts/verify_sent.html", {"email": user.email})
    return render(request, "accounts/register.html", {"form": form})


def verify_email_page(request, token: str) -> HttpResponse:
    try:
        user = registration.email_verify(token=token, request=request)
    except ApplicationError as error:
        return render(request, "accounts/verify_failed.html", {"error": error}, status=400)
    messages.success(request, f"Thanks — {user.email} is confirmed. You can sign in now.")
    return redirect("accounts:login")


def verify_resend_page(request) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration.email_verification_resend(email=form.cleaned_data["email"], request=request)
        return render(request, "accounts/verify_sent.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/verify_resend.html", {"form": form})


def password_reset_page(request) -> HttpResponse:
    form = EmailForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration.password_reset_request(email=form.cleaned_data["email"], request=request)
        return render(
            request, "accounts/password_reset_sent.html", {"email": form.cleaned_data["email"]}
        )
    return render(request, "accounts/password_reset.html", {"form": form})


def password_reset_confirm_page(request, uidb64: str, token: str) -> HttpResponse:
    try:
        registration.password_reset_user(uidb64=uidb64, token=token)
    except ApplicationError as error:
        return render(request, "accounts/verify_failed.html", {"error": error}, status=400)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registration.password_reset_confirm(
                uidb64=uidb64, token=token, password=form.cleaned_data["password"], request=request
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, "Your password is changed. Sign in with it now.")
            return redirect("accounts:login")
    return render(request, "accounts/password_reset_confirm.html", {"form": form})


@login_required
def two_factor_page(request) -> HttpResponse:
    """Status, set-up (QR code + confirm), recovery codes and switching off."""
    user = request.user
    context: dict = {"enabled": two_factor.second_factor_required(user=user)}
    form = CodeForm(request.POST or None)
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "begin":
                two_factor.totp_enrol_begin(user=user)
                return redirect("accounts:two_factor")
            if form.is_valid():
                code = form.cleaned_data["code"]
                if action == "confirm":
                    context["recovery_codes"] = two_factor.totp_enrol_confirm(
                        user=user, code=code, request=request
                    )
                    context["enabled"] = True
                elif action == "disable":
                    two_factor.totp_disable(user=user, code=code, request=request)
                    messages.success(request, "Two-factor authentication is off.")
                    return redirect("accounts:two_factor")
                elif action == "regenerate":
                    two_factor.second_factor_verify(user=user, code=code, request=request)
                    context["recovery_codes"] = two_factor.recovery_codes_generate(user=user)
        except ApplicationError as error:
            form_apply_errors(form, error)
    pending = None if context["enabled"] else two_factor.totp_pending_device(user=user)
    if pending is not None:
        context["qr_svg"] = segno.make(pending.config_url, error="m").svg_inline(
            scale=5, title="QR code for your authenticator app"
        )
        context["secret"] = pending.config_url.split("secret=")[1].split("&")[0]
    context["pending"] = pending
    context["form"] = form
    if context["enabled"]:
        context["remaining"] = two_factor.recovery_codes_remaining(user=user)
    return render(request, "accounts/two_factor.html", context)


@login_required
def settings_page(request) -> HttpResponse:
    """Your account: names, time zone and language; and changing your password."""
    user = request.user
    action = request.POST.get("action") if request.method == "POST" else None
    profile_form = ProfileForm(
        request.POST if action == "profile" else None,
        initial={
            field: getattr(user, field)
            for field in ("first_name", "last_name", "time_zone", "locale")
        },
    )
    password_form = PasswordChangeForm(request.POST if action == "password" else None)
    if action == "profile" and profile_form.is_valid():
        try:
            profile.user_profile_update(user=user, request=request, **profile_form.cleaned_data)
        except ValidationError as error:
            form_apply_errors(profile_form, error)
        else:
            messages.success(request, "Your details are saved.")
            return redirect("accounts:settings")
    if action == "password" and password_form.is_valid():
        try:
            profile.password_change(user=user, request=request, **password_form.cleaned_data)
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(password_form, error)
        else:
            update_session_auth_hash(request, user)  # this session stays; the others end
            messages.success(request, "Your password is changed. Other sessions were signed out.")
            return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        {"profile_form": profile_form, "password_form": password_form},
    )
