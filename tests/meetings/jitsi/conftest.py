"""Jitsi tests: a confirmed session about to start in acme, its Jitsi room, and the people
who enter it as ``Participant`` values."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.test import RequestFactory
from django.utils import timezone
from django_tenants.utils import tenant_context

from meetings.models import Meeting, MeetingSettings
from meetings.providers import provider_get
from meetings.providers.base import MeetingDetails, Participant
from meetings.routes import route_add
from meetings.views_room import room_render
from meetings.window import join_window
from tenants.selectors import host_for_slug

CONFIG = re.compile(r'<script id="meeting-config" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def jitsi():
    return provider_get("jitsi")


@pytest.fixture
def soon(booked, tutor_profile, student_profile):
    """A confirmed hour with the tutor, starting in five minutes (its window is open)."""
    return booked(tutor_profile, student_profile, timezone.now() + dt.timedelta(minutes=5))


def details_of(session) -> MeetingDetails:
    return MeetingDetails(
        key=f"acme-{session.pk}",
        topic=session.subject.name,
        agenda="",
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        time_zone="Europe/London",
        host_name=session.tutor.full_name,
        host_email=session.tutor.user.email,
    )


@pytest.fixture
def room():
    """``room(tenant, session)`` → the session's Jitsi meeting, made as the lifecycle makes
    it (provider info saved, route to the tenant added)."""

    def make(tenant, session) -> Meeting:
        provider = provider_get("jitsi")
        with tenant_context(tenant):
            MeetingSettings.objects.update_or_create(pk=1, defaults={"provider": "jitsi"})
            meeting = Meeting(session=session, provider="jitsi")
            info = provider.meeting_create(meeting=meeting, details=details_of(session))
            meeting.room_name = info.room_name
            meeting.passcode = info.passcode
            meeting.status = Meeting.Status.READY
            meeting.scheduled_start, meeting.scheduled_end = session.starts_at, session.ends_at
            meeting.save()
            route_add(provider="jitsi", external_id=meeting.room_name, tenant=tenant)
        return meeting

    return make


@pytest.fixture
def meeting(acme, soon, room) -> Meeting:
    return room(acme, soon)


@pytest.fixture
def window(acme, soon) -> tuple[dt.datetime, dt.datetime]:
    with tenant_context(acme):
        return join_window(soon)


def as_participant(membership, role: str) -> Participant:
    user = membership.user
    return Participant(
        user_id=user.pk, name=user.get_full_name() or user.email, email=user.email, role=role
    )


@pytest.fixture
def render_for(acme, meeting):
    """``render_for(membership, role)`` → the meeting page as the join view returns it."""

    def render(membership, role: str):
        participant = as_participant(membership, role)
        request = RequestFactory(HTTP_HOST=host_for_slug(acme.slug)).get("/meetings/join/")
        request.user = membership.user
        request.membership = membership
        request.tenant = acme
        with tenant_context(acme):
            session = meeting.session
            opens, closes = join_window(session)
            target = provider_get("jitsi").join_target(
                meeting=meeting, participant=participant, not_before=opens, not_after=closes
            )
            return room_render(
                request, session=session, meeting=meeting, target=target, participant=participant
            )

    return render


def config_of(response) -> dict:
    found = CONFIG.search(response.content.decode())
    assert found, "the page carries its settings as a json_script block"
    return json.loads(found.group(1))
