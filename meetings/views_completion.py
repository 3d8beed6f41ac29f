"""The meeting panel of a session's page and its actions: mark the class held, confirm
it, report a problem, give or withdraw consent to recording.

The session page loads the panel with htmx; each action posts back here and, with htmx,
gets the panel again (a refused action shows why, in place, with its 4xx status).
Without JavaScript the panel is a page of its own and actions return to the session.
Sessions are looked up through ``session_get``, so one the viewer may not see is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST, require_safe

from config.errors import ApplicationError
from crm.pages import member_required
from meetings.forms import ProblemForm
from meetings.selectors import session_meeting_summary
from meetings.services import completion, consent
from scheduling.models import Session
from scheduling.selectors.sessions import session_get
from web.forms import form_apply_errors


def _session(request, pk: int) -> Session:
    session = session_get(viewer=request.membership, pk=pk)
    if session is None:
        raise Http404
    return session


def _panel(
    request,
    session: Session,
    *,
    status: int = 200,
    error: str = "",
    notice: str = "",
    problem_form: ProblemForm | None = None,
) -> HttpResponse:
    summary = session_meeting_summary(viewer=request.membership, session=session)
    context = {
        "session": summary.row.session,
        "summary": summary,
        "row": summary.row,
        "error": error,
        "notice": notice,
        "problem_form": problem_form or ProblemForm(prefix="problem"),
    }
    template = "meetings/_panel.html" if request.htmx else "meetings/session_panel.html"
    return render(request, template, context, status=status)


@member_required()
@require_safe
def session_panel(request, pk: int) -> HttpResponse:
    return _panel(request, _session(request, pk))


def _act(request, pk: int, action, done: str, **kwargs) -> HttpResponse:
    """Run ``action`` on the session; answer with the panel (htmx) or back to the page."""
    session = _session(request, pk)
    try:
        action(actor=request.membership, session=session, request=request, **kwargs)
    except PermissionDenied as error:
        return _refused(request, session, str(error) or "You cannot do this.", 403)
    except ApplicationError as error:
        return _refused(request, session, error.message, error.status)
    if request.htmx:
        return _panel(request, session, notice=done)
    messages.success(request, done)
    return redirect("scheduling:session_detail", pk=session.pk)


def _refused(request, session: Session, message: str, status: int) -> HttpResponse:
    return _panel(request, session, status=status, error=message)


@member_required()
@require_POST
def session_held(request, pk: int) -> HttpResponse:
    return _act(request, pk, completion.session_held_mark, "Marked as held.")


@member_required()
@require_POST
def session_confirm(request, pk: int) -> HttpResponse:
    return _act(request, pk, completion.session_completion_confirm, "Class confirmed. Thank you.")


@member_required()
@require_POST
def session_problem(request, pk: int) -> HttpResponse:
    session = _session(request, pk)
    form = ProblemForm(request.POST, prefix="problem")
    if form.is_valid():
        try:
            completion.session_problem_report(
                actor=request.membership,
                session=session,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except PermissionDenied as error:
            return _refused(request, session, str(error) or "You cannot do this.", 403)
        except ApplicationError as error:
            return _refused(request, session, error.message, error.status)
        except ValidationError as error:
            form_apply_errors(form, error)
        else:
            done = "Problem reported. The tutor and the agency have been told."
            if request.htmx:
                return _panel(request, session, notice=done)
            messages.success(request, done)
            return redirect("scheduling:session_detail", pk=session.pk)
    return _panel(request, session, status=400, problem_form=form)


@member_required()
@require_POST
def recording_consent_give(request, pk: int) -> HttpResponse:
    return _act(request, pk, consent.recording_consent_give, "Consent to recording recorded.")


@member_required()
@require_POST
def recording_consent_withdraw(request, pk: int) -> HttpResponse:
    return _act(request, pk, consent.recording_consent_withdraw, "Consent withdrawn.")


urlpatterns = [
    path("sessions/<int:pk>/panel/", session_panel, name="session_panel"),
    path("sessions/<int:pk>/held/", session_held, name="session_held"),
    path("sessions/<int:pk>/confirm/", session_confirm, name="session_confirm"),
    path("sessions/<int:pk>/problem/", session_problem, name="session_problem"),
    path(
        "sessions/<int:pk>/recording-consent/",
        recording_consent_give,
        name="recording_consent_give",
    ),
    path(
        "sessions/<int:pk>/recording-consent/withdraw/",
        recording_consent_withdraw,
        name="recording_consent_withdraw",
    ),
]
