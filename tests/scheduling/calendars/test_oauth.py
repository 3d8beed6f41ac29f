"""Connecting a calendar: the OAuth flow end to end against the fake providers, and every
way a state can be wrong (altered, expired, someone else's, another tenant's, reused).
"""

from __future__ import annotations

import base64
import hashlib
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import signing
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from scheduling.calendars.crypto import token_decrypt
from scheduling.calendars.oauth import STATE_SALT
from scheduling.models import CalendarConnection, ExternalEvent
from tests.scheduling.calendars.conftest import (
    flow_start,
    local_path,
    provider_consents,
    root_forwards,
)

pytestmark = pytest.mark.django_db


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def _connections(tenant):
    with tenant_context(tenant):
        return list(CalendarConnection.objects.all())


@pytest.fixture
def root(web_client, public_tenant):
    return web_client()


@pytest.fixture
def tutor_browser(web_client, tutor):
    return web_client(tutor.tenant, tutor.user)


@pytest.fixture
def student_browser(web_client, student):
    return web_client(student.tenant, student.user)


def test_a_tutor_connects_google_calendar_through_the_providers_consent(
    fake, root, tutor, tutor_browser, django_capture_on_commit_callbacks
):
    authorization = flow_start(tutor_browser, "google")
    assert authorization.startswith(f"{fake.url}/google/o/oauth2/v2/auth?")
    asked = _query(authorization)
    assert asked["redirect_uri"] == "http://localhost/calendars/oauth/google/callback/"
    assert asked["access_type"] == "offline"
    assert asked["prompt"] == "consent"

    back = provider_consents(authorization)
    forward = root_forwards(root, back)
    assert forward.startswith("http://acme.localhost/scheduling/calendars/google/callback/?")
    assert _query(forward) == _query(back)

    with django_capture_on_commit_callbacks(execute=True):
        response = tutor_browser.get(local_path(forward))
    assert response.status_code == 302
    assert response["Location"] == "/scheduling/calendars/"

    [connection] = _connections(tutor.tenant)
    assert (connection.user_id, connection.provider) == (tutor.user_id, "google")
    assert connection.status == CalendarConnection.Status.ACTIVE
    assert connection.account_email == fake.account_email
    [exchange] = fake.calls("POST", "/google/token")
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["redirect_uri"] == asked["redirect_uri"]
    # PKCE: the verifier sent with the code matches the challenge sent to the browser.
    digest = hashlib.sha256(exchange.form["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"]
    assert exchange.form["code_verifier"] not in authorization
    # Its busy times were read straight away (a tutor's availability depends on them).
    assert fake.calls("POST", "/google/calendar/v3/freeBusy")
    with tenant_context(tutor.tenant):
        connection.refresh_from_db()
        assert connection.busy_synced_at is not None
        assert AuditEntry.objects.filter(action="scheduling.calendar.connected").count() == 1


def test_a_student_connects_outlook_and_the_account_comes_from_graph(
    fake, root, web_client, student, django_capture_on_commit_callbacks
):
    fake.account_email = "sam@outlook.example"
    browser = web_client(student.tenant, student.user)
    authorization = flow_start(browser, "microsoft")
    assert authorization.startswith(f"{fake.url}/microsoft/common/oauth2/v2.0/authorize?")
    asked = _query(authorization)
    assert set(asked["scope"].split()) == {"offline_access", "Calendars.ReadWrite", "User.Read"}

    forward = root_forwards(root, provider_consents(authorization))
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.get(local_path(forward))
    assert response.status_code == 302

    [connection] = _connections(student.tenant)
    assert connection.provider == "microsoft"
    assert connection.account_email == "sam@outlook.example"
    assert fake.calls("GET", "/graph/v1.0/me")
    # A student's busy times block nothing, so they are not read.
    assert not fake.calls("GET", "/calendarView")
    assert connection.busy_synced_at is None


def test_tokens_from_the_exchange_are_stored_encrypted(fake, root, tutor, tutor_browser):
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    tutor_browser.get(local_path(forward))
    [connection] = _connections(tutor.tenant)
    issued = next(iter(fake.refresh_tokens))
    assert issued not in connection.refresh_token
    assert token_decrypt(connection.refresh_token) == issued


def test_an_altered_state_is_refused_at_the_root_callback(fake, root, tutor_browser):
    back = _query(provider_consents(flow_start(tutor_browser, "google")))
    state = back["state"]
    tampered = state[:-2] + ("AA" if not state.endswith("AA") else "BB")
    response = root.get(
        "/calendars/oauth/google/callback/", {"state": tampered, "code": back["code"]}
    )
    assert response.status_code == 400
    assert b"not valid" in response.content


def test_a_state_altered_to_name_another_user_is_refused(fake, root, tutor, tutor_browser):
    state = _query(provider_consents(flow_start(tutor_browser, "google")))["state"]
    payload, _, signature = state.rpartition(":")
    forged_payload = signing.dumps(
        {"u": tutor.user_id + 1, "t": "acme", "p": "google", "n": "x"}, salt=STATE_SALT
    ).rpartition(":")[0]
    forged = f"{forged_payload}:{signature}"
    response = root.get("/calendars/oauth/google/callback/", {"state": forged, "code": "abc"})
    assert response.status_code == 400
    assert payload != forged_payload


def test_an_expired_state_is_refused(fake, root, tutor):
    class HourOld(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 3600)

    state = HourOld(salt=STATE_SALT).sign_object(
        {"u": tutor.user_id, "t": "acme", "p": "google", "n": "n"}
    )
    response = root.get("/calendars/oauth/google/callback/", {"state": state, "code": "abc"})
    assert response.status_code == 400
    assert b"took too long" in response.content


def test_a_state_for_another_provider_is_refused(fake, root, tutor_browser):
    back = provider_consents(flow_start(tutor_browser, "google"))
    response = root.get(local_path(back).replace("/google/", "/microsoft/"))
    assert response.status_code == 400


def test_another_users_state_is_refused_and_the_flow_stays_theirs(
    fake, root, tutor, tutor_browser, student_browser
):
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    intruder = student_browser
    response = intruder.get(local_path(forward))
    assert response.status_code == 400
    assert b"started by someone else" in response.content
    assert _connections(tutor.tenant) == []
    assert not fake.calls("POST", "/google/token")

    assert tutor_browser.get(local_path(forward)).status_code == 302
    assert [c.user_id for c in _connections(tutor.tenant)] == [tutor.user_id]


@pytest.mark.usefixtures("fake")
def test_a_state_from_another_tenant_is_refused(root, web_client, globex, member, tutor):
    stranger = member(globex, "tutor")
    globex_browser = web_client(globex, stranger.user)
    forward = root_forwards(root, provider_consents(flow_start(globex_browser, "google")))
    assert urlsplit(forward).netloc == "globex.localhost"

    acme_browser = web_client(tutor.tenant, tutor.user)
    response = acme_browser.get(local_path(forward))
    assert response.status_code == 400
    assert b"another site" in response.content
    assert _connections(tutor.tenant) == []
    assert _connections(globex) == []


def test_a_state_is_used_once(fake, root, tutor, tutor_browser):
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    assert tutor_browser.get(local_path(forward)).status_code == 302
    again = tutor_browser.get(local_path(forward))
    assert again.status_code == 400
    assert b"already completed" in again.content
    assert len(fake.calls("POST", "/google/token")) == 1


def test_finishing_needs_a_signed_in_member(fake, root, web_client, tutor, tutor_browser):
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    anonymous = web_client(tutor.tenant)
    response = anonymous.get(local_path(forward))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert _connections(tutor.tenant) == []


def test_declining_at_the_provider_connects_nothing(fake, root, tutor, tutor_browser):
    fake.consent = "deny"
    back = provider_consents(flow_start(tutor_browser, "google"))
    assert _query(back)["error"] == "access_denied"
    response = tutor_browser.get(local_path(root_forwards(root, back)))
    assert response.status_code == 400
    assert b"access was not granted" in response.content
    assert _connections(tutor.tenant) == []


def test_access_without_the_calendar_scopes_is_not_kept(fake, root, tutor, tutor_browser):
    # Google lets people untick scopes on its consent screen.
    fake.granted_google_scopes = "openid email https://www.googleapis.com/auth/calendar.events"
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    response = tutor_browser.get(local_path(forward))
    assert response.status_code == 400
    assert b"see when you are busy" in response.content
    assert _connections(tutor.tenant) == []


def test_a_refused_code_exchange_is_a_clear_error(fake, root, tutor, tutor_browser):
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    fake.fail("POST", "/google/token", 400, {"error": "invalid_grant"})
    response = tutor_browser.get(local_path(forward))
    assert response.status_code == 502
    assert b"did not complete the connection" in response.content
    assert _connections(tutor.tenant) == []


def test_connecting_again_replaces_the_tokens_of_the_same_connection(
    fake, root, tutor, tutor_browser, connected
):
    old = connected(tutor, "google", email=fake.account_email)
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    assert tutor_browser.get(local_path(forward)).status_code == 302
    [connection] = _connections(tutor.tenant)
    assert connection.pk == old.pk
    assert connection.refresh_token != old.refresh_token


def test_a_provider_without_credentials_is_not_offered(fake, settings, tutor, tutor_browser):
    settings.MICROSOFT_OAUTH_CLIENT_ID = ""
    page = tutor_browser.get("/scheduling/calendars/")
    assert b"Connect Google Calendar" in page.content
    assert b"Connect Outlook" not in page.content
    response = tutor_browser.post("/scheduling/calendars/microsoft/connect/")
    assert response.status_code == 404
    assert tutor_browser.post("/scheduling/calendars/yahoo/connect/").status_code == 404


def test_connecting_adds_the_upcoming_confirmed_sessions(
    fake, root, tutor, tutor_browser, lesson, django_capture_on_commit_callbacks
):
    with tenant_context(tutor.tenant):
        lesson.status = "confirmed"
        lesson.save(update_fields=["status"])
    forward = root_forwards(root, provider_consents(flow_start(tutor_browser, "google")))
    with django_capture_on_commit_callbacks(execute=True):
        tutor_browser.get(local_path(forward))
    [insert] = fake.calls("POST", "/calendars/primary/events")
    assert insert.json["summary"] == "Mathematics with Sam Student"
    with tenant_context(tutor.tenant):
        assert [e.session_id for e in ExternalEvent.objects.all()] == [lesson.pk]
