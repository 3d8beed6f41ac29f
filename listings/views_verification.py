"""The platform console's verification of marketplace tutors (root domain, platform staff).

The queue of freelancers, one tutor's profile with their credentials and files, the
decisions on each credential and on the badge, and the history of those decisions. The
marketplace has no agency to vouch for its tutors, so the platform does it here.

Mounted in ``web.urls_public`` (namespace ``web``) beside the console.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from config.errors import ApplicationError
from crm.documents import document_response
from crm.forms_credentials import ReviewForm
from crm.models import VerificationStatus
from marketplace.selectors.verification import (
    TutorVerification,
    verification_credential_get,
    verification_document_get,
    verification_queue,
    verification_tutor_get,
)
from marketplace.services.verification import credential_verify, tutor_verify
from web.forms import form_apply_errors

PAGE_SIZE = 50


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=[("", "Any status"), *VerificationStatus.choices], required=False
    )
    q = forms.CharField(
        label="Name or email",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Name or email"}),
    )


class BadgeForm(ReviewForm):
    """The decision on the tutor as a whole: the verified badge on the marketplace."""

    status = forms.ChoiceField(
        label="Decision",
        choices=[
            (VerificationStatus.VERIFIED, "Grant the verified badge"),
            (VerificationStatus.REJECTED, "Refuse or revoke the badge"),
        ],
    )


def _staff(request) -> None:
    if not request.user.is_platform_staff:
        raise PermissionDenied


def _credential_prefix(pk: int) -> str:
    return f"credential-{pk}"


def _render_tutor(
    request,
    found: TutorVerification,
    *,
    status: int = 200,
    badge_form: BadgeForm | None = None,
    credential_forms: dict | None = None,
) -> HttpResponse:
    profile = found.profile
    for credential in found.credentials:
        credential.review_form = (credential_forms or {}).get(credential.pk) or ReviewForm(
            initial={"status": credential.status, "reason": credential.rejection_reason},
            prefix=_credential_prefix(credential.pk),
        )
    context = {
        "found": found,
        "profile": profile,
        "is_self": profile.user_id == request.user.pk,
        "badge_form": badge_form
        or BadgeForm(
            initial={
                "status": profile.verification_status,
                "reason": profile.verification_reason,
            },
            prefix="badge",
        ),
    }
    return render(request, "listings/console/verification_tutor.html", context, status=status)


def _tutor_or_404(request, profile_id: int) -> TutorVerification:
    found = verification_tutor_get(viewer=request.user, profile_id=profile_id)
    if found is None:
        raise Http404
    return found


@login_required
@require_safe
def console_verification(request) -> HttpResponse:
    _staff(request)
    form = QueueFilterForm(request.GET or None)
    status, search = "", ""
    if form.is_bound and form.is_valid():
        status, search = form.cleaned_data["status"], form.cleaned_data["q"].strip()
    rows = verification_queue(viewer=request.user, status=status, search=search)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "status": status, "search": search}
    return render(
        request,
        "listings/console/verification.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_safe
def console_verification_tutor(request, profile_id: int) -> HttpResponse:
    _staff(request)
    return _render_tutor(request, _tutor_or_404(request, profile_id))


@login_required
@require_POST
def console_verification_tutor_decision(request, profile_id: int) -> HttpResponse:
    _staff(request)
    found = _tutor_or_404(request, profile_id)
    form = BadgeForm(request.POST, prefix="badge")
    if form.is_valid():
        try:
            profile = tutor_verify(
                staff=request.user,
                profile_id=found.profile.pk,
                request=request,
                **form.cleaned_data,
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            granted = profile.verification_status == VerificationStatus.VERIFIED
            messages.success(
                request,
                f"{profile.full_name or 'The tutor'} "
                f"{'has the verified badge' if granted else 'has no verified badge'}; "
                "they have been told.",
            )
            return redirect("web:console_verification_tutor", profile_id=profile.pk)
    return _render_tutor(request, found, status=400, badge_form=form)


@login_required
@require_POST
def console_verification_credential_decision(request, credential_id: int) -> HttpResponse:
    _staff(request)
    credential = verification_credential_get(viewer=request.user, credential_id=credential_id)
    if credential is None:
        raise Http404
    form = ReviewForm(request.POST, prefix=_credential_prefix(credential.pk))
    if form.is_valid():
        try:
            credential_verify(
                staff=request.user,
                credential_id=credential.pk,
                request=request,
                **form.cleaned_data,
            )
        except (ValidationError, ApplicationError) as error:
            form_apply_errors(form, error)
        else:
            messages.success(
                request, f"Decision on “{credential.title}” saved; the tutor has been told."
            )
            return redirect("web:console_verification_tutor", profile_id=credential.profile_id)
    found = _tutor_or_404(request, credential.profile_id)
    return _render_tutor(request, found, status=400, credential_forms={credential.pk: form})


@login_required
@require_safe
def console_verification_document(request, document_id: int) -> HttpResponse:
    _staff(request)
    document = verification_document_get(viewer=request.user, document_id=document_id)
    if document is None:
        raise Http404
    return document_response(document)


urlpatterns = [
    path("console/verification/", console_verification, name="console_verification"),
    path(
        "console/verification/<int:profile_id>/",
        console_verification_tutor,
        name="console_verification_tutor",
    ),
    path(
        "console/verification/<int:profile_id>/decision/",
        console_verification_tutor_decision,
        name="console_verification_tutor_decision",
    ),
    path(
        "console/verification/credentials/<int:credential_id>/decision/",
        console_verification_credential_decision,
        name="console_verification_credential_decision",
    ),
    path(
        "console/verification/documents/<int:document_id>/",
        console_verification_document,
        name="console_verification_document",
    ),
]
