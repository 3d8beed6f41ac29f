"""room.js in headless Chromium, against a stand-in for Jitsi's external_api.js.

The page is the real response of ``room_render`` (its CSP included), served by Playwright
from the tenant's origin together with the project's static files; Jitsi's script URL is
answered with a fake ``JitsiMeetExternalAPI`` that records what the page asks of it and
lets the test play Jitsi's events.
"""

from __future__ import annotations

from contextlib import ExitStack

import pytest
from django.contrib.staticfiles import finders
from playwright.sync_api import sync_playwright

from meetings.providers.base import Participant
from tests.meetings.jitsi.conftest import config_of
from tests.platform.conftest import chromium_launch

pytestmark = pytest.mark.django_db

ORIGIN = "http://acme.localhost"
PAGE = f"{ORIGIN}/meetings/room-under-test/"
JITSI_SCRIPT = "https://meet.example.test/external_api.js"
FAKE_EXTERNAL_API = """
window.fakeJitsi = { instances: [], commands: [] };
window.JitsiMeetExternalAPI = function (domain, options) {
  this.domain = domain;
  this.options = options;
  this.listeners = {};
  this.disposed = false;
  var frame = document.createElement("iframe");
  frame.src = "about:blank";
  options.parentNode.appendChild(frame);
  window.fakeJitsi.instances.push(this);
};
JitsiMeetExternalAPI.prototype.addListener = function (name, listener) {
  (this.listeners[name] = this.listeners[name] || []).push(listener);
};
JitsiMeetExternalAPI.prototype.executeCommand = function () {
  window.fakeJitsi.commands.push(Array.prototype.slice.call(arguments));
};
JitsiMeetExternalAPI.prototype.dispose = function () { this.disposed = true; };
window.fakeJitsi.emit = function (name, data) {
  var api = window.fakeJitsi.instances[0];
  (api.listeners[name] || []).forEach(function (listener) { listener(data); });
};
"""


@pytest.fixture
def open_room():
    """``open_room(response, jitsi_script=True)`` → a headless Chromium page showing that
    response, with the console errors (CSP violations among them) in ``page.problems``.

    The browser starts only once the page was rendered: the database is not touched
    while Playwright runs (its greenlets would not share the test's transaction).
    """
    with ExitStack() as stack:

        def open_(response, *, jitsi_script: bool = True):
            html, headers = response.content, dict(response.items())

            def serve(route):
                url = route.request.url
                if url == PAGE:
                    return route.fulfill(status=200, headers=headers, body=html)
                if url == JITSI_SCRIPT and jitsi_script:
                    return route.fulfill(
                        status=200, content_type="application/javascript", body=FAKE_EXTERNAL_API
                    )
                if url.startswith(f"{ORIGIN}/static/"):
                    found = finders.find(url.removeprefix(f"{ORIGIN}/static/").split("?")[0])
                    if found:
                        return route.fulfill(status=200, path=found)
                if url.startswith(f"{ORIGIN}/scheduling/sessions/"):
                    return route.fulfill(
                        status=200, content_type="text/html", body="<h1>Session</h1>"
                    )
                return route.fulfill(status=404, body="")

            playwright = stack.enter_context(sync_playwright())
            browser = chromium_launch(playwright)
            stack.callback(browser.close)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(15_000)
            page.problems = []
            page.on(
                "console",
                lambda message: message.type == "error" and page.problems.append(message.text),
            )
            page.route("**/*", serve)
            page.goto(PAGE)
            return page

        yield open_


def options(page) -> dict:
    return page.evaluate(
        """() => {
        const api = window.fakeJitsi.instances[0];
        const o = api.options;
        return {
          domain: api.domain, roomName: o.roomName, jwt: o.jwt, width: o.width,
          height: o.height, userInfo: o.userInfo, configOverwrite: o.configOverwrite,
          parent: o.parentNode.getAttribute("data-testid"),
        };
      }"""
    )


def commands(page) -> list:
    return page.evaluate("() => window.fakeJitsi.commands")


def emit(page, name: str, data=None) -> None:
    page.evaluate("([name, data]) => window.fakeJitsi.emit(name, data)", [name, data])


def status(page):
    return page.get_by_test_id("meeting-status")


def test_the_tutor_enters_the_room_and_locks_it_with_its_password(
    render_for, meeting, tutor, open_room
):
    response = render_for(tutor, Participant.MODERATOR)
    config = config_of(response)
    page = open_room(response)
    assert status(page).inner_text() == "Connecting…"
    made = options(page)
    assert made["domain"] == "meet.example.test"
    assert made["roomName"] == meeting.room_name
    assert made["jwt"] == config["jwt"]
    assert made["width"] == "100%"
    assert made["parent"] == "meeting-room"
    assert made["userInfo"] == {"displayName": "Theo Turner", "email": tutor.user.email}
    assert made["configOverwrite"]["startWithAudioMuted"] is False
    assert made["configOverwrite"]["startWithVideoMuted"] is False
    assert made["configOverwrite"]["prejoinConfig"] == {"enabled": False}
    assert page.locator("[data-testid='meeting-room'] iframe").count() == 1

    emit(page, "videoConferenceJoined", {"id": "me1", "roomName": meeting.room_name})
    assert status(page).inner_text() == "In the meeting"
    emit(page, "participantRoleChanged", {"id": "someone-else", "role": "moderator"})
    assert commands(page) == []
    emit(page, "participantRoleChanged", {"id": "me1", "role": "moderator"})
    assert ["password", meeting.passcode] in commands(page)
    assert ["subject", "Mathematics with Theo Turner"] in commands(page)
    emit(page, "participantRoleChanged", {"id": "me1", "role": "moderator"})
    assert [c for c in commands(page) if c[0] == "password"] == [["password", meeting.passcode]]
    assert page.problems == []


def test_a_student_answers_the_password_prompt_but_never_sets_one(
    render_for, meeting, student, open_room
):
    page = open_room(render_for(student, Participant.PARTICIPANT))
    emit(page, "videoConferenceJoined", {"id": "s1"})
    emit(page, "participantRoleChanged", {"id": "s1", "role": "moderator"})
    assert commands(page) == []
    emit(page, "passwordRequired")
    assert commands(page) == [["password", meeting.passcode]]
    assert page.problems == []


def test_an_observer_enters_with_microphone_and_camera_off(render_for, owner, open_room):
    page = open_room(render_for(owner, Participant.OBSERVER))
    made = options(page)
    assert made["configOverwrite"]["startWithAudioMuted"] is True
    assert made["configOverwrite"]["startWithVideoMuted"] is True
    assert page.get_by_test_id("meeting-observer").is_visible()


def test_hanging_up_goes_back_to_the_session_page(render_for, meeting, student, open_room):
    page = open_room(render_for(student, Participant.PARTICIPANT))
    emit(page, "videoConferenceJoined", {"id": "s1"})
    emit(page, "videoConferenceLeft", {"roomName": meeting.room_name})
    assert status(page).inner_text() == "You left the meeting"
    with page.expect_navigation():
        emit(page, "readyToClose")
    assert page.url == f"{ORIGIN}/scheduling/sessions/{meeting.session.pk}/"


def test_a_fatal_jitsi_error_is_shown(render_for, student, open_room):
    page = open_room(render_for(student, Participant.PARTICIPANT))
    emit(page, "errorOccurred", {"name": "conference.connectionError.notAllowed", "isFatal": True})
    assert status(page).get_attribute("data-state") == "failed"


def test_when_jitsis_script_cannot_load_the_page_says_so(render_for, student, open_room):
    page = open_room(render_for(student, Participant.PARTICIPANT), jitsi_script=False)
    assert status(page).get_attribute("data-state") == "failed"
    assert "could not be reached" in status(page).inner_text()
