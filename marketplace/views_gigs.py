"""Gig pages under /marketplace/ on a tenant's host, and the agency's listing setting.

A tutor lists their gigs at /marketplace/gigs/, posts one, edits it with its packages
(a repeated fieldset of four rows) beside a preview of how it will show, and publishes,
pauses or deletes it. The agency's owners and admins see every tutor's gigs, filter them
by tutor and may pause one; /marketplace/settings/ is where they list the agency on the
marketplace. A gig the viewer may not see is a 404; students and parents get a 403.

With htmx, the list's buttons answer with the gig's row again (a refusal in place, with
its 4xx status) and the form's preview follows the typing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from accounts.models import Membership
from config.errors import ApplicationError
from crm.models import TutorProfile
from crm.pages import member_required
from marketplace.forms_gigs import (
    GigForm,
    ListingForm,
    gig_preview,
    gig_preview_of,
    gig_preview_of_form,
    new_gig_initial,
    package_formset,
    package_values,
    subject_choices,
)
from marketplace.models import Gig
from marketplace.selectors.gigs import (
    gig_get,
    gig_list,
    gig_owner_is,
    gig_tutor_list,
    gig_viewer_is,
    marketplace_listing_on,
)
from marketplace.services import gigs as services
from marketplace.services.settings import marketplace_listing_set

PAGE_SIZE = 50
FORM_FIELD_FOR = {"price_minor": "price"}


# Lookups -----------------------------------------------------------------------------------


def _viewer(request) -> Membership:
    viewer = request.membership
    if not gig_viewer_is(viewer):
        raise PermissionDenied
    return viewer


def _gig(request, pk: int) -> Gig:
    gig = gig_get(viewer=_viewer(request), pk=pk)
    if gig is None:
        raise Http404
    return gig


def _own_gig(request, pk: int) -> Gig:
    gig = _gig(request, pk)
    if not gig_owner_is(viewer=request.membership, gig=gig):
        raise PermissionDenied
    return gig


def _profile(request) -> TutorProfile | None:
    return TutorProfile.objects.filter(user_id=request.membership.user_id).first()


# The list ----------------------------------------------------------------------------------


def _tutor_filter(request, viewer: Membership) -> tuple[list[TutorProfile], int | None]:
    tutors = list(gig_tutor_list(viewer=viewer))
    chosen = request.GET.get("tutor", "")
    tutor_id = next((tutor.pk for tutor in tutors if str(tutor.pk) == chosen), None)
    return tutors, tutor_id


def _list_page(request, *, error: str = "", status: int = 200) -> HttpResponse:
    viewer = _viewer(request)
    tutors, tutor_id = _tutor_filter(request, viewer)
    page = Paginator(gig_list(viewer=viewer, tutor_id=tutor_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    listed = marketplace_listing_on(request.tenant)
    context = {
        "page": page,
        "gigs": page.object_list,
        "is_tutor": viewer.role == Membership.Role.TUTOR,
        "listed": listed,
        "tutors": tutors,
        "tutor_id": tutor_id,
        "error": error,
    }
    return render(request, "marketplace/gigs/list.html", context, status=status)


def _row(request, gig: Gig, *, error: str = "", status: int = 200) -> HttpResponse:
    gig = gig_get(viewer=request.membership, pk=gig.pk) or gig
    context = {
        "gig": gig,
        "is_tutor": request.membership.role == Membership.Role.TUTOR,
        "row_error": error,
    }
    return render(request, "marketplace/gigs/_row.html", context, status=status)


@member_required()
@require_safe
def gig_list_page(request) -> HttpResponse:
    return _list_page(request)


# Creating and editing ----------------------------------------------------------------------


def _apply_errors(form: GigForm, error: ValidationError) -> tuple[list[str], list[str]]:
    """Put a service's field errors on the form; return those about packages, and those
    no field shows (weekly availability, for one)."""
    loose: list[str] = []
    packages: list[str] = []
    for field, problems in error.message_dict.items():
        target = FORM_FIELD_FOR.get(field, field)
        for problem in problems:
            if target in form.fields:
                form.add_error(target, problem)
            elif field == "packages":
                packages.append(problem)
            else:
                loose.append(problem)
    return loose, packages


def _form_page(
    request,
    *,
    form: GigForm,
    formset,
    gig: Gig | None,
    profile: TutorProfile | None,
    errors: list[str] | None = None,
    package_errors: list[str] | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or []
    if form.is_bound:
        preview = gig_preview_of_form(form, formset, profile)
    elif gig is not None:
        preview = gig_preview_of(gig)
    else:
        preview = gig_preview(tutor=profile, values={}, subject=None, packages=[])
    context = {
        "gig": gig,
        "form": form,
        "formset": formset,
        "preview": preview,
        "errors": errors,
        "package_errors": package_errors or [],
        "needs_availability": services.NO_AVAILABILITY in errors,
        "listed": marketplace_listing_on(request.tenant),
        "has_subjects": bool(form.fields["subject_id"].choices),
    }
    return render(request, "marketplace/gigs/form.html", context, status=status)


def _submitted(form: GigForm, formset) -> tuple[dict, list[dict]] | None:
    """The gig's values and packages from valid forms, or None (the forms show why)."""
    form_ok = form.is_valid()
    formset_ok = formset.is_valid()
    if not (form_ok and formset_ok):
        return None
    packages = package_values(formset, form.cleaned_data["currency"])
    if packages is None:
        return None
    return form.values(), packages


@member_required(Membership.Role.TUTOR)
def gig_create(request) -> HttpResponse:
    profile = _profile(request)
    subjects = subject_choices(profile)
    if request.method != "POST":
        form = GigForm(
            initial=new_gig_initial(profile, currency=request.tenant.default_currency),
            subjects=subjects,
        )
        return _form_page(request, form=form, formset=package_formset(), gig=None, profile=profile)
    form = GigForm(request.POST, subjects=subjects)
    formset = package_formset(request.POST)
    submitted = _submitted(form, formset)
    if submitted is None:
        return _form_page(
            request, form=form, formset=formset, gig=None, profile=profile, status=400
        )
    values, packages = submitted
    try:
        gig = services.gig_create(
            actor=request.membership, request=request, packages=packages, **values
        )
    except ValidationError as error:
        loose, package_errors = _apply_errors(form, error)
        return _form_page(
            request,
            form=form,
            formset=formset,
            gig=None,
            profile=profile,
            errors=loose,
            package_errors=package_errors,
            status=400,
        )
    except ApplicationError as error:
        return _form_page(
            request,
            form=form,
            formset=formset,
            gig=None,
            profile=profile,
            errors=[error.message],
            status=error.status,
        )
    messages.success(request, "Gig saved as a draft. Publish it when it is ready.")
    return redirect("marketplace:gig_edit", pk=gig.pk)


@member_required(Membership.Role.TUTOR)
def gig_edit(request, pk: int) -> HttpResponse:
    gig = _own_gig(request, pk)
    subjects = subject_choices(gig.tutor, keep=gig.subject_id)
    if request.method != "POST":
        form = GigForm(initial=GigForm.initial_of(gig), subjects=subjects)
        return _form_page(
            request, form=form, formset=package_formset(gig=gig), gig=gig, profile=gig.tutor
        )
    form = GigForm(request.POST, subjects=subjects)
    formset = package_formset(request.POST, gig=gig)
    submitted = _submitted(form, formset)
    if submitted is None:
        return _form_page(
            request, form=form, formset=formset, gig=gig, profile=gig.tutor, status=400
        )
    values, packages = submitted
    try:
        services.gig_update(
            gig=gig, actor=request.membership, request=request, packages=packages, **values
        )
    except ValidationError as error:
        loose, package_errors = _apply_errors(form, error)
        return _form_page(
            request,
            form=form,
            formset=formset,
            gig=gig,
            profile=gig.tutor,
            errors=loose,
            package_errors=package_errors,
            status=400,
        )
    messages.success(request, "Gig saved.")
    return redirect("marketplace:gig_edit", pk=gig.pk)


@member_required(Membership.Role.TUTOR)
@require_POST
def gig_preview_card(request) -> HttpResponse:
    """The preview card for the form as typed so far; nothing is saved."""
    profile = _profile(request)
    form = GigForm(request.POST, subjects=subject_choices(profile))
    preview = gig_preview_of_form(form, package_formset(request.POST), profile)
    return render(request, "marketplace/gigs/_preview.html", {"preview": preview})


# Publish, pause, delete --------------------------------------------------------------------


def _act(request, pk: int, action, *, done: str) -> HttpResponse:
    """Run a gig's action; answer with its row (htmx) or go back where the button was."""
    gig = _gig(request, pk)
    back_to_edit = request.POST.get("back") == "edit" and gig_owner_is(
        viewer=request.membership, gig=gig
    )
    try:
        gig = action(gig=gig, actor=request.membership, request=request)
    except (ValidationError, ApplicationError) as error:
        message, status = _refusal(error)
        if request.htmx:
            return _row(request, gig, error=message, status=status)
        if back_to_edit:
            fresh = gig_get(viewer=request.membership, pk=gig.pk)
            form = GigForm(
                initial=GigForm.initial_of(fresh),
                subjects=subject_choices(fresh.tutor, keep=fresh.subject_id),
            )
            return _form_page(
                request,
                form=form,
                formset=package_formset(gig=fresh),
                gig=fresh,
                profile=fresh.tutor,
                errors=[message],
                status=status,
            )
        return _list_page(request, error=f"“{gig.title}”: {message}", status=status)
    if request.htmx:
        return _row(request, gig)
    messages.success(request, done.format(title=gig.title))
    if back_to_edit:
        return redirect("marketplace:gig_edit", pk=gig.pk)
    return redirect("marketplace:gig_list")


def _refusal(error: Exception) -> tuple[str, int]:
    if isinstance(error, ApplicationError):
        return error.message, error.status
    return " ".join(error.messages), 400


@member_required()
@require_POST
def gig_publish(request, pk: int) -> HttpResponse:
    return _act(request, pk, services.gig_publish, done="“{title}” is on the marketplace.")


@member_required()
@require_POST
def gig_pause(request, pk: int) -> HttpResponse:
    return _act(request, pk, services.gig_pause, done="“{title}” is paused.")


@member_required()
@require_POST
def gig_delete(request, pk: int) -> HttpResponse:
    gig = _gig(request, pk)
    try:
        services.gig_delete(gig=gig, actor=request.membership, request=request)
    except ApplicationError as error:
        if request.htmx:
            return _row(request, gig, error=error.message, status=error.status)
        return _list_page(request, error=f"“{gig.title}”: {error.message}", status=error.status)
    if request.htmx:
        return HttpResponse("")
    messages.success(request, f"“{gig.title}” was deleted.")
    return redirect("marketplace:gig_list")


# The agency's listing ----------------------------------------------------------------------


def _settings_page(request, *, form: ListingForm | None = None, error: str = "", status=200):
    tenant = request.membership.tenant
    context = {
        "always_listed": tenant.kind != tenant.Kind.AGENCY,
        "listed": marketplace_listing_on(tenant),
        "form": form or ListingForm(initial={"listed": tenant.marketplace_listed}),
        "error": error,
    }
    return render(request, "marketplace/settings.html", context, status=status)


@member_required(Membership.Role.OWNER, Membership.Role.ADMIN)
def listing_settings(request) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = ListingForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, form=form, status=400)
    try:
        tenant = marketplace_listing_set(
            actor=request.membership, listed=form.cleaned_data["listed"], request=request
        )
    except ApplicationError as error:
        return _settings_page(request, form=form, error=error.message, status=error.status)
    messages.success(
        request,
        "Your tutors' published gigs are on the marketplace."
        if tenant.marketplace_listed
        else "Your tutors' gigs are no longer on the marketplace.",
    )
    return redirect("marketplace:settings")


urlpatterns = [
    path("gigs/", gig_list_page, name="gig_list"),
    path("gigs/new/", gig_create, name="gig_create"),
    path("gigs/preview/", gig_preview_card, name="gig_preview"),
    path("gigs/<int:pk>/", gig_edit, name="gig_edit"),
    path("gigs/<int:pk>/publish/", gig_publish, name="gig_publish"),
    path("gigs/<int:pk>/pause/", gig_pause, name="gig_pause"),
    path("gigs/<int:pk>/delete/", gig_delete, name="gig_delete"),
    path("settings/", listing_settings, name="settings"),
]
