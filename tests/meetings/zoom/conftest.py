"""Zoom test helpers: the fake Zoom, a confirmed lesson in acme, its meeting, an agency
connection whose tokens the fake knows, and signed webhook deliveries.

``fake_zoom`` serves Zoom's endpoints on a local port and points the settings at it; a
test fails if the fake received a request of the wrong shape.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from meetings.models import Meeting, MeetingSettings, ZoomConnection
from meetings.providers.base import MeetingDetails
from meetings.routes import route_add
from scheduling.calendars.crypto import token_encrypt
from scheduling.models import Session
from tests.meetings.zoom.fake_zoom import FakeZoom, ZoomUser

# A Monday in June, far ahead: 10:00 in London.
LESSON_START = dt.datetime(2031, 6, 2, 9, 0, tzinfo=dt.UTC)
ZOOM_ID = "85012345678"
UUID = "4444AAAiAAAAAiAiAiiAii=="


@pytest.fixture(scope="session")
def fake_zoom_server():
    server = FakeZoom()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_zoom(fake_zoom_server, settings):
    fake_zoom_server.reset()
    for name, value in fake_zoom_server.endpoints().items():
        setattr(settings, name, value)
    yield fake_zoom_server
    assert not fake_zoom_server.problems, fake_zoom_server.problems


@pytest.fixture
def zoom_acme(acme):
    """acme's classes use Zoom."""
    with tenant_context(acme):
        MeetingSettings.objects.update_or_create(pk=1, defaults={"provider": "zoom"})
    return acme


@pytest.fixture
def lesson(zoom_acme, booked, tutor_profile, student_profile) -> Session:
    return booked(tutor_profile, student_profile, LESSON_START)


def details_for(session: Session, **changes) -> MeetingDetails:
    values = {
        "key": f"acme-{session.pk}",
        "topic": "Mathematics with Theo Turner",
        "agenda": "A one-hour mathematics class on EduConnect.",
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "time_zone": "Europe/London",
        "host_name": "Theo Turner",
        "host_email": "tutor@acme.test",
    }
    return MeetingDetails(**{**values, **changes})


@pytest.fixture
def pending(lesson, zoom_acme):
    """The lesson's meeting as the lifecycle makes it before asking the provider."""
    with tenant_context(zoom_acme):
        return Meeting.objects.create(
            session=lesson,
            provider="zoom",
            scheduled_start=lesson.starts_at,
            scheduled_end=lesson.ends_at,
        )


def meeting_save(meeting: Meeting, info) -> Meeting:
    """Save what the provider answered, as the lifecycle does."""
    for name in ("external_id", "join_url", "passcode", "host_account"):
        setattr(meeting, name, getattr(info, name))
    meeting.status = Meeting.Status.READY
    meeting.save()
    return meeting


@pytest.fixture
def connected(fake_zoom, zoom_acme, owner):
    """``connected(user=None, expires_in=3599, use=True)`` → an active ZoomConnection in
    acme whose tokens the fake knows (chosen for acme's meetings unless ``use=False``)."""

    def make(user: ZoomUser | None = None, *, expires_in: int = 3599, use: bool = True):
        user = user or fake_zoom.consenting
        access, refresh = fake_zoom.tokens_issue(user, expires_in=expires_in)
        with tenant_context(zoom_acme):
            row = ZoomConnection.objects.create(
                connected_by=owner.user,
                zoom_user_id=user.id,
                zoom_account_id=user.account_id,
                email=user.email,
                access_token=token_encrypt(access),
                refresh_token=token_encrypt(refresh),
                access_expires_at=timezone.now() + dt.timedelta(seconds=expires_in),
                scope="meeting:write:meeting",
            )
            if use:
                MeetingSettings.objects.filter(pk=1).update(zoom_connection=row)
        return row

    return make


@pytest.fixture
def routed():
    """``routed(tenant, meeting)``: the webhook route the lifecycle adds after a create."""

    def add(tenant, meeting: Meeting) -> None:
        route_add(provider="zoom", external_id=meeting.external_id, tenant=tenant)

    return add


def signed(body: dict | bytes, *, at: float | None = None, secret: str | None = None):
    """(raw body, headers) of a delivery signed as Zoom signs it."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    timestamp = str(int(at if at is not None else time.time()))
    key = (secret or settings.ZOOM_WEBHOOK_SECRET_TOKEN).encode()
    digest = hmac.new(key, f"v0:{timestamp}:{raw.decode()}".encode(), hashlib.sha256).hexdigest()
    return raw, {
        "HTTP_X_ZM_REQUEST_TIMESTAMP": timestamp,
        "HTTP_X_ZM_SIGNATURE": f"v0={digest}",
    }


@pytest.fixture
def deliver(web_client, public_tenant):
    """``deliver(body, **signing)`` → the root domain's answer to a signed delivery."""

    def send(body, *, headers: dict | None = None, **signing):
        raw, signature = signed(body, **signing)
        return web_client().post(
            "/meetings/zoom/webhook/",
            data=raw,
            content_type="application/json",
            **(signature if headers is None else headers),
        )

    return send


def participant_event(
    kind: str, *, email: str, name: str, at: dt.datetime, who: str = "p1", zoom_id: str = ZOOM_ID
) -> dict:
    """A ``meeting.participant_joined``/``_left`` notification as Zoom sends it."""
    joined = kind == "joined"
    person = {
        "user_id": "16778240",
        "user_name": name,
        "id": who,
        "participant_uuid": f"uuid-{who}",
        "email": email,
        "join_time" if joined else "leave_time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if not joined:
        person["leave_reason"] = "left the meeting"
    return {
        "event": f"meeting.participant_{kind}",
        "event_ts": int(at.timestamp() * 1000),
        "payload": {
            "account_id": "agency-account",
            "object": {
                "id": zoom_id,
                "uuid": UUID,
                "host_id": "platform-host-user",
                "topic": "Mathematics with Theo Turner",
                "type": 2,
                "start_time": "2031-06-02T09:00:00Z",
                "timezone": "Europe/London",
                "duration": 60,
                "participant": person,
            },
        },
    }
