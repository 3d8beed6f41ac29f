"""Meeting settings: owners and admins only, every value checked against its range."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from meetings.models import MeetingSettings
from meetings.services.settings import meeting_settings_update
from tests.access.conftest import error_code, field_errors
from tests.meetings.fake_provider import FakeProvider

pytestmark = pytest.mark.django_db

API = "/api/v1/meetings/settings/"
PAGE = "/meetings/settings/"
VALID = {
    "provider": "jitsi",
    "join_early_minutes": "10",
    "join_grace_minutes": "30",
    "parents_may_join": "on",
    "auto_confirm_hours": "48",
}


def _update(actor, **fields) -> MeetingSettings:
    with tenant_context(actor.tenant):
        return meeting_settings_update(actor=actor, **fields)


def _current(tenant) -> MeetingSettings:
    with tenant_context(tenant):
        return MeetingSettings.current()


@pytest.fixture
def unconfigured_fake(monkeypatch):
    """The fake provider, as if the platform lacked its settings."""
    monkeypatch.setattr(FakeProvider, "is_configured", lambda self: False)


def test_an_owner_changes_the_settings_and_it_is_audited(acme, owner):
    row = _update(
        owner,
        provider="fake",
        join_early_minutes=5,
        join_grace_minutes=0,
        parents_may_join=True,
        staff_may_observe=False,
        auto_confirm_hours=0,
        recordings_enabled=True,
    )
    assert (row.provider, row.join_early_minutes, row.join_grace_minutes) == ("fake", 5, 0)
    assert (row.parents_may_join, row.staff_may_observe, row.recordings_enabled) == (
        True,
        False,
        True,
    )
    assert row.auto_confirm_hours == 0
    entry = AuditEntry.objects.get(action="meetings.settings.updated")
    assert entry.actor == owner.user
    assert entry.data["changes"]["provider"] == "fake"


def test_only_the_fields_given_change_and_nothing_changed_is_not_audited(acme, owner):
    _update(owner, join_grace_minutes=20)
    row = _current(acme)
    assert (row.join_early_minutes, row.join_grace_minutes) == (15, 20)
    _update(owner, join_grace_minutes=20)
    assert AuditEntry.objects.filter(action="meetings.settings.updated").count() == 1


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_others_cannot_change_them(acme, member, role):
    with pytest.raises(PermissionDenied):
        _update(member(acme, role), join_grace_minutes=20)
    assert _current(acme).join_grace_minutes == 15


def test_an_admin_can(acme, member):
    assert (
        _update(member(acme, Membership.Role.ADMIN), auto_confirm_hours=72).auto_confirm_hours == 72
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("join_early_minutes", 121),
        ("join_early_minutes", -1),
        ("join_early_minutes", "10"),
        ("join_early_minutes", True),
        ("join_grace_minutes", 241),
        ("auto_confirm_hours", 337),
        ("auto_confirm_hours", 1.5),
        ("parents_may_join", "yes"),
        ("staff_may_observe", None),
        ("recordings_enabled", 1),
        ("provider", "skype"),
        ("provider", ""),
        ("provider", None),
    ],
)
def test_bad_values_are_field_errors(acme, owner, field, value):
    with pytest.raises(ValidationError) as excinfo:
        _update(owner, **{field: value})
    assert set(excinfo.value.message_dict) == {field}
    assert AuditEntry.objects.filter(action="meetings.settings.updated").count() == 0


def test_the_ranges_bounds_are_accepted(acme, owner):
    row = _update(owner, join_early_minutes=120, join_grace_minutes=240, auto_confirm_hours=336)
    assert (row.join_early_minutes, row.join_grace_minutes, row.auto_confirm_hours) == (
        120,
        240,
        336,
    )


def test_a_provider_the_platform_has_not_set_up_cannot_be_chosen(acme, owner, unconfigured_fake):
    with pytest.raises(ValidationError) as excinfo:
        _update(owner, provider="fake")
    assert "not set up" in excinfo.value.message_dict["provider"][0]
    assert _current(acme).provider == "jitsi"


def test_keeping_a_provider_that_lost_its_setup_still_saves_the_rest(
    acme, owner, fake_meetings, unconfigured_fake
):
    row = _update(owner, provider="fake", join_grace_minutes=5)
    assert (row.provider, row.join_grace_minutes) == ("fake", 5)


# The page -------------------------------------------------------------------------------------


def test_the_page_shows_and_saves_the_settings(web_client, acme, owner):
    client = web_client(acme, owner.user)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert b"Zoom" in page.content
    assert b"Jitsi" in page.content

    response = client.post(PAGE, VALID)

    assert response.status_code == 302
    row = _current(acme)
    assert (row.join_early_minutes, row.join_grace_minutes, row.auto_confirm_hours) == (
        10,
        30,
        48,
    )
    assert (row.parents_may_join, row.staff_may_observe, row.recordings_enabled) == (
        True,
        False,
        False,
    )


def test_the_page_shows_field_errors(web_client, acme, owner, unconfigured_fake):
    client = web_client(acme, owner.user)
    response = client.post(PAGE, {**VALID, "join_early_minutes": "500"})
    assert response.status_code == 400
    assert b"field-error" in response.content
    response = client.post(PAGE, {**VALID, "provider": "fake"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert b"not set up" in response.content
    assert _current(acme).join_early_minutes == 15


def test_an_htmx_save_answers_with_the_form(web_client, acme, member):
    admin = member(acme, Membership.Role.ADMIN)
    response = web_client(acme, admin.user).post(PAGE, VALID, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert _current(acme).auto_confirm_hours == 48


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_others_get_403_on_the_page(web_client, acme, member, role):
    client = web_client(acme, member(acme, role).user)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, VALID).status_code == 403
    assert _current(acme).join_early_minutes == 15


# The API --------------------------------------------------------------------------------------


def test_the_api_reads_and_patches_the_settings(api_client, acme, owner):
    client = api_client(acme, owner.user)
    body = client.get(API).json()
    assert (body["provider"], body["join_early_minutes"], body["auto_confirm_hours"]) == (
        "jitsi",
        15,
        24,
    )
    assert {p["name"]: p["configured"] for p in body["providers"]} == {
        "jitsi": True,
        "zoom": True,
        "fake": True,
    }

    response = client.patch(API, {"auto_confirm_hours": 0, "parents_may_join": True}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["auto_confirm_hours"], response.json()["parents_may_join"]) == (0, True)
    assert response.json()["join_early_minutes"] == 15


def test_the_api_answers_bad_input_with_field_errors(api_client, acme, owner, unconfigured_fake):
    client = api_client(acme, owner.user)
    for data, field in [
        ({"join_early_minutes": 121}, "join_early_minutes"),
        ({"join_grace_minutes": -5}, "join_grace_minutes"),
        ({"auto_confirm_hours": "many"}, "auto_confirm_hours"),
        ({"provider": "skype"}, "provider"),
        ({"provider": "fake"}, "provider"),
        ({"recordings_enabled": "perhaps"}, "recordings_enabled"),
    ]:
        assert set(field_errors(client.patch(API, data, format="json"))) == {field}, data
    assert _current(acme).provider == "jitsi"


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_others_get_403_from_the_api(api_client, acme, member, role):
    client = api_client(acme, member(acme, role).user)
    for response in (client.get(API), client.patch(API, {"join_grace_minutes": 1}, format="json")):
        assert (response.status_code, error_code(response)) == (403, "permission_denied")
    assert _current(acme).join_grace_minutes == 15


def test_another_agencys_owner_cannot_touch_them(api_client, acme, globex):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = api_client(globex, globex_owner.user)
    client.defaults["HTTP_HOST"] = api_client(acme).defaults["HTTP_HOST"]
    response = client.patch(API, {"join_grace_minutes": 1}, format="json")
    assert (response.status_code, error_code(response)) == (401, "wrong_tenant")
    at_home = api_client(globex, globex_owner.user).patch(
        API, {"join_grace_minutes": 1}, format="json"
    )
    assert at_home.status_code == 200
    assert _current(acme).join_grace_minutes == 15
    assert _current(globex).join_grace_minutes == 1
