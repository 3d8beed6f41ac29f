"""CRM pages: a tutor's profile, the agency's review of credentials and tutors, and the
protected files.

The profile page shows a tutor as the viewer may see them and gives the agency's owners
and admins the review controls. Stored files are streamed only to those allowed; anyone
else gets 404. The tutor's own wizard lives in ``crm.views_wizard``.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from crm import selectors, services, views_wizard
from crm.documents import document_response
from crm.forms_credentials import ReviewForm
from crm.models import TutorProfile
from crm.pages import member_required
from crm.views_wizard import SERVICE_ERRORS
from tenants.models import Tenant
from web.forms import form_apply_errors

# A tutor's profile, and the agency's review -----------------------------------------------


def _tutor(request, pk: int) -> TutorProfile:
    profile = selectors.tutor_profile_get(viewer=request.membership, pk=pk)
    if profile is None:
        raise Http404
    return profile


def _render_detail(request, profile: TutorProfile, status: int = 200, **forms_) -> HttpResponse:
    viewer = request.membership
    visible = selectors.tutor_profile_visible_sections(profile=profile, viewer=viewer)
    # In the marketplace, platform staff verify tutors (from the console), not its members.
    can_review = (
        viewer.is_manager
        and viewer.tenant.kind != Tenant.Kind.MARKETPLACE
        and viewer.user_id != profile.user_id
    )
    credentials = list(selectors.credential_list(viewer=viewer, profile=profile))
    for item in profile.subjects.all():  # minor units, shown in major ones (4550 → 45.50)
        rate = item.hourly_rate_minor
        item.rate_text = "" if rate is None else f"{item.currency} {Decimal(rate) / 100:.2f}"
    review_errors = forms_.get("credential_forms", {})
    for credential in credentials:
        credential.review_form = review_errors.get(credential.pk) or ReviewForm(
            initial={"status": credential.status, "reason": credential.rejection_reason},
            prefix=f"credential-{credential.pk}",
        )
    return render(
        request,
        "crm/tutors/detail.html",
        {
            "profile": profile,
            "visible": visible,
            "credentials": credentials,
            "credential_count": selectors.tutor_credential_count(profile=profile),
            "can_review": can_review,
            "show_status": viewer.is_agency_staff or viewer.user_id == profile.user_id,
            "tutor_form": forms_.get("tutor_form")
            or ReviewForm(
                initial={
                    "status": profile.verification_status,
                    "reason": profile.verification_reason,
                },
                prefix="tutor",
            ),
        },
        status=status,
    )


@member_required()
def tutor_detail(request, pk: int) -> HttpResponse:
    return _render_detail(request, _tutor(request, pk))


@member_required()
@require_POST
def tutor_review(request, pk: int) -> HttpResponse:
    if not request.membership.is_manager:
        raise PermissionDenied
    profile = _tutor(request, pk)
    form = ReviewForm(request.POST, prefix="tutor")
    if form.is_valid():
        try:
            services.tutor_review(
                profile=profile, actor=request.membership, request=request, **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, "Tutor review saved; the tutor has been told.")
            return redirect("crm:tutor_detail", pk=profile.pk)
    return _render_detail(request, profile, status=400, tutor_form=form)


@member_required()
@require_POST
def credential_review(request, pk: int) -> HttpResponse:
    if not request.membership.is_manager:
        raise PermissionDenied
    credential = selectors.credential_get(viewer=request.membership, pk=pk)
    if credential is None:
        raise Http404
    form = ReviewForm(request.POST, prefix=f"credential-{credential.pk}")
    if form.is_valid():
        try:
            services.credential_review(
                credential=credential,
                actor=request.membership,
                request=request,
                **form.cleaned_data,
            )
        except SERVICE_ERRORS as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, "Credential review saved; the tutor has been told.")
            return redirect("crm:tutor_detail", pk=credential.profile_id)
    profile = _tutor(request, credential.profile_id)
    return _render_detail(request, profile, status=400, credential_forms={credential.pk: form})


@member_required()
def document(request, pk: int) -> HttpResponse:
    found = selectors.document_get(viewer=request.membership, pk=pk)
    if found is None:
        raise Http404
    return document_response(found)


urlpatterns = [
    *views_wizard.urlpatterns,
    path("tutors/<int:pk>/", tutor_detail, name="tutor_detail"),
    path("tutors/<int:pk>/review/", tutor_review, name="tutor_review"),
    path("credentials/<int:pk>/review/", credential_review, name="credential_review"),
    path("documents/<int:pk>/", document, name="document"),
]
