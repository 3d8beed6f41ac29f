"""CRM pages: the tutor's profile wizard, under /crm/profile/ (tutors only).

Basics → subjects → rates → availability → credentials → bio and video: each step a form
calling the crm services, with Back/Next, the section's visibility where it has one, and
the completion shown on every step (refreshed by htmx after htmx saves).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from config.errors import ApplicationError
from crm import selectors, services
from crm.forms_credentials import (
    AvailabilityForm,
    BasicsForm,
    BioForm,
    CredentialForm,
    FileForm,
    RatesForm,
    SubjectAddForm,
    VideoForm,
    VisibilityForm,
)
from crm.models import Credential, TutorProfile, TutorSubject
from crm.pages import member_required
from web.forms import form_apply_errors

TUTOR = "tutor"
STEPS = [
    ("basics", "Basics"),
    ("subjects", "Subjects"),
    ("rates", "Rates"),
    ("availability", "Availability"),
    ("credentials", "Credentials"),
    ("bio", "Bio and video"),
]
STEP_NAMES = [name for name, _ in STEPS]
# The profile section whose visibility each step sets.
STEP_SECTION = {
    "basics": "basics",
    "subjects": "subjects",
    "rates": "rates",
    "credentials": "credentials",
    "bio": "bio",
}
SERVICE_ERRORS = (ValidationError, ApplicationError)


# The wizard --------------------------------------------------------------------------------


def _profile(request) -> TutorProfile:
    profile = services.tutor_profile_ensure(actor=request.membership)
    return selectors.tutor_profile_of(user_id=profile.user_id)


def _neighbours(step: str) -> tuple[str | None, str | None]:
    index = STEP_NAMES.index(step)
    back = STEP_NAMES[index - 1] if index else None
    following = STEP_NAMES[index + 1] if index + 1 < len(STEP_NAMES) else None
    return back, following


def _step_url(step: str) -> str:
    return reverse("crm:wizard_step", kwargs={"step": step})


def _after_save(request, step: str) -> HttpResponse:
    """Next step on "Save and continue", else this one again (post/redirect/get)."""
    _, following = _neighbours(step)
    if "next" in request.POST and following:
        return redirect(_step_url(following))
    messages.success(request, "Saved.")
    return redirect(_step_url(step))


def _render_step(request, step: str, profile: TutorProfile, status: int = 200, **context):
    back, following = _neighbours(step)
    section = STEP_SECTION.get(step)
    context.setdefault(
        "visibility_form",
        VisibilityForm(initial={"visibility": profile.visibility_of(section)}, section=section)
        if section and step in {"subjects", "rates", "credentials"}
        else None,
    )
    return render(
        request,
        f"crm/tutors/wizard_{step}.html",
        {
            "profile": profile,
            "step": step,
            "steps": STEPS,
            "back": back,
            "following": following,
            "completion": selectors.tutor_profile_completion(profile=profile),
            **context,
        },
        status=status,
    )


def _update(request, form, profile, **fields) -> bool:
    try:
        services.tutor_profile_update(
            profile=profile, actor=request.membership, request=request, **fields
        )
    except SERVICE_ERRORS as error:
        form_apply_errors(form, error)
        return False
    return True


@member_required(TUTOR)
def wizard(request) -> HttpResponse:
    """The first step not yet done (or the last one when everything is)."""
    completion = selectors.tutor_profile_completion(profile=_profile(request))
    done = completion.sections
    checks = {
        "basics": done["basics"],
        "subjects": done["subjects"],
        "rates": done["rates"],
        "availability": done["availability"],
        "credentials": done["credentials"],
        "bio": done["bio"] and done["intro_video"],
    }
    return redirect(_step_url(next((s for s in STEP_NAMES if not checks[s]), "bio")))


@member_required(TUTOR)
def wizard_completion(request) -> HttpResponse:
    """The completion meter alone, for htmx to refresh after a save."""
    completion = selectors.tutor_profile_completion(profile=_profile(request))
    return render(request, "crm/tutors/_completion.html", {"completion": completion})


@member_required(TUTOR)
def wizard_step(request, step: str) -> HttpResponse:
    profile = _profile(request)
    if request.method == "POST" and request.POST.get("_action") == "visibility":
        return _visibility_save(request, step, profile)
    return STEP_VIEWS[step](request, profile)


def _visibility_save(request, step: str, profile: TutorProfile) -> HttpResponse:
    section = STEP_SECTION.get(step)
    if section is None:
        raise Http404
    form = VisibilityForm(request.POST, section=section)
    if form.is_valid() and _update(
        request, form, profile, visibility={section: form.cleaned_data["visibility"]}
    ):
        if request.htmx:
            return HttpResponse(status=204, headers={"HX-Trigger": "profile-saved"})
        messages.success(request, "Visibility saved.")
        return redirect(_step_url(step))
    return _render_step(request, step, profile, status=400, visibility_form=form)


def _basics(request, profile: TutorProfile) -> HttpResponse:
    initial = {
        "headline": profile.headline,
        "years_of_experience": profile.years_of_experience,
        "languages": ", ".join(profile.languages),
        "visibility": profile.basics_visibility,
    }
    form = BasicsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form.is_valid() and _update(
            request,
            form,
            profile,
            headline=form.cleaned_data["headline"],
            years_of_experience=form.cleaned_data["years_of_experience"],
            languages=form.cleaned_data["languages"],
            visibility={"basics": form.cleaned_data["visibility"]},
        ):
            return _after_save(request, "basics")
        return _render_step(request, "basics", profile, status=400, form=form)
    return _render_step(request, "basics", profile, form=form)


def _subjects(request, profile: TutorProfile) -> HttpResponse:
    catalogue = selectors.subject_list(viewer=request.membership).filter(is_active=True)
    form = SubjectAddForm(request.POST or None, subjects=catalogue)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.tutor_subject_add(
                    profile=profile, actor=request.membership, request=request, **form.cleaned_data
                )
            except SERVICE_ERRORS as error:
                form_apply_errors(form, error)
            else:
                messages.success(request, "Subject added.")
                return redirect(_step_url("subjects"))
        status = 400
    return _render_step(request, "subjects", profile, status=status, form=form)


def _my_tutor_subject(request, pk: int) -> TutorSubject:
    tutor_subject = (
        TutorSubject.objects.select_related("profile", "subject")
        .filter(pk=pk, profile__user_id=request.user.pk)
        .first()
    )
    if tutor_subject is None:
        raise Http404
    return tutor_subject


@member_required(TUTOR)
@require_POST
def wizard_subject_remove(request, pk: int) -> HttpResponse:
    services.tutor_subject_remove(
        tutor_subject=_my_tutor_subject(request, pk), actor=request.membership, request=request
    )
    if request.htmx:
        profile = _profile(request)
        response = render(request, "crm/tutors/_subject_rows.html", {"profile": profile})
        response["HX-Trigger"] = "profile-saved"
        return response
    messages.success(request, "Subject removed.")
    return redirect(_step_url("subjects"))


def _rates(request, profile: TutorProfile) -> HttpResponse:
    form = RatesForm(request.POST or None, tutor_subjects=profile.subjects.all())
    if request.method == "POST":
        if form.is_valid() and _rates_save(request, form):
            return _after_save(request, "rates")
        return _render_step(request, "rates", profile, status=400, form=form)
    return _render_step(request, "rates", profile, form=form)


def _rates_save(request, form: RatesForm) -> bool:
    """Each subject's rate, entered in major units (45.00), stored in minor units (4500).

    All or nothing: one refused rate saves none of them.
    """
    with transaction.atomic():
        for item in form.tutor_subjects:
            field = f"rate_{item.pk}"
            minor = int((form.cleaned_data[field] * 100).quantize(Decimal(1), ROUND_HALF_UP))
            try:
                services.tutor_subject_update(
                    tutor_subject=item,
                    actor=request.membership,
                    hourly_rate_minor=minor,
                    request=request,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(field, message)
        if form.errors:
            transaction.set_rollback(True)
    return not form.errors


def _availability(request, profile: TutorProfile) -> HttpResponse:
    form = AvailabilityForm(
        request.POST or None, initial={"availability_summary": profile.availability_summary}
    )
    if request.method == "POST":
        if form.is_valid() and _update(request, form, profile, **form.cleaned_data):
            return _after_save(request, "availability")
        return _render_step(request, "availability", profile, status=400, form=form)
    return _render_step(request, "availability", profile, form=form)


def _credentials(request, profile: TutorProfile) -> HttpResponse:
    form = CredentialForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.credential_create(
                    profile=profile, actor=request.membership, request=request, **form.cleaned_data
                )
            except SERVICE_ERRORS as error:
                form_apply_errors(form, error)
            else:
                messages.success(request, "Credential added; the agency will review it.")
                return redirect(_step_url("credentials"))
        status = 400
    credentials = selectors.credential_list(viewer=request.membership, profile=profile)
    return _render_step(
        request, "credentials", profile, status=status, form=form, credentials=credentials
    )


def _my_credential(request, pk: int) -> Credential:
    credential = selectors.credential_list(viewer=request.membership).filter(
        pk=pk, profile__user_id=request.user.pk
    )
    credential = credential.first()
    if credential is None:
        raise Http404
    return credential


@member_required(TUTOR)
@require_POST
def wizard_credential_file(request, pk: int) -> HttpResponse:
    credential = _my_credential(request, pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return redirect(_step_url("credentials"))
    try:
        services.credential_update(
            credential=credential,
            actor=request.membership,
            file=form.cleaned_data["file"],
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "File replaced; the credential is pending review again.")
    return redirect(_step_url("credentials"))


@member_required(TUTOR)
@require_POST
def wizard_credential_delete(request, pk: int) -> HttpResponse:
    services.credential_delete(
        credential=_my_credential(request, pk), actor=request.membership, request=request
    )
    messages.success(request, "Credential deleted.")
    return redirect(_step_url("credentials"))


def _bio(request, profile: TutorProfile, video_form: VideoForm | None = None, status=200):
    initial = {
        "bio": profile.bio,
        "intro_video_url": profile.intro_video_url,
        "visibility": profile.bio_visibility,
    }
    is_bio_post = request.method == "POST" and video_form is None
    form = BioForm(request.POST if is_bio_post else None, initial=initial)
    if is_bio_post:
        if form.is_valid() and _update(
            request,
            form,
            profile,
            bio=form.cleaned_data["bio"],
            intro_video_url=form.cleaned_data["intro_video_url"],
            visibility={"bio": form.cleaned_data["visibility"]},
        ):
            return _after_save(request, "bio")
        status = 400
    return _render_step(
        request, "bio", profile, status=status, form=form, video_form=video_form or VideoForm()
    )


@member_required(TUTOR)
@require_POST
def wizard_video(request) -> HttpResponse:
    profile = _profile(request)
    form = VideoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.tutor_intro_video_upload(
                profile=profile, actor=request.membership, request=request, **form.cleaned_data
            )
        except SERVICE_ERRORS as error:
            form_apply_errors(form, error)
        else:
            messages.success(request, "Video uploaded.")
            return redirect(_step_url("bio"))
    return _bio(request, profile, video_form=form, status=400)


@member_required(TUTOR)
@require_POST
def wizard_video_remove(request) -> HttpResponse:
    services.tutor_intro_video_remove(
        profile=_profile(request), actor=request.membership, request=request
    )
    messages.success(request, "Video removed.")
    return redirect(_step_url("bio"))


STEP_VIEWS = {
    "basics": _basics,
    "subjects": _subjects,
    "rates": _rates,
    "availability": _availability,
    "credentials": _credentials,
    "bio": _bio,
}


urlpatterns = [
    path("profile/", wizard, name="wizard"),
    path("profile/completion/", wizard_completion, name="wizard_completion"),
    *(
        path(f"profile/{step}/", wizard_step, {"step": step}, name="wizard_step")
        for step in STEP_NAMES
    ),
    path(
        "profile/subjects/<int:pk>/remove/",
        wizard_subject_remove,
        name="wizard_subject_remove",
    ),
    path(
        "profile/credentials/<int:pk>/file/",
        wizard_credential_file,
        name="wizard_credential_file",
    ),
    path(
        "profile/credentials/<int:pk>/delete/",
        wizard_credential_delete,
        name="wizard_credential_delete",
    ),
    path("profile/bio/video/", wizard_video, name="wizard_video"),
    path("profile/bio/video/remove/", wizard_video_remove, name="wizard_video_remove"),
]
