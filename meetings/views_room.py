"""The meeting page of a session (Jitsi embedded with a fresh token), and the root-domain
endpoint prosody's event_sync component reports Jitsi occupants to.

The page is only ever rendered by the join view, after its checks passed: it carries the
person's token and the room password, so it is never cached, never leaks its URL as a
referrer, and may run scripts and frames from the Jitsi server alone.
"""

from __future__ import annotations

import hmac
import json
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import re_path, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from meetings.providers.base import Participant
from meetings.providers.jitsi import EventPayloadError, event_sync_record
from scheduling.selectors.history import viewer_zone

urlpatterns: list = []

# Features the meeting frame needs: granted to this page and the Jitsi origin only.
FRAME_FEATURES = ("camera", "microphone", "display-capture", "fullscreen")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _security_headers(response: HttpResponse, *, frame_origin: str, script_origin: str) -> None:
    origins = list(dict.fromkeys((frame_origin, script_origin)))
    response["Content-Security-Policy"] = "; ".join(
        (
            f"script-src 'self' {script_origin}",
            f"frame-src {' '.join(origins)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )
    allowed = " ".join(f'"{origin}"' for origin in origins)
    response["Permissions-Policy"] = ", ".join(
        f"{feature}=(self {allowed})" for feature in FRAME_FEATURES
    )
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)


def room_render(request, *, session, meeting, target, participant) -> HttpResponse:
    """The meeting page for ``participant`` who passed the join checks (HttpResponse)."""
    embed = target.embed
    back_url = reverse("scheduling:session_detail", args=[session.pk])
    observer = participant.role == Participant.OBSERVER
    moderator = participant.role == Participant.MODERATOR
    config = {
        "domain": embed["domain"],
        "room": embed["room"],
        "jwt": embed["jwt"],
        "password": embed.get("password", ""),
        "display_name": embed.get("display_name", participant.name),
        "email": embed.get("email", participant.email),
        "moderator": moderator,
        "observer": observer,
        "subject": embed.get("subject", ""),
        "back_url": back_url,
        "start_audio_muted": observer,
        "start_video_muted": observer,
    }
    if moderator:
        with_whom = session.student.full_name
    elif observer:
        with_whom = f"{session.tutor.full_name} and {session.student.full_name}"
    else:
        with_whom = session.tutor.full_name
    context = {
        "session": session,
        "meeting": meeting,
        "with_whom": with_whom,
        "observer": observer,
        "zone": viewer_zone(request.membership).key,
        "closes_at": target.expires_at,
        "back_url": back_url,
        "script_url": embed["script_url"],
        "config": config,
    }
    response = render(request, "meetings/room.html", context)
    _security_headers(
        response,
        frame_origin=f"https://{embed['domain']}",
        script_origin=_origin(embed["script_url"]),
    )
    return response


# prosody's event_sync component (jitsi-contrib/prosody-plugins) ---------------------------


def _authorized(request) -> bool:
    """The ``Authorization: Bearer <JITSI_EVENTS_TOKEN>`` header of ``api_headers``."""
    expected = settings.JITSI_EVENTS_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), expected.encode())


@csrf_exempt
@require_POST
def jitsi_events(request, kind: str, action: str) -> JsonResponse:
    """``POST {api_prefix}/events/<room|occupant>/<created|destroyed|joined|left>``.

    Configure the component with ``api_prefix = "https://<ROOT_DOMAIN>/meetings/jitsi"``
    and ``api_headers = {["Authorization"] = "Bearer <JITSI_EVENTS_TOKEN>"}``. A room that
    is not ours is acknowledged and ignored; a retried delivery is recorded once.
    """
    if not _authorized(request):
        return JsonResponse({"error": "not_authenticated"}, status=401)
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "invalid", "message": "The body is not JSON."}, status=400)
    try:
        outcome = event_sync_record(kind=kind, action=action, payload=payload)
    except EventPayloadError as error:
        return JsonResponse({"error": "invalid", "message": str(error)}, status=400)
    return JsonResponse({"status": outcome})


public_urlpatterns = [
    # event_sync appends "/events/room/created" etc. to api_prefix: no trailing slash.
    re_path(
        r"^jitsi/events/(?P<kind>room|occupant)/(?P<action>created|destroyed|joined|left)/?$",
        jitsi_events,
        name="jitsi_events",
    ),
]
