"""The platform's join endpoint: the one way into a session's meeting.

``/meetings/sessions/<pk>/join/`` is the link on dashboards and in the join emails. It
checks who the person is and when it is (``meetings.services.joining``), records the
join, then sends them on: to the provider's URL (Zoom) or to the embedded meeting page
with a fresh token (Jitsi). A refusal is a page saying why, with the join window in the
viewer's zone. Nothing here may be cached: every answer is for one person, now.

A session the person cannot see (another tenant's, another student's) is not found.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.errors import ApplicationError
from meetings import views_room
from meetings.models import MeetingSettings
from meetings.services.joining import join_begin, user_zone
from meetings.window import join_window
from scheduling.models import Session
from scheduling.selectors.sessions import session_get

HEADINGS = {
    "too_early": "This class is not open yet",
    "session_ended": "This class has ended",
    "session_cancelled": "This class is not taking place",
    "not_confirmed": "This class is not confirmed yet",
    "meeting_pending": "The meeting room is almost ready",
    "meeting_failed": "The meeting room is not ready",
    "provider_unavailable": "The meeting service is busy",
    "provider_error": "The meeting room could not be opened",
}
# Refusals that go away by themselves: the page offers to try again.
TRANSIENT = frozenset({"meeting_pending", "meeting_failed", "provider_unavailable"})


def _refused(request, session: Session, refusal: Exception) -> HttpResponse:
    if isinstance(refusal, ApplicationError):
        code, message, status = refusal.code, refusal.message, refusal.status
    else:
        code, message, status = "permission_denied", str(refusal), 403
    opens, closes = join_window(session, MeetingSettings.current())
    zone = user_zone(request.user)
    context = {
        "session": session,
        "heading": HEADINGS.get(code, "You cannot join this class"),
        "reason": message or "You cannot join this class.",
        "code": code,
        "opens_at": opens,
        "closes_at": closes,
        "zone": zone.key,
        "same_day": opens.astimezone(zone).date() == closes.astimezone(zone).date(),
        "retry": code in TRANSIENT,
    }
    response = render(request, "meetings/join_refused.html", context, status=status)
    retry_after = getattr(refusal, "extra", {}).get("retry_after")
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@login_required
@require_GET
def join(request, pk: int) -> HttpResponse:
    """Check, record and send the person into the session's meeting (module doc)."""
    membership = request.membership
    session = session_get(viewer=membership, pk=pk) if membership is not None else None
    if session is None:
        raise Http404
    try:
        participant, target = join_begin(actor=membership, session=session, request=request)
    except (PermissionDenied, ApplicationError) as refusal:
        return _refused(request, session, refusal)
    if target.redirect_url:
        return redirect(target.redirect_url)
    return views_room.room_render(
        request, session=session, meeting=session.meeting, target=target, participant=participant
    )


urlpatterns = [
    path("sessions/<int:pk>/join/", join, name="join"),
]
