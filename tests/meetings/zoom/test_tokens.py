"""Tokens for Zoom: the platform's Server-to-Server token (fetched, cached, fetched again
when refused) and an agency connection's (refreshed before expiry and on a 401, rotated
refresh tokens kept, a lost grant marking the connection and telling the managers).
"""

from __future__ import annotations

import base64
import datetime as dt
import threading

import pytest
from django.db import connections
from django.utils import timezone
from django_tenants.utils import tenant_context

from meetings.models import Meeting, ZoomConnection
from meetings.providers.base import AuthRevokedError, NotConfiguredError, Participant
from meetings.providers.zoom import ZoomProvider
from meetings.zoom.access import _connection_token, host_for_meeting
from notifications.models import Notification
from scheduling.calendars.crypto import token_decrypt
from tests.meetings.zoom.conftest import details_for, meeting_save

pytestmark = pytest.mark.django_db

zoom = ZoomProvider()


def _create(tenant, meeting: Meeting) -> Meeting:
    with tenant_context(tenant):
        info = zoom.meeting_create(meeting=meeting, details=details_for(meeting.session))
        return meeting_save(meeting, info)


def _start(tenant, meeting: Meeting):
    with tenant_context(tenant):
        return zoom.join_target(
            meeting=meeting,
            participant=Participant(1, "Theo Turner", "tutor@acme.test", Participant.MODERATOR),
            not_before=meeting.session.starts_at,
            not_after=meeting.session.ends_at,
        )


def _bearers(fake, path_part: str) -> list[str]:
    return [
        r.headers["authorization"]
        for r in fake.requests
        if path_part in r.path and r.path.startswith("/zoom/v2")
    ]


# The platform's account ------------------------------------------------------------------


def test_the_platform_token_comes_from_account_credentials_and_is_reused(
    fake_zoom, zoom_acme, pending, settings
):
    meeting = _create(zoom_acme, pending)
    _start(zoom_acme, meeting)
    _start(zoom_acme, meeting)

    [fetch] = fake_zoom.calls("POST", "/zoom/oauth/token")
    assert fetch.form == {"grant_type": "account_credentials", "account_id": "test-zoom-account"}
    client = base64.b64decode(fetch.headers["authorization"].removeprefix("Basic ")).decode()
    assert client == f"{settings.ZOOM_CLIENT_ID}:{settings.ZOOM_CLIENT_SECRET}"
    assert len(set(_bearers(fake_zoom, "/meetings"))) == 1


def test_a_refused_platform_token_is_fetched_again_and_the_call_retried(
    fake_zoom, zoom_acme, pending
):
    meeting = _create(zoom_acme, pending)
    fake_zoom.access_tokens_expire()

    target = _start(zoom_acme, meeting)

    assert target.redirect_url.startswith("https://zoom.example.test/s/")
    assert len(fake_zoom.calls("POST", "/zoom/oauth/token")) == 2
    refused, retried = fake_zoom.calls("GET", f"/meetings/{meeting.external_id}")
    assert refused.headers["authorization"] != retried.headers["authorization"]


def test_wrong_platform_credentials_are_a_configuration_problem(
    fake_zoom, zoom_acme, pending, settings
):
    settings.ZOOM_CLIENT_SECRET = "not-the-secret"
    with tenant_context(zoom_acme), pytest.raises(NotConfiguredError):
        zoom.meeting_create(meeting=pending, details=details_for(pending.session))
    assert not fake_zoom.calls("POST", "/meetings")


def test_without_the_platform_account_or_a_connection_zoom_is_not_configured(
    fake_zoom, zoom_acme, pending, settings
):
    settings.ZOOM_ACCOUNT_ID = ""
    with tenant_context(zoom_acme):
        assert not zoom.is_configured()
        with pytest.raises(NotConfiguredError):
            zoom.meeting_create(meeting=pending, details=details_for(pending.session))


# An agency's connection ------------------------------------------------------------------


def test_an_expiring_connection_token_is_refreshed_and_the_rotated_refresh_token_kept(
    fake_zoom, zoom_acme, pending, connected
):
    row = connected(expires_in=30)
    first_refresh = token_decrypt(row.refresh_token)

    meeting = _create(zoom_acme, pending)

    [refresh] = fake_zoom.calls("POST", "/zoom/oauth/token")
    assert refresh.form == {"grant_type": "refresh_token", "refresh_token": first_refresh}
    with tenant_context(zoom_acme):
        row.refresh_from_db()
    stored_refresh = token_decrypt(row.refresh_token)
    assert stored_refresh != first_refresh
    assert fake_zoom.refresh_tokens[stored_refresh]["valid"]
    assert not fake_zoom.refresh_tokens[first_refresh]["valid"]  # spent: Zoom rotates them
    assert row.access_expires_at > timezone.now() + dt.timedelta(minutes=50)
    assert meeting.zoom_connection_id == row.pk


def test_a_refused_connection_token_is_refreshed_once_and_the_call_retried(
    fake_zoom, zoom_acme, pending, connected
):
    connected()
    fake_zoom.access_tokens_expire()

    meeting = _create(zoom_acme, pending)

    assert meeting.external_id
    assert len(fake_zoom.calls("POST", "/zoom/oauth/token")) == 1
    assert len(fake_zoom.calls("POST", "/users/me/meetings")) == 2


def test_a_token_another_worker_just_refreshed_is_used_without_spending_the_new_refresh_token(
    fake_zoom, zoom_acme, pending, connected
):
    row = connected()
    with tenant_context(zoom_acme):
        pending.zoom_connection = row
        host = host_for_meeting(pending)
        seen = host._token()
        fake_zoom.access_tokens_expire()
        # Two workers were both refused ``seen``; the first refreshes, the second (which
        # waited for the row lock) finds the new token instead of refreshing again.
        first = host._token(stale=seen)
        second = host._token(stale=seen)
    assert first == second != seen
    assert len(fake_zoom.calls("POST", "/zoom/oauth/token")) == 1


def test_a_lost_grant_marks_the_connection_and_tells_the_owners_and_admins_once(
    fake_zoom, zoom_acme, pending, connected, owner, member
):
    admin = member(zoom_acme, "admin")
    tutor_member = member(zoom_acme, "tutor")
    row = connected(expires_in=30)
    fake_zoom.grant_revoke(fake_zoom.consenting)

    with tenant_context(zoom_acme):
        with pytest.raises(AuthRevokedError):
            zoom.meeting_create(meeting=pending, details=details_for(pending.session))
        row.refresh_from_db()
        assert row.status == ZoomConnection.Status.REVOKED
        assert (row.access_token, row.refresh_token) == ("", "")
        assert "no longer grants access" in row.last_error
        told = Notification.objects.filter(event="meetings.zoom_revoked")
        assert {n.user_id for n in told} == {owner.user_id, admin.user_id}
        assert tutor_member.user_id not in {n.user_id for n in told}
        assert told.first().url == "http://acme.localhost/meetings/zoom/"

        # New meetings fall back to the platform's account; nobody is told twice.
        pending.refresh_from_db()
        info = zoom.meeting_create(meeting=pending, details=details_for(pending.session))
        assert info.host_account == "host@zoom.example.test"
        assert Notification.objects.filter(event="meetings.zoom_revoked").count() == 2


def test_a_fresh_token_refused_again_means_the_access_is_gone(
    fake_zoom, zoom_acme, pending, connected
):
    row = connected()
    fake_zoom.fail("POST", "/users/me/meetings", 401, {"code": 124, "message": "Invalid token"})
    fake_zoom.fail("POST", "/users/me/meetings", 401, {"code": 124, "message": "Invalid token"})

    with tenant_context(zoom_acme):
        with pytest.raises(AuthRevokedError):
            zoom.meeting_create(meeting=pending, details=details_for(pending.session))
        row.refresh_from_db()
    assert row.status == ZoomConnection.Status.REVOKED
    assert not fake_zoom.meetings


@pytest.mark.django_db(transaction=True)
def test_two_workers_refreshing_at_once_spend_the_rotating_refresh_token_once(
    fake_zoom, zoom_acme, connected
):
    row = connected(expires_in=30)  # both workers find it about to expire
    fake_zoom.slow_next_token(0.5)  # the first refresh is still in flight when the second asks
    tokens, errors = [], []

    def worker() -> None:
        try:
            with tenant_context(zoom_acme):
                tokens.append(_connection_token(row.pk))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=worker) for _ in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=20)

    assert errors == []
    assert len(tokens) == 2
    assert len(set(tokens)) == 1
    assert len(fake_zoom.calls("POST", "/zoom/oauth/token")) == 1
    with tenant_context(zoom_acme):
        row.refresh_from_db()
    assert row.status == ZoomConnection.Status.ACTIVE
    assert fake_zoom.refresh_tokens[token_decrypt(row.refresh_token)]["valid"]
