"""The meeting page: Jitsi embedded from its own server with the person's token, settings
handed over as JSON (never as inline code), and headers that keep the token to the page."""

from __future__ import annotations

import re
import zoneinfo

import jwt
import pytest
from django.contrib.staticfiles import finders
from django.test import override_settings

from meetings.providers.base import Participant
from tests.meetings.jitsi.conftest import config_of

pytestmark = pytest.mark.django_db

JITSI = "https://meet.example.test"


def test_the_tutor_gets_the_room_with_their_token_and_the_room_password(render_for, meeting, tutor):
    response = render_for(tutor, Participant.MODERATOR)
    assert response.status_code == 200
    config = config_of(response)
    assert config["domain"] == "meet.example.test"
    assert config["room"] == meeting.room_name
    assert config["password"] == meeting.passcode
    assert config["moderator"] is True
    assert config["observer"] is False
    assert (config["start_audio_muted"], config["start_video_muted"]) == (False, False)
    assert config["display_name"] == "Theo Turner"
    assert config["back_url"] == f"/scheduling/sessions/{meeting.session.pk}/"
    html = response.content.decode()
    assert f'<script src="{JITSI}/external_api.js" defer></script>' in html
    assert '<script src="/static/meetings/room.js" defer></script>' in html
    assert 'data-testid="meeting-room"' in html
    assert 'data-testid="meeting-status"' in html
    assert "Connecting…" in html


def test_the_page_token_is_a_valid_token_for_this_room(render_for, meeting, student):
    config = config_of(render_for(student, Participant.PARTICIPANT))
    claims = jwt.decode(
        config["jwt"],
        key="test-jitsi-secret-0123456789abcdef0123456789",
        algorithms=["HS256"],
        audience="jitsi",
    )
    assert claims["room"] == meeting.room_name
    assert claims["context"]["user"]["id"] == str(student.user.pk)
    assert config["moderator"] is False


def test_an_observer_starts_with_microphone_and_camera_off(render_for, owner):
    response = render_for(owner, Participant.OBSERVER)
    config = config_of(response)
    assert config["observer"] is True
    assert config["moderator"] is False
    assert (config["start_audio_muted"], config["start_video_muted"]) == (True, True)
    assert b'data-testid="meeting-observer"' in response.content


def test_the_student_is_not_muted_at_the_start(render_for, student):
    config = config_of(render_for(student, Participant.PARTICIPANT))
    assert (config["start_audio_muted"], config["start_video_muted"]) == (False, False)


def test_the_page_is_never_cached_leaks_no_referrer_and_runs_only_jitsis_code(render_for, tutor):
    response = render_for(tutor, Participant.MODERATOR)
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == f"'self' {JITSI}"
    assert policy["frame-src"] == JITSI
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "display-capture"):
        assert f'{feature}=(self "{JITSI}")' in permissions


def test_a_script_served_elsewhere_is_allowed_by_the_policy_too(render_for, tutor):
    with override_settings(JITSI_EXTERNAL_API_URL="http://127.0.0.1:8999/fake/external_api.js"):
        response = render_for(tutor, Participant.MODERATOR)
    html = response.content.decode()
    assert '<script src="http://127.0.0.1:8999/fake/external_api.js" defer></script>' in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' http://127.0.0.1:8999;" in policy
    assert f"frame-src {JITSI} http://127.0.0.1:8999;" in policy


def test_no_script_on_the_page_is_inline_code(render_for, tutor):
    html = render_for(tutor, Participant.MODERATOR).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag


def test_names_cannot_break_out_of_the_settings_block(render_for, tutor):
    tutor.user.first_name = "</script><script>alert(1)</script>"
    tutor.user.save()
    response = render_for(tutor, Participant.MODERATOR)
    assert b"<script>alert(1)" not in response.content
    assert config_of(response)["display_name"].startswith("</script><script>alert(1)")


def test_the_time_is_shown_in_the_viewers_zone(render_for, meeting, student):
    student.user.time_zone = "America/New_York"
    student.user.save()
    response = render_for(student, Participant.PARTICIPANT)
    starts = meeting.session.starts_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    when = re.search(
        r'data-testid="meeting-when">(.*?)</p>', response.content.decode(), re.S
    ).group(1)
    assert starts.strftime("%H:%M") in when
    assert "America/New_York" in when


def test_the_page_shows_the_session_and_the_way_back(render_for, meeting, student):
    html = render_for(student, Participant.PARTICIPANT).content.decode()
    assert "Mathematics with Theo Turner" in html
    assert f'href="/scheduling/sessions/{meeting.session.pk}/"' in html


def test_the_pages_script_and_styles_exist():
    assert finders.find("meetings/room.js")
    assert finders.find("meetings/room.css")
