"""An agency's Zoom account: connected by an owner through Zoom's consent (round trip
through the root domain's callback), chosen for the agency's meetings, disconnected with
the grant revoked; nobody but the agency's owners and admins sees or changes it.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from meetings.models import MeetingSettings, ZoomConnection
from scheduling.calendars.crypto import token_decrypt
from tests.access.conftest import move_to

pytestmark = pytest.mark.django_db


def _query(url: str) -> dict[str, str]:
    return {key: values[-1] for key, values in parse_qs(urlsplit(url).query).items()}


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _connections(tenant) -> list[ZoomConnection]:
    with tenant_context(tenant):
        return list(ZoomConnection.objects.all())


@pytest.fixture
def owner_browser(web_client, owner):
    return web_client(owner.tenant, owner.user)


@pytest.fixture
def root(web_client, public_tenant):
    return web_client()


def consent_round_trip(browser, root) -> tuple[str, str]:
    """Press Connect, consent at Zoom, pass the root callback: (authorization URL, the
    tenant URL the browser is sent on to)."""
    response = browser.post("/meetings/zoom/connect/")
    assert response.status_code == 302, response.content
    authorization = response["Location"]
    at_zoom = requests.get(authorization, allow_redirects=False, timeout=5)
    assert at_zoom.status_code == 302, at_zoom.text
    back = at_zoom.headers["Location"]
    assert urlsplit(back).netloc == "localhost"
    forwarded = root.get(_local(back))
    assert forwarded.status_code == 302, forwarded.content
    assert _query(forwarded["Location"]) == _query(back)
    return authorization, forwarded["Location"]


def test_an_owner_connects_the_agencys_zoom_through_zooms_consent(
    fake_zoom, zoom_acme, owner, owner_browser, root
):
    authorization, forward = consent_round_trip(owner_browser, root)
    assert authorization.startswith(f"{fake_zoom.url}/zoom/oauth/authorize?")
    asked = _query(authorization)
    assert asked["redirect_uri"] == "http://localhost/meetings/zoom/oauth/callback/"
    assert asked["code_challenge_method"] == "S256"
    assert forward.startswith("http://acme.localhost/meetings/zoom/callback/?")

    response = owner_browser.get(_local(forward))
    assert response.status_code == 302
    assert response["Location"] == "/meetings/zoom/"

    [connection] = _connections(zoom_acme)
    assert connection.status == ZoomConnection.Status.ACTIVE
    assert (connection.zoom_user_id, connection.email) == (
        "zu-agency-owner",
        "zoom-owner@agency.example",
    )
    assert connection.zoom_account_id == "agency-account"
    assert connection.connected_by_id == owner.user_id
    access = token_decrypt(connection.access_token)
    assert fake_zoom.access_tokens[access]["valid"]
    assert access not in connection.access_token  # stored encrypted
    [exchange] = fake_zoom.calls("POST", "/zoom/oauth/token")
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["redirect_uri"] == asked["redirect_uri"]
    digest = hashlib.sha256(exchange.form["code_verifier"].encode()).digest()
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() == asked["code_challenge"]
    assert fake_zoom.calls("GET", "/zoom/v2/users/me")
    with tenant_context(zoom_acme):
        assert AuditEntry.objects.filter(action="meetings.zoom.connected").count() == 1

    page = owner_browser.get("/meetings/zoom/")
    assert page.status_code == 200
    assert b"zoom-owner@agency.example" in page.content

    # Then chosen for the agency's meetings.
    response = owner_browser.post("/meetings/zoom/use/", {"connection": connection.pk})
    assert response.status_code == 302
    with tenant_context(zoom_acme):
        assert MeetingSettings.current().zoom_connection_id == connection.pk

    # And back to the platform's account, from the page's htmx form.
    panel = owner_browser.post("/meetings/zoom/use/", {"connection": ""}, HTTP_HX_REQUEST="true")
    assert panel.status_code == 200
    assert b"The platform's Zoom account." in panel.content
    assert b"<html" not in panel.content
    with tenant_context(zoom_acme):
        assert MeetingSettings.current().zoom_connection_id is None


def test_the_flow_cannot_be_finished_by_someone_else_or_twice(
    fake_zoom, zoom_acme, owner_browser, root, web_client, member
):
    _, forward = consent_round_trip(owner_browser, root)
    admin = member(zoom_acme, "admin")
    refused = web_client(zoom_acme, admin.user).get(_local(forward))
    assert refused.status_code == 400
    assert _connections(zoom_acme) == []

    assert owner_browser.get(_local(forward)).status_code == 302
    again = owner_browser.get(_local(forward))
    assert again.status_code == 400
    assert len(_connections(zoom_acme)) == 1


def test_an_altered_state_is_refused_at_the_root(fake_zoom, root):
    response = root.get("/meetings/zoom/oauth/callback/?code=x&state=forged")
    assert response.status_code == 400


def test_a_refused_consent_stores_nothing(fake_zoom, zoom_acme, owner_browser, root):
    fake_zoom.consent = "deny"
    _, forward = consent_round_trip(owner_browser, root)
    response = owner_browser.get(_local(forward))
    assert response.status_code == 400
    assert b"not granted" in response.content
    assert _connections(zoom_acme) == []


@pytest.mark.parametrize("role", ["tutor", "student", "parent", "staff"])
def test_only_owners_and_admins_reach_the_zoom_pages_and_api(
    fake_zoom, zoom_acme, connected, member, web_client, api_client, role
):
    row = connected()
    person = member(zoom_acme, role)
    browser = web_client(zoom_acme, person.user)
    assert browser.get("/meetings/zoom/").status_code == 403
    assert browser.post("/meetings/zoom/connect/").status_code == 403
    assert browser.post(f"/meetings/zoom/{row.pk}/disconnect/").status_code == 403
    assert browser.post("/meetings/zoom/use/", {"connection": ""}).status_code == 403
    client = api_client(zoom_acme, person.user)
    assert client.get("/api/v1/meetings/zoom/").status_code == 403
    assert client.post("/api/v1/meetings/zoom/connect/").status_code == 403
    assert client.delete(f"/api/v1/meetings/zoom/connections/{row.pk}/").status_code == 403
    assert _connections(zoom_acme) == [row]


def test_an_admin_manages_it_like_an_owner(fake_zoom, zoom_acme, connected, member, api_client):
    connected(use=False)
    admin = member(zoom_acme, "admin")
    body = api_client(zoom_acme, admin.user).get("/api/v1/meetings/zoom/").json()
    assert [c["email"] for c in body["connections"]] == ["zoom-owner@agency.example"]


def test_another_agencys_owner_neither_sees_nor_changes_acmes_zoom(
    fake_zoom, zoom_acme, connected, globex, api_client, web_client
):
    row = connected()
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = api_client(globex, globex_owner.user)
    assert client.get("/api/v1/meetings/zoom/").json()["connections"] == []
    assert client.delete(f"/api/v1/meetings/zoom/connections/{row.pk}/").status_code == 404
    assert (
        client.post("/api/v1/meetings/zoom/use/", {"connection": row.pk}, format="json").status_code
        == 404
    )
    browser = web_client(globex, globex_owner.user)
    assert b"zoom-owner@agency.example" not in browser.get("/meetings/zoom/").content
    assert browser.post(f"/meetings/zoom/{row.pk}/disconnect/").status_code == 404
    # Nor with their own token on acme's host.
    move_to(client, zoom_acme)
    assert client.get("/api/v1/meetings/zoom/").status_code == 401
    assert _connections(zoom_acme) == [row]
    with tenant_context(zoom_acme):
        assert MeetingSettings.current().zoom_connection_id == row.pk


# The API -----------------------------------------------------------------------------------


def test_the_api_shows_the_status_begins_a_flow_and_chooses_the_account(
    fake_zoom, zoom_acme, connected, owner, api_client
):
    row = connected(use=False)
    client = api_client(zoom_acme, owner.user)

    status = client.get("/api/v1/meetings/zoom/").json()
    assert status["in_use"] is None
    assert status["platform_available"] is True
    assert status["provider_is_zoom"] is True
    [listed] = status["connections"]
    assert (listed["id"], listed["status"]) == (row.pk, "active")
    assert "access_token" not in str(status)

    begun = client.post("/api/v1/meetings/zoom/connect/").json()
    assert begun["authorization_url"].startswith(f"{fake_zoom.url}/zoom/oauth/authorize?")

    chosen = client.post("/api/v1/meetings/zoom/use/", {"connection": row.pk}, format="json")
    assert chosen.status_code == 200
    assert (chosen.json()["in_use"], chosen.json()["in_use_active"]) == (row.pk, True)
    back = client.post("/api/v1/meetings/zoom/use/", {"connection": None}, format="json")
    assert back.json()["in_use"] is None


def test_a_connection_needing_a_reconnect_cannot_be_chosen(
    fake_zoom, zoom_acme, connected, owner, api_client
):
    row = connected(use=False)
    with tenant_context(zoom_acme):
        ZoomConnection.objects.filter(pk=row.pk).update(status=ZoomConnection.Status.REVOKED)
    response = api_client(zoom_acme, owner.user).post(
        "/api/v1/meetings/zoom/use/", {"connection": row.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "zoom_connection_revoked"


def test_disconnecting_forgets_the_tokens_and_revokes_the_grant_at_zoom(
    fake_zoom, zoom_acme, connected, owner, api_client, django_capture_on_commit_callbacks
):
    row = connected()
    refresh = token_decrypt(row.refresh_token)
    access = token_decrypt(row.access_token)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(zoom_acme, owner.user).delete(
            f"/api/v1/meetings/zoom/connections/{row.pk}/"
        )

    assert response.status_code == 204
    assert _connections(zoom_acme) == []
    with tenant_context(zoom_acme):
        assert MeetingSettings.current().zoom_connection_id is None
        assert AuditEntry.objects.filter(action="meetings.zoom.disconnected").count() == 1
    [revoke] = fake_zoom.calls("POST", "/zoom/oauth/revoke")
    assert revoke.form == {"token": refresh}
    assert not fake_zoom.access_tokens[access]["valid"]


def test_disconnecting_from_the_page_revokes_too(
    fake_zoom, zoom_acme, connected, owner_browser, django_capture_on_commit_callbacks
):
    row = connected()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_browser.post(f"/meetings/zoom/{row.pk}/disconnect/")
    assert response.status_code == 302
    assert _connections(zoom_acme) == []
    assert fake_zoom.calls("POST", "/zoom/oauth/revoke")
