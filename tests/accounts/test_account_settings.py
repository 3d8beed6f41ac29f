"""People change their own names, time zone, language and password."""

from __future__ import annotations

import pytest

from accounts.models import TokenFamily
from audit.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Brand-New-Pass-7"


def test_the_settings_page_saves_names_time_zone_and_language(web_client, public_tenant):
    person = UserFactory(time_zone="Europe/London")
    client = web_client(user=person)
    response = client.post(
        "/accounts/settings/",
        {
            "action": "profile",
            "first_name": " Ada ",
            "last_name": "Lovelace",
            "time_zone": "America/New_York",
            "locale": "fr",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.time_zone, person.locale) == ("Ada", "America/New_York", "fr")
    entry = AuditEntry.objects.get(action="account.profile_updated")
    assert entry.data["changed"]["time_zone"] == ["Europe/London", "America/New_York"]


def test_the_settings_page_refuses_an_unknown_time_zone_with_a_field_error(
    web_client, public_tenant
):
    person = UserFactory()
    response = web_client(user=person).post(
        "/accounts/settings/",
        {
            "action": "profile",
            "first_name": "Ada",
            "time_zone": "Mars/Olympus",
            "locale": "en",
        },
    )
    assert response.status_code == 200
    assert response.context["profile_form"].errors["time_zone"]
    person.refresh_from_db()
    assert person.time_zone == "Europe/London"


def test_pages_show_times_in_the_viewers_time_zone(web_client, public_tenant):
    from notifications.services import notify

    person = UserFactory(time_zone="Asia/Tokyo")
    notify(user=person, event="demo.event", title="Lesson booked", send_email=False)
    client = web_client(user=person)
    assert "JST" in client.get("/notifications/").content.decode()
    client.post(
        "/accounts/settings/",
        {
            "action": "profile",
            "first_name": person.first_name,
            "time_zone": "America/Sao_Paulo",
            "locale": "en",
        },
    )
    page = client.get("/notifications/").content.decode()
    assert "JST" not in page
    assert "-03" in page


def test_changing_the_password_keeps_this_session_and_ends_api_sign_ins(
    web_client, api_client, acme, member, password
):
    person = member(acme, "tutor").user
    phone = api_client(acme, person)
    browser = web_client(user=person)
    response = browser.post(
        "/accounts/settings/",
        {
            "action": "password",
            "current_password": password,
            "new_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert browser.get("/accounts/settings/").status_code == 200  # still signed in here
    assert phone.get("/api/v1/me/").status_code == 401
    assert not TokenFamily.objects.filter(user=person, revoked_at__isnull=True).exists()


def test_a_wrong_current_password_changes_nothing_and_counts_as_a_failed_sign_in(
    web_client, public_tenant, password
):
    person = UserFactory()
    client = web_client(user=person)
    for _ in range(5):
        response = client.post(
            "/accounts/settings/",
            {
                "action": "password",
                "current_password": "Wrong-Pass-1",
                "new_password": NEW_PASSWORD,
            },
        )
        assert response.status_code == 200
        assert response.context["password_form"].errors["current_password"]
    person.refresh_from_db()
    assert person.check_password(password)
    blocked = client.post(
        "/accounts/settings/",
        {
            "action": "password",
            "current_password": password,
            "new_password": NEW_PASSWORD,
        },
    )
    assert blocked.status_code == 429


def test_a_weak_new_password_is_a_field_error(web_client, public_tenant, password):
    person = UserFactory()
    response = web_client(user=person).post(
        "/accounts/settings/",
        {
            "action": "password",
            "current_password": password,
            "new_password": "password",
        },
    )
    assert response.status_code == 200
    assert response.context["password_form"].errors["new_password"]


def test_the_api_updates_your_details(api_client, acme, member):
    person = member(acme, "student").user
    response = api_client(acme, person).patch(
        "/api/v1/me/", {"time_zone": "Australia/Sydney", "last_name": "Lee"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["time_zone"] == "Australia/Sydney"
    person.refresh_from_db()
    assert person.last_name == "Lee"


def test_the_api_refuses_bad_details_with_field_errors(api_client, acme, member):
    person = member(acme, "student").user
    response = api_client(acme, person).patch(
        "/api/v1/me/",
        {"time_zone": "Nowhere/Land", "locale": "xx", "first_name": ""},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"time_zone", "locale", "first_name"}


def test_the_api_cannot_change_the_email_address_through_me(api_client, acme, member):
    person = member(acme, "student").user
    response = api_client(acme, person).patch("/api/v1/me/", {"email": "new@x.test"}, format="json")
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.email != "new@x.test"


def test_the_api_password_change_keeps_the_callers_sign_in_only(api_client, acme, member, password):
    person = member(acme, "tutor").user
    caller, other = api_client(acme, person), api_client(acme, person)
    response = caller.post(
        "/api/v1/auth/password/",
        {"current_password": password, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 204
    assert caller.get("/api/v1/me/").status_code == 200
    assert other.get("/api/v1/me/").status_code == 401
    wrong = caller.post(
        "/api/v1/auth/password/",
        {"current_password": password, "new_password": "Another-Pass-8"},
        format="json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"] == {"current_password": ["Not right."]}
