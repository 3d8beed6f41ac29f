"""Attendance from prosody's event_sync component: one root-domain endpoint for every
agency, authenticated by the bearer token of its ``api_headers``, routed by room name.

Payloads are the ones jitsi-contrib/prosody-plugins ``event_sync/README.md`` documents.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from meetings.models import Attendance, AttendanceEvent
from tenants.selectors import host_for_slug
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.django_db

TOKEN = "test-jitsi-events-token"
PREFIX = "/meetings/jitsi"


@pytest.fixture
def prosody(public_tenant):
    """``prosody.post("occupant/joined", payload)`` → the response to the component's call
    (exactly its URL: api_prefix + "/events/..." without a trailing slash)."""

    class Prosody:
        def __init__(self):
            self.client = Client(HTTP_HOST=public_tenant.get_primary_domain().domain)

        def post(self, event: str, payload, *, token: str | None = TOKEN, raw=None):
            headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
            body = raw if raw is not None else json.dumps(payload)
            return self.client.post(
                f"{PREFIX}/events/{event}", data=body, content_type="application/json", **headers
            )

    return Prosody()


JID = "14f01c40-5195-4a4d-8efb-f58b49d18741@meet.example.test/OWhl8jSh"


def occupant(who=None, *, jid=JID, joined_at=None, left_at=None, **fields) -> dict:
    data = {"occupant_jid": jid, "joined_at": joined_at or int(timezone.now().timestamp())}
    if who is not None:
        data.update(name=who.user.get_full_name(), email=who.user.email, id=str(who.user.pk))
    if left_at is not None:
        data["left_at"] = left_at
    data.update(fields)
    return data


def joined(meeting, person: dict, **fields) -> dict:
    return {
        "event_name": "muc-occupant-joined",
        "room_name": meeting.room_name,
        "room_jid": f"{meeting.room_name}@conference.meet.example.test",
        "is_breakout": False,
        "active_occupants_count": 1,
        "occupant": person,
        **fields,
    }


def left(meeting, person: dict) -> dict:
    return {**joined(meeting, person), "event_name": "muc-occupant-left"}


def attendances(tenant) -> list[Attendance]:
    with tenant_context(tenant):
        return list(Attendance.objects.select_related("user"))


def events(tenant) -> list[AttendanceEvent]:
    with tenant_context(tenant):
        return list(AttendanceEvent.objects.all())


# Who may call --------------------------------------------------------------------------


def test_a_call_without_the_bearer_token_is_refused(prosody, acme, meeting, tutor):
    payload = joined(meeting, occupant(tutor))
    assert prosody.post("occupant/joined", payload, token=None).status_code == 401
    assert prosody.post("occupant/joined", payload, token="guess").status_code == 401
    assert events(acme) == []


def test_without_a_configured_token_every_call_is_refused(prosody, acme, meeting, tutor):
    with override_settings(JITSI_EVENTS_TOKEN=""):
        response = prosody.post("occupant/joined", joined(meeting, occupant(tutor)), token="")
    assert response.status_code == 401
    assert events(acme) == []


def test_only_post_is_accepted(prosody):
    assert prosody.client.get(f"{PREFIX}/events/occupant/joined").status_code == 405


@pytest.mark.parametrize(
    ("event", "body"),
    [
        ("occupant/joined", "not json"),
        ("occupant/joined", json.dumps([1, 2])),
        ("occupant/joined", json.dumps({"event_name": "muc-occupant-joined"})),
        ("occupant/created", json.dumps({"room_name": "x"})),
        ("room/joined", json.dumps({"room_name": "x"})),
    ],
)
def test_a_malformed_call_is_a_bad_request(prosody, event, body):
    assert prosody.post(event, None, raw=body).status_code == 400


def test_a_malformed_occupant_is_a_bad_request_and_records_nothing(prosody, acme, meeting, tutor):
    cases = [
        joined(meeting, "someone"),
        joined(meeting, occupant(tutor, joined_at="yesterday")),
        joined(meeting, occupant(tutor, joined_at=10**12)),
        joined(meeting, occupant(tutor, jid="")),
        {**joined(meeting, occupant(tutor)), "event_name": "muc-occupant-left"},
        left(meeting, occupant(tutor)),  # a left occupant without left_at
    ]
    for payload in cases:
        event = "occupant/left" if payload is cases[-1] else "occupant/joined"
        assert prosody.post(event, payload).status_code == 400, payload
    assert events(acme) == []


# What is recorded ----------------------------------------------------------------------


def test_the_tutor_joining_and_leaving_is_recorded_as_their_attendance(
    prosody, acme, meeting, tutor
):
    start = int(timezone.now().timestamp())
    response = prosody.post("occupant/joined", joined(meeting, occupant(tutor, joined_at=start)))
    assert response.status_code == 200
    assert response.json() == {"status": "recorded"}
    person = occupant(tutor, joined_at=start, left_at=start + 1500)
    assert prosody.post("occupant/left", left(meeting, person)).json() == {"status": "recorded"}

    (row,) = attendances(acme)
    assert row.user == tutor.user
    assert row.role == Attendance.Role.TUTOR
    assert row.via_provider is True
    assert row.seconds_present == 1500
    assert row.first_joined_at == dt.datetime.fromtimestamp(start, tz=dt.UTC)
    assert [(e.kind, e.source) for e in events(acme)] == [("joined", "jitsi"), ("left", "jitsi")]


def test_a_retried_delivery_is_recorded_once(prosody, acme, meeting, student):
    payload = joined(meeting, occupant(student))
    assert prosody.post("occupant/joined", payload).json() == {"status": "recorded"}
    assert prosody.post("occupant/joined", payload).json() == {"status": "duplicate"}
    assert len(events(acme)) == 1
    (row,) = attendances(acme)
    assert (row.user, row.role) == (student.user, Attendance.Role.STUDENT)


def test_an_occupant_without_a_user_id_is_matched_by_email(prosody, acme, meeting, student):
    person = occupant(jid="a@meet.example.test/x", name="Sam", email=student.user.email.upper())
    prosody.post("occupant/joined", joined(meeting, person))
    (row,) = attendances(acme)
    assert (row.user, row.role) == (student.user, Attendance.Role.STUDENT)


def test_an_observer_let_in_by_the_join_endpoint_is_recognised_by_their_id(
    prosody, acme, meeting, owner
):
    from meetings.services.attendance import attendance_record

    with tenant_context(acme):
        attendance_record(
            session=meeting.session,
            kind="joined",
            source="platform",
            occurred_at=timezone.now(),
            user=owner.user,
            role=Attendance.Role.OBSERVER,
        )
    prosody.post("occupant/joined", joined(meeting, occupant(owner)))
    (row,) = attendances(acme)
    assert (row.user, row.role) == (owner.user, Attendance.Role.OBSERVER)
    assert (row.via_platform, row.via_provider) == (True, True)


def test_a_stranger_is_kept_by_name_without_an_account(prosody, acme, meeting, member):
    outsider = member(acme, Membership.Role.STUDENT, email="someone@else.test")
    prosody.post("occupant/joined", joined(meeting, occupant(outsider)))
    (row,) = attendances(acme)
    assert row.user is None
    assert row.role == ""
    assert row.email == "someone@else.test"


def test_a_destroyed_room_fills_in_the_events_that_were_lost(
    prosody, acme, meeting, tutor, student
):
    start = int(timezone.now().timestamp())
    tutor_in = occupant(tutor, jid="t@meet.example.test/1", joined_at=start)
    prosody.post("occupant/joined", joined(meeting, tutor_in))
    destroyed = {
        "event_name": "muc-room-destroyed",
        "room_name": meeting.room_name,
        "room_jid": f"{meeting.room_name}@conference.meet.example.test",
        "is_breakout": False,
        "created_at": start,
        "destroyed_at": start + 3600,
        "all_occupants": [
            {**tutor_in, "left_at": start + 3600},
            occupant(
                student, jid="s@meet.example.test/2", joined_at=start + 60, left_at=start + 3500
            ),
        ],
    }
    assert prosody.post("room/destroyed", destroyed).json() == {"status": "recorded"}
    assert prosody.post("room/destroyed", destroyed).json() == {"status": "duplicate"}
    assert len(events(acme)) == 4
    rows = {row.role: row for row in attendances(acme)}
    assert rows["tutor"].seconds_present == 3600
    assert rows["student"].seconds_present == 3440


def test_a_created_room_is_acknowledged(prosody, acme, meeting):
    payload = {"event_name": "muc-room-created", "room_name": meeting.room_name, "created_at": 1}
    assert prosody.post("room/created", payload).json() == {"status": "ignored"}
    assert events(acme) == []


# Which tenant ---------------------------------------------------------------------------


def test_a_room_that_is_not_ours_is_acknowledged_and_ignored(prosody, acme, meeting, tutor):
    payload = joined(meeting, occupant(tutor), room_name="someone-elses-room")
    response = prosody.post("occupant/joined", payload)
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    assert events(acme) == []


@pytest.fixture
def globex_meeting(globex, teacher, booked, room):
    globex_owner = Membership.objects.get(tenant=globex, role=Membership.Role.OWNER)
    _, profile = teacher(globex, email="tutor@globex.test")
    with tenant_context(globex):
        pupil = crm.student_create(
            actor=globex_owner, first_name="Gil", last_name="Pupil", date_of_birth=dob_for(20)
        )
    return room(globex, booked(profile, pupil, timezone.now() + dt.timedelta(minutes=5)))


def test_each_room_is_recorded_in_its_own_tenant_only(
    prosody, acme, globex, meeting, globex_meeting, tutor
):
    prosody.post("occupant/joined", joined(meeting, occupant(tutor)))
    assert len(events(acme)) == 1
    assert events(globex) == []

    stranger = occupant(jid="g@meet.example.test/3", name="Gil Pupil", email="gil@globex.test")
    prosody.post("occupant/joined", joined(globex_meeting, stranger))
    assert len(events(acme)) == 1
    (row,) = attendances(globex)
    assert row.display_name == "Gil Pupil"


def test_an_inactive_tenants_rooms_are_ignored(prosody, acme, meeting, tutor):
    acme.is_active = False
    acme.save()
    response = prosody.post("occupant/joined", joined(meeting, occupant(tutor)))
    assert response.json() == {"status": "ignored"}
    acme.is_active = True
    acme.save()
    assert events(acme) == []


def test_the_endpoint_is_on_the_root_domain_only(acme, meeting, tutor):
    client = Client(HTTP_HOST=host_for_slug(acme.slug))
    response = client.post(
        f"{PREFIX}/events/occupant/joined",
        data=json.dumps(joined(meeting, occupant(tutor))),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
    )
    assert response.status_code == 404
