"""Listing, starting and removing connections, in the API and on the calendars page: each
person sees only their own, never a token, and nothing of another tenant.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from scheduling.calendars.crypto import token_decrypt
from scheduling.models import CalendarConnection, ExternalBusyTime, ExternalEvent, Session
from tests.access.conftest import error_code

pytestmark = pytest.mark.django_db

LIST = "/api/v1/scheduling/calendars/"


@pytest.fixture
def tutors_calendar(fake, connected, tutor, lesson, announce):
    """The tutor's Google Calendar, with one pushed session and one busy period."""
    connection = connected(tutor, "google")
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    with tenant_context(tutor.tenant):
        ExternalBusyTime.objects.create(
            connection=connection,
            starts_at=lesson.starts_at.replace(hour=14),
            ends_at=lesson.starts_at.replace(hour=15),
        )
    return connection


def _exists(tenant, pk: int) -> bool:
    with tenant_context(tenant):
        return CalendarConnection.objects.filter(pk=pk).exists()


# API ---------------------------------------------------------------------------------------


def test_the_list_shows_ones_own_connections_and_no_token(
    api_client, tutor, student, connected, tutors_calendar
):
    connected(student, "microsoft")
    body = api_client(tutor.tenant, tutor.user).get(LIST).json()
    assert body["count"] == 1
    [item] = body["results"]
    assert set(item) == {
        "id",
        "provider",
        "provider_name",
        "account_email",
        "status",
        "last_error",
        "busy_synced_at",
        "created_at",
        "updated_at",
    }
    assert (item["id"], item["provider"], item["status"]) == (
        tutors_calendar.pk,
        "google",
        "active",
    )
    secrets = (token_decrypt(tutors_calendar.access_token), tutors_calendar.refresh_token)
    assert not any(secret in str(body) for secret in secrets)


def test_the_list_keeps_a_fixed_number_of_queries(
    api_client, tutor, connected, django_assert_max_num_queries
):
    connected(tutor, "google")
    connected(tutor, "microsoft")
    client = api_client(tutor.tenant, tutor.user)
    client.get(LIST)
    with django_assert_max_num_queries(12):
        assert client.get(LIST, {"page_size": 1}).json()["count"] == 2


def test_connect_returns_the_providers_authorization_url(fake, api_client, tutor):
    response = api_client(tutor.tenant, tutor.user).post(f"{LIST}microsoft/connect/")
    assert response.status_code == 200
    body = response.json()
    assert body["provider"] == "microsoft"
    assert body["authorization_url"].startswith(f"{fake.url}/microsoft/common/oauth2/v2.0/")
    assert body["expires_in"] == 600


def test_connect_refuses_unknown_and_unconfigured_providers(fake, api_client, tutor, settings):
    client = api_client(tutor.tenant, tutor.user)
    response = client.post(f"{LIST}yahoo/connect/")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    settings.GOOGLE_OAUTH_CLIENT_SECRET = ""
    response = client.post(f"{LIST}google/connect/")
    assert response.status_code == 404
    assert error_code(response) == "calendar_provider_unavailable"


def test_deleting_a_connection_revokes_the_grant_and_forgets_everything(
    fake, api_client, tutor, tutors_calendar, django_capture_on_commit_callbacks
):
    refresh = token_decrypt(tutors_calendar.refresh_token)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(tutor.tenant, tutor.user).delete(f"{LIST}{tutors_calendar.pk}/")
    assert response.status_code == 204
    [revoke] = fake.calls("POST", "/google/revoke")
    assert revoke.form == {"token": refresh}
    assert not fake.refresh_tokens[refresh]["valid"]
    with tenant_context(tutor.tenant):
        assert not CalendarConnection.objects.exists()
        assert not ExternalEvent.objects.exists()
        assert not ExternalBusyTime.objects.exists()
        assert AuditEntry.objects.filter(action="scheduling.calendar.disconnected").exists()
    # Events already added stay where they are.
    assert len(fake.events["google"]) == 1


def test_an_outlook_connection_is_forgotten_without_a_revocation_call(
    fake, api_client, student, connected, django_capture_on_commit_callbacks
):
    connection = connected(student, "microsoft")
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(student.tenant, student.user).delete(f"{LIST}{connection.pk}/")
    assert response.status_code == 204
    assert fake.requests == []
    assert not _exists(student.tenant, connection.pk)


@pytest.mark.parametrize("who", ["owner", "student"])
def test_nobody_else_in_the_tenant_sees_or_removes_a_connection(
    request, api_client, tutor, tutors_calendar, who
):
    other = request.getfixturevalue(who)
    client = api_client(tutor.tenant, other.user)
    assert client.get(LIST).json()["count"] == 0
    for method in ("get", "delete"):
        response = getattr(client, method)(f"{LIST}{tutors_calendar.pk}/")
        assert response.status_code == 404
        assert error_code(response) == "not_found"
    assert _exists(tutor.tenant, tutors_calendar.pk)


@pytest.fixture
def stranger(globex, member):
    return member(globex, "owner")


def test_another_tenants_member_cannot_list_or_delete_acmes_connections(
    api_client, web_client, stranger, tutor, tutors_calendar
):
    globex = stranger.tenant
    client = api_client(globex, stranger.user)
    assert client.get(LIST).json()["count"] == 0
    response = client.delete(f"{LIST}{tutors_calendar.pk}/")
    assert response.status_code == 404
    browser = web_client(globex, stranger.user)
    assert browser.post(f"/scheduling/calendars/{tutors_calendar.pk}/disconnect/").status_code == (
        404
    )
    assert _exists(tutor.tenant, tutors_calendar.pk)


def test_the_same_person_in_two_tenants_has_separate_connections(
    api_client, globex, tutor, tutors_calendar
):
    from tests.factories import MembershipFactory

    MembershipFactory(user=tutor.user, tenant=globex, role="tutor")
    assert api_client(globex, tutor.user).get(LIST).json()["count"] == 0
    response = api_client(globex, tutor.user).delete(f"{LIST}{tutors_calendar.pk}/")
    assert response.status_code == 404
    assert _exists(tutor.tenant, tutors_calendar.pk)


def test_an_acme_token_is_refused_on_globexs_host(api_client, globex, tutor, tutors_calendar):
    client = api_client(tutor.tenant, tutor.user)
    client.defaults["HTTP_HOST"] = "globex.localhost"
    response = client.delete(f"{LIST}{tutors_calendar.pk}/")
    assert response.status_code == 401
    assert error_code(response) == "wrong_tenant"


# Page --------------------------------------------------------------------------------------


def test_the_page_lists_connections_with_their_status_and_offers_the_rest(
    web_client, tutor, tutors_calendar
):
    with tenant_context(tutor.tenant):
        CalendarConnection.objects.filter(pk=tutors_calendar.pk).update(
            status="error", last_error="Google Calendar no longer grants access."
        )
    page = web_client(tutor.tenant, tutor.user).get("/scheduling/calendars/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Needs reconnecting" in html
    assert "no longer grants access" in html
    assert "Reconnect Google Calendar" in html
    assert "Connect Outlook" in html
    assert tutors_calendar.account_email in html
    assert "gAAAAA" not in html


def test_disconnecting_on_the_page_with_htmx_refreshes_the_list(
    fake, web_client, tutor, tutors_calendar
):
    browser = web_client(tutor.tenant, tutor.user)
    response = browser.post(
        f"/scheduling/calendars/{tutors_calendar.pk}/disconnect/", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert b"No calendar is connected yet." in response.content
    assert b"<html" not in response.content
    assert not _exists(tutor.tenant, tutors_calendar.pk)


def test_someone_elses_connection_cannot_be_disconnected_on_the_page(
    web_client, owner, tutor, tutors_calendar
):
    response = web_client(owner.tenant, owner.user).post(
        f"/scheduling/calendars/{tutors_calendar.pk}/disconnect/"
    )
    assert response.status_code == 404
    assert _exists(tutor.tenant, tutors_calendar.pk)


def test_connecting_and_disconnecting_need_post(web_client, tutor, tutors_calendar):
    browser = web_client(tutor.tenant, tutor.user)
    assert browser.get("/scheduling/calendars/google/connect/").status_code == 405
    assert browser.get(f"/scheduling/calendars/{tutors_calendar.pk}/disconnect/").status_code == 405
