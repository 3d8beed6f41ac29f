"""In a real browser: at class time a student presses Join and reaches the meeting page.

The Jitsi server is replaced by a local script that stands in for ``external_api.js``: it
records what the page hands it (domain, room, token) and reports the conference joined,
as the real IFrame API does.
"""

from __future__ import annotations

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import Subject
from meetings.models import Attendance, Meeting
from meetings.services.lifecycle import meeting_sync
from scheduling.models import Session
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.browser

FAKE_EXTERNAL_API = b"""
window.JitsiMeetExternalAPI = function (domain, options) {
  var listeners = {};
  var box = document.createElement("div");
  box.setAttribute("data-testid", "fake-jitsi");
  box.setAttribute("data-domain", domain);
  box.setAttribute("data-room", options.roomName);
  box.setAttribute("data-jwt", options.jwt);
  box.textContent = "Video room " + options.roomName;
  options.parentNode.appendChild(box);
  this.addListener = function (name, fn) {
    (listeners[name] = listeners[name] || []).push(fn);
  };
  this.addEventListener = this.addListener;
  this.executeCommand = function (name, value) {
    box.setAttribute("data-command-" + name, value);
  };
  this.dispose = function () {};
  setTimeout(function () {
    (listeners.videoConferenceJoined || []).forEach(function (fn) {
      fn({ id: "local", roomName: options.roomName });
    });
  }, 50);
};
"""


class _ScriptHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/external_api.js":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/javascript")
        self.send_header("Content-Length", str(len(FAKE_EXTERNAL_API)))
        self.end_headers()
        self.wfile.write(FAKE_EXTERNAL_API)

    def log_message(self, *args):
        pass


@pytest.fixture
def jitsi_script(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ScriptHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.JITSI_EXTERNAL_API_URL = f"http://127.0.0.1:{server.server_port}/external_api.js"
    yield settings.JITSI_EXTERNAL_API_URL
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    return live_server.url


@pytest.fixture
def classroom(site, jitsi_script, tenant_factory, member, password):
    """A committed agency with a confirmed class starting in five minutes and its Jitsi room."""
    tenant = tenant_factory("joinly", "Joinly Tutors")
    tutor = member(tenant, Membership.Role.TUTOR, first_name="Tia", last_name="Tutor")
    student = member(tenant, Membership.Role.STUDENT, first_name="Sam", last_name="Student")
    owner = Membership.objects.get(tenant=tenant, role=Membership.Role.OWNER)
    try:
        with tenant_context(tenant):
            profile = crm.tutor_profile_ensure(actor=tutor)
            maths = Subject.objects.get(slug="mathematics")
            pupil = crm.student_create(
                actor=owner,
                first_name="Sam",
                last_name="Student",
                email=student.user.email,
                date_of_birth=dob_for(30),
            )
            starts_at = (timezone.now() + dt.timedelta(minutes=5)).replace(microsecond=0)
            session = Session.objects.create(
                tutor=profile,
                student=pupil,
                subject=maths,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=1),
                status=Session.Status.CONFIRMED,
                price_minor=4000,
                currency="GBP",
                requested_by=student.user,
            )
            meeting_sync(session_id=session.pk)
            meeting = Meeting.objects.get(session=session)
    finally:
        connection.set_schema_to_public()
    return {
        "tenant": tenant,
        "url": f"http://{tenant.slug}.localhost:{urlsplit(site).port}",
        "student": student,
        "session_id": session.pk,
        "room": meeting.room_name,
        "password": password,
    }


def test_at_class_time_a_student_presses_join_and_reaches_the_meeting(classroom, browser):
    from playwright.sync_api import expect

    assert classroom["room"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(f"{classroom['url']}/accounts/login/")
    page.get_by_label("Email").fill(classroom["student"].user.email)
    page.get_by_label("Password").fill(classroom["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()

    upcoming = page.get_by_test_id("upcoming-class")
    expect(upcoming).to_contain_text("Tia Tutor")
    upcoming.get_by_test_id("join-button").click()

    expect(page.get_by_test_id("meeting-room")).to_be_visible()
    expect(page.get_by_test_id("meeting-status")).to_have_text("In the meeting")
    room = page.get_by_test_id("fake-jitsi")
    expect(room).to_have_attribute("data-room", classroom["room"])
    expect(room).to_have_attribute("data-domain", django_settings.JITSI_DOMAIN)

    # The page carried a token for this student, this room and this class only.
    claims = jwt.decode(
        room.get_attribute("data-jwt"),
        django_settings.JITSI_APP_SECRET,
        algorithms=["HS256"],
        audience=django_settings.JITSI_AUDIENCE,
    )
    student = classroom["student"].user
    assert claims["room"] == classroom["room"]
    assert claims["context"]["user"]["id"] == str(student.pk)
    assert claims["context"]["user"]["moderator"] is False

    # Playwright's greenlet gets a database connection of its own: close it when done.
    try:
        with tenant_context(classroom["tenant"]):
            attendance = Attendance.objects.get(session_id=classroom["session_id"])
            assert (attendance.user_id, attendance.role, attendance.via_platform) == (
                student.pk,
                Attendance.Role.STUDENT,
                True,
            )
    finally:
        connection.close()
