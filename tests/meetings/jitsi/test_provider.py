"""The Jitsi provider: unguessable rooms with a password, and a token per person that
Jitsi's token plugin accepts only for that room, inside the session's join window."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest
from django.test import override_settings
from django.utils import timezone
from django_tenants.utils import tenant_context

from meetings.models import Meeting
from meetings.providers import provider_get
from meetings.providers.base import MeetingError, NotConfiguredError, Participant
from meetings.providers.jitsi import ROOM_PREFIX, JitsiProvider
from meetings.window import join_window
from tests.meetings.jitsi.conftest import as_participant, details_of

pytestmark = pytest.mark.django_db

SECRET = "test-jitsi-secret-0123456789abcdef0123456789"
APP_ID = "educonnect-test"
DOMAIN = "meet.example.test"


def decoded(token: str, *, secret: str = SECRET) -> dict:
    return jwt.decode(token, key=secret, algorithms=["HS256"], audience="jitsi", issuer=APP_ID)


def prosody_accepts(token: str, *, room: str, secret: str = SECRET) -> bool:
    """What jitsi-meet's token/util.lib.lua checks on connect and on joining ``room``."""
    try:
        claims = jwt.decode(
            token,
            key=secret,
            algorithms=["HS256"],
            audience="jitsi",
            issuer=APP_ID,
            options={"require": ["iss", "aud", "room", "exp", "nbf"]},
        )
    except jwt.InvalidTokenError:
        return False
    return claims["room"].lower() == room and claims["sub"] == DOMAIN


@pytest.fixture
def issue(jitsi, acme):
    """``issue(meeting, participant, window=None)`` → the JoinTarget for that person, valid
    in ``window`` (default: the session's join window)."""

    def make(meeting, participant, window=None):
        with tenant_context(acme):
            opens, closes = window or join_window(meeting.session)
            return jitsi.join_target(
                meeting=meeting, participant=participant, not_before=opens, not_after=closes
            )

    return make


# The provider and its rooms -------------------------------------------------------------


def test_jitsi_is_an_installed_provider_named_jitsi(jitsi):
    assert isinstance(jitsi, JitsiProvider)
    assert (jitsi.name, jitsi.label) == ("jitsi", "Jitsi")
    assert jitsi.is_configured()


@pytest.mark.parametrize("missing", ["JITSI_DOMAIN", "JITSI_APP_ID", "JITSI_APP_SECRET"])
def test_without_its_settings_jitsi_is_not_configured_and_refuses_to_work(
    issue, missing, acme, meeting, tutor
):
    jitsi = provider_get("jitsi")
    session = meeting.session
    with override_settings(**{missing: ""}):
        assert not jitsi.is_configured()
        with tenant_context(acme), pytest.raises(NotConfiguredError):
            jitsi.meeting_create(meeting=Meeting(session=session), details=details_of(session))
        with pytest.raises(NotConfiguredError):
            issue(meeting, as_participant(tutor, Participant.MODERATOR))


def test_a_room_name_is_long_random_lowercase_and_never_repeats(jitsi, acme, soon):
    with tenant_context(acme):
        names = {
            jitsi.meeting_create(meeting=Meeting(session=soon), details=details_of(soon)).room_name
            for _ in range(200)
        }
    assert len(names) == 200
    for name in names:
        assert name.startswith(ROOM_PREFIX)
        random_part = name.removeprefix(ROOM_PREFIX)
        assert len(random_part) * 4 >= 128  # hex: four bits a character
        assert random_part == random_part.lower()
        assert set(random_part) <= set("0123456789abcdef")
        assert len(name) <= Meeting._meta.get_field("room_name").max_length


def test_each_room_gets_a_generated_password(jitsi, acme, soon):
    with tenant_context(acme):
        first = jitsi.meeting_create(meeting=Meeting(session=soon), details=details_of(soon))
        second = jitsi.meeting_create(meeting=Meeting(session=soon), details=details_of(soon))
    assert len(first.passcode) >= 16
    assert first.passcode != second.passcode
    assert len(first.passcode) <= Meeting._meta.get_field("passcode").max_length
    assert (first.external_id, first.join_url) == ("", "")


def test_moving_or_retrying_keeps_the_room_and_its_password(jitsi, acme, meeting):
    with tenant_context(acme):
        details = details_of(meeting.session)
        moved = jitsi.meeting_update(meeting=meeting, details=details)
        retried = jitsi.meeting_create(meeting=meeting, details=details)
        assert jitsi.meeting_delete(meeting=meeting) is None
    assert (moved.room_name, moved.passcode) == (meeting.room_name, meeting.passcode)
    assert (retried.room_name, retried.passcode) == (meeting.room_name, meeting.passcode)


def test_a_room_that_lost_its_password_gets_a_new_one(jitsi, acme, meeting):
    meeting.passcode = ""
    with tenant_context(acme):
        info = jitsi.meeting_update(meeting=meeting, details=details_of(meeting.session))
    assert info.room_name == meeting.room_name
    assert len(info.passcode) >= 16


def test_a_meeting_without_a_room_gives_no_token(jitsi, acme, soon, tutor, window):
    with tenant_context(acme), pytest.raises(MeetingError):
        jitsi.join_target(
            meeting=Meeting(session=soon, provider="jitsi"),
            participant=as_participant(tutor, Participant.MODERATOR),
            not_before=window[0],
            not_after=window[1],
        )


# The token -----------------------------------------------------------------------------


def test_the_tutors_token_makes_them_moderator_and_owner_of_this_room_only(
    issue, meeting, tutor, window
):
    target = issue(meeting, as_participant(tutor, Participant.MODERATOR), window)
    token = target.embed["jwt"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    claims = decoded(token)
    assert set(claims) == {"aud", "iss", "sub", "room", "iat", "nbf", "exp", "moderator", "context"}
    assert claims["aud"] == "jitsi"
    assert claims["iss"] == APP_ID
    assert claims["sub"] == DOMAIN
    assert claims["room"] == meeting.room_name
    assert claims["room"] != "*"
    assert claims["nbf"] == int(window[0].timestamp())
    assert claims["exp"] == int(window[1].timestamp())
    assert abs(claims["iat"] - timezone.now().timestamp()) < 60
    assert claims["moderator"] is True
    assert claims["context"] == {
        "user": {
            "id": str(tutor.user.pk),
            "name": "Theo Turner",
            "email": tutor.user.email,
            "moderator": True,
            "affiliation": "owner",
        }
    }
    assert target.expires_at == window[1]


def test_the_students_token_makes_them_a_member_without_moderation(issue, meeting, student, window):
    claims = decoded(issue(meeting, as_participant(student, Participant.PARTICIPANT)).embed["jwt"])
    assert claims["room"] == meeting.room_name
    assert (claims["nbf"], claims["exp"]) == tuple(int(t.timestamp()) for t in window)
    assert claims["moderator"] is False
    assert claims["context"]["user"] == {
        "id": str(student.user.pk),
        "name": student.user.get_full_name(),
        "email": student.user.email,
        "moderator": False,
        "affiliation": "member",
    }


def test_a_parents_token_is_a_members_token_in_their_own_name(
    issue, acme, booked, tutor_profile, child, parent, room
):
    session = booked(tutor_profile, child, timezone.now() + dt.timedelta(minutes=10))
    meeting = room(acme, session)
    target = issue(meeting, as_participant(parent, Participant.PARTICIPANT))
    claims = decoded(target.embed["jwt"])
    assert claims["room"] == meeting.room_name
    assert claims["context"]["user"] == {
        "id": str(parent.user.pk),
        "name": "Pat Parent",
        "email": parent.user.email,
        "moderator": False,
        "affiliation": "member",
    }
    assert target.embed["moderator"] is False
    assert target.embed["observer"] is False


def test_an_observers_token_never_makes_them_moderator(issue, meeting, owner, window):
    target = issue(meeting, as_participant(owner, Participant.OBSERVER), window)
    claims = decoded(target.embed["jwt"])
    assert claims["moderator"] is False
    assert claims["context"]["user"]["moderator"] is False
    assert claims["context"]["user"]["affiliation"] == "member"
    assert claims["context"]["user"]["id"] == str(owner.user.pk)
    assert target.embed["observer"] is True
    assert target.embed["moderator"] is False


def test_an_avatar_is_passed_on_when_there_is_one(issue, meeting, student, window):
    participant = Participant(
        user_id=student.user.pk,
        name="Sam Student",
        email=student.user.email,
        role=Participant.PARTICIPANT,
        avatar_url="https://cdn.example.test/a/sam.png",
    )
    claims = decoded(issue(meeting, participant, window).embed["jwt"])
    assert claims["context"]["user"]["avatar"] == "https://cdn.example.test/a/sam.png"


def test_the_page_gets_what_it_needs_to_embed_the_room(issue, meeting, tutor, window):
    embed = issue(meeting, as_participant(tutor, Participant.MODERATOR), window).embed
    assert embed["domain"] == DOMAIN
    assert embed["script_url"] == f"https://{DOMAIN}/external_api.js"
    assert embed["room"] == meeting.room_name
    assert embed["password"] == meeting.passcode
    assert embed["display_name"] == "Theo Turner"
    assert embed["email"] == tutor.user.email
    assert embed["subject"] == "Mathematics with Theo Turner"
    assert embed["window_end"] == window[1].isoformat()


def test_the_script_url_and_token_subject_can_be_set_apart_from_the_domain(
    issue, meeting, tutor, window
):
    with override_settings(
        JITSI_EXTERNAL_API_URL="http://127.0.0.1:8999/external_api.js",
        JITSI_TOKEN_SUBJECT="meet.jitsi",
        JITSI_DOMAIN="Video.Example.test:8443",
    ):
        embed = issue(meeting, as_participant(tutor, Participant.MODERATOR), window).embed
        assert embed["script_url"] == "http://127.0.0.1:8999/external_api.js"
        assert decoded(embed["jwt"])["sub"] == "meet.jitsi"
    with override_settings(JITSI_DOMAIN="Video.Example.test:8443"):
        embed = issue(meeting, as_participant(tutor, Participant.MODERATOR), window).embed
        assert embed["script_url"] == "https://Video.Example.test:8443/external_api.js"
        assert (
            jwt.decode(embed["jwt"], key=SECRET, algorithms=["HS256"], audience="jitsi")["sub"]
            == "video.example.test"
        )


def test_jitsi_accepts_the_token_for_its_room_only(
    issue, acme, meeting, room, booked, tutor, tutor_profile, student_profile
):
    later = booked(tutor_profile, student_profile, timezone.now() + dt.timedelta(hours=3))
    other = room(acme, later)
    token = issue(meeting, as_participant(tutor, Participant.MODERATOR)).embed["jwt"]
    assert prosody_accepts(token, room=meeting.room_name)
    assert not prosody_accepts(token, room=other.room_name)


def test_a_token_signed_with_another_secret_is_refused(issue, meeting, tutor, window):
    with override_settings(JITSI_APP_SECRET="someone-elses-secret-0123456789abcdef"):
        forged = issue(meeting, as_participant(tutor, Participant.MODERATOR), window).embed["jwt"]
    with pytest.raises(jwt.InvalidSignatureError):
        decoded(forged)
    assert not prosody_accepts(forged, room=meeting.room_name)


def test_a_token_is_refused_after_the_window_closed_and_before_it_opened(issue, meeting, student):
    person = as_participant(student, Participant.PARTICIPANT)
    now = timezone.now()
    past = issue(meeting, person, (now - dt.timedelta(hours=3), now - dt.timedelta(hours=1)))
    with pytest.raises(jwt.ExpiredSignatureError):
        decoded(past.embed["jwt"])
    assert not prosody_accepts(past.embed["jwt"], room=meeting.room_name)
    future = issue(meeting, person, (now + dt.timedelta(hours=1), now + dt.timedelta(hours=3)))
    with pytest.raises(jwt.ImmatureSignatureError):
        decoded(future.embed["jwt"])


def test_each_join_gets_its_own_token(issue, meeting, tutor, student, window):
    tutor_token = issue(meeting, as_participant(tutor, Participant.MODERATOR), window)
    student_token = issue(meeting, as_participant(student, Participant.PARTICIPANT), window)
    assert tutor_token.embed["jwt"] != student_token.embed["jwt"]
