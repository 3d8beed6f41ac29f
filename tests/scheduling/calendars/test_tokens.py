"""Tokens: encrypted at rest, refreshed before they expire and once on a 401, rotated with
the keys; a revoked grant marks the connection for reconnecting and tells its user once.
"""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.db import connection as db
from django_tenants.utils import tenant_context

from notifications.models import Notification
from scheduling.calendars import tasks
from scheduling.calendars.crypto import derived_key, token_decrypt, token_encrypt
from scheduling.models import CalendarConnection, Session
from tests.scheduling.calendars.conftest import SESSION_START

pytestmark = pytest.mark.django_db


def _fresh(connection: CalendarConnection, tenant) -> CalendarConnection:
    with tenant_context(tenant):
        return CalendarConnection.objects.get(pk=connection.pk)


def _notifications(tenant, user):
    with tenant_context(tenant):
        return list(Notification.objects.filter(user=user, event="scheduling.calendar_error"))


# At rest -----------------------------------------------------------------------------------


def test_the_database_column_never_holds_the_plain_token(fake, connected, tutor):
    connection = connected(tutor, "google")
    access, refresh = (
        token_decrypt(connection.access_token),
        token_decrypt(connection.refresh_token),
    )
    with tenant_context(tutor.tenant), db.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM scheduling_calendarconnection WHERE id = %s",
            [connection.pk],
        )
        stored_access, stored_refresh = cursor.fetchone()
    assert access.startswith("at-")
    assert refresh.startswith("rt-")
    assert access not in stored_access
    assert refresh not in stored_refresh
    assert stored_access.startswith("gAAAAA")  # a Fernet token
    assert token_decrypt(stored_refresh) == refresh


def test_encrypting_twice_gives_different_ciphertexts_of_one_token():
    assert token_encrypt("secret") != token_encrypt("secret")
    assert token_decrypt(token_encrypt("secret")) == "secret"
    assert token_encrypt("") == ""


def test_without_configured_keys_the_key_comes_from_the_secret_key(settings):
    settings.CALENDAR_TOKEN_KEYS = []
    stored = token_encrypt("secret")
    assert Fernet(derived_key(settings.SECRET_KEY)).decrypt(stored.encode()) == b"secret"
    assert derived_key("one secret") != derived_key("another secret")


def test_rotating_keys_keeps_old_tokens_readable_and_reencrypts_them(
    fake, connected, tutor, settings
):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CALENDAR_TOKEN_KEYS = [old_key]
    connection = connected(tutor, "google")
    refresh = token_decrypt(connection.refresh_token)

    settings.CALENDAR_TOKEN_KEYS = [new_key, old_key]
    assert token_decrypt(connection.refresh_token) == refresh
    with tenant_context(tutor.tenant):
        assert tasks.calendar_tokens_rotate.delay().get() == 1

    settings.CALENDAR_TOKEN_KEYS = [new_key]
    assert token_decrypt(_fresh(connection, tutor.tenant).refresh_token) == refresh


def test_tokens_no_key_can_open_ask_for_a_reconnect(
    fake, connected, tutor, lesson, announce, settings
):
    connection = connected(tutor, "google")
    settings.CALENDAR_TOKEN_KEYS = [Fernet.generate_key().decode()]
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    assert fake.requests == []
    assert _fresh(connection, tutor.tenant).status == CalendarConnection.Status.ERROR
    assert len(_notifications(tutor.tenant, tutor.user)) == 1


def test_the_deploy_check_wants_real_keys_once_a_provider_is_configured(settings):
    settings.CALENDAR_TOKEN_KEYS = []
    from scheduling.calendars.checks import calendar_token_keys_set, calendar_token_keys_valid

    assert [e.id for e in calendar_token_keys_set()] == ["scheduling.E002"]
    settings.GOOGLE_OAUTH_CLIENT_ID = settings.MICROSOFT_OAUTH_CLIENT_ID = ""
    assert calendar_token_keys_set() == []
    settings.CALENDAR_TOKEN_KEYS = ["not a key"]
    assert [e.id for e in calendar_token_keys_valid()] == ["scheduling.E001"]
    settings.CALENDAR_TOKEN_KEYS = [Fernet.generate_key().decode()]
    assert calendar_token_keys_valid() == []


# Refreshing --------------------------------------------------------------------------------


def test_an_expired_access_token_is_refreshed_before_the_call(
    fake, connected, tutor, lesson, announce
):
    connection = connected(tutor, "google", expires_in=-60)

    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)

    methods = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.requests]
    assert methods == [("POST", "token"), ("POST", "events")]
    assert fake.requests[0].form["grant_type"] == "refresh_token"
    fresh = _fresh(connection, tutor.tenant)
    assert fresh.access_token != connection.access_token
    assert fresh.token_expires_at > connection.token_expires_at
    assert token_decrypt(fresh.access_token) == fake.requests[1].headers["authorization"][7:]


def test_a_token_the_provider_refuses_is_refreshed_once_and_the_call_repeated(
    fake, connected, tutor, lesson, announce
):
    connected(tutor, "google")
    fake.access_tokens_expire()  # revoked early, though our clock says it is still good

    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)

    methods = [(r.method, r.path.rsplit("/", 1)[-1]) for r in fake.requests]
    assert methods == [("POST", "events"), ("POST", "token"), ("POST", "events")]
    assert len(fake.events["google"]) == 1


def test_a_second_refusal_after_refreshing_asks_for_a_reconnect(
    fake, connected, tutor, lesson, announce
):
    connection = connected(tutor, "google")
    fake.fail("POST", "/events", 401)
    fake.fail("POST", "/events", 401)
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    assert len(fake.calls("POST", "/google/token")) == 1
    assert _fresh(connection, tutor.tenant).status == CalendarConnection.Status.ERROR


def test_outlooks_rotated_refresh_token_replaces_the_old_one(
    fake, connected, student, lesson, announce
):
    connection = connected(student, "microsoft", expires_in=-1)
    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    fresh = _fresh(connection, student.tenant)
    assert token_decrypt(fresh.refresh_token) != token_decrypt(connection.refresh_token)
    assert token_decrypt(fresh.refresh_token) in fake.refresh_tokens
    [refresh] = fake.calls("POST", "/oauth2/v2.0/token")
    assert refresh.form["grant_type"] == "refresh_token"
    assert "Calendars.ReadWrite" in refresh.form["scope"]


# A revoked grant ---------------------------------------------------------------------------


def test_a_revoked_grant_marks_the_connection_and_tells_the_user_once(
    fake, connected, tutor, tutor_profile, student_profile, booked, lesson, announce
):
    connection = connected(tutor, "google", expires_in=-1)
    fake.grant_revoke(tutor.user.email)

    announce(lesson, "confirmed", status=Session.Status.CONFIRMED)
    second = booked(tutor_profile, student_profile, SESSION_START.replace(day=3))
    announce(second, "confirmed")

    fresh = _fresh(connection, tutor.tenant)
    assert fresh.status == CalendarConnection.Status.ERROR
    assert "invalid_grant" in fresh.last_error
    assert (fresh.access_token, fresh.refresh_token) == ("", "")
    [notice] = _notifications(tutor.tenant, tutor.user)
    assert notice.title == "Reconnect your Google Calendar"
    assert notice.url == "http://acme.localhost/scheduling/calendars/"
    # Only the first push tried; the second found the connection already marked.
    assert len(fake.calls("POST", "/google/token")) == 1
    assert not fake.calls("POST", "/events")


def test_a_revoked_outlook_grant_is_noticed_by_the_busy_refresh(
    fake, connected, tutor, django_capture_on_commit_callbacks
):
    connection = connected(tutor, "microsoft", expires_in=-1)
    fake.grant_revoke(tutor.user.email)
    with tenant_context(tutor.tenant):
        assert tasks.calendar_busy_refresh.delay(connection.pk).get() == "revoked"
        assert tasks.calendar_busy_refresh.delay(connection.pk).get() == "skipped"
    assert _fresh(connection, tutor.tenant).status == CalendarConnection.Status.ERROR
    assert len(_notifications(tutor.tenant, tutor.user)) == 1
