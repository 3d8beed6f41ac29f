"""The availability pages: the weekly editor, exceptions, settings, preview and policy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from scheduling.models import (
    AvailabilityException,
    AvailabilityRule,
    SchedulingSettings,
    TutorSchedule,
)

pytestmark = pytest.mark.django_db

MINE = "/scheduling/availability/"
POLICY = "/scheduling/policy/"


def page(profile, what: str = "") -> str:
    return f"/scheduling/tutors/{profile.pk}/availability/{what}"


def rules_of(acme, profile) -> list[tuple[int, str, str]]:
    with tenant_context(acme):
        return [
            (rule.weekday, f"{rule.start_time:%H:%M}", f"{rule.end_time:%H:%M}")
            for rule in AvailabilityRule.objects.filter(tutor=profile)
        ]


def test_a_tutor_sees_their_editor(web_client, acme, tutor):
    response = web_client(acme, tutor.user).get(MINE)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Your availability" in text
    assert "Europe/London" in text
    for day in ("Monday", "Sunday"):
        assert day in text
    assert "Copy Monday to Tuesday" in text
    assert "No free slots in the next 7 days." in text


@pytest.mark.parametrize("role", ["owner", "staff", "student", "parent"])
def test_only_tutors_have_their_own_editor(web_client, acme, member, role):
    assert web_client(acme, member(acme, role).user).get(MINE).status_code == 403


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_open_any_tutors_editor(web_client, acme, member, tutor_profile, role):
    response = web_client(acme, member(acme, role).user).get(page(tutor_profile))
    assert response.status_code == 200
    assert "Availability of Theo Turner" in response.content.decode()


@pytest.mark.parametrize("role", ["staff", "student", "tutor"])
def test_other_members_cannot_open_a_tutors_editor(web_client, acme, member, tutor_profile, role):
    browser = web_client(acme, member(acme, role).user)
    assert browser.get(page(tutor_profile)).status_code == 403
    response = browser.post(page(tutor_profile, "weekly/"), {"day0-start": "09:00"})
    assert response.status_code == 403
    assert rules_of(acme, tutor_profile) == []


def test_a_globex_owner_finds_no_acme_tutor(web_client, acme, globex, member, tutor_profile):
    browser = web_client(globex, member(globex, "owner").user)
    assert browser.get(page(tutor_profile)).status_code == 404
    response = browser.post(
        page(tutor_profile, "weekly/"), {"day0-start": "09:00", "day0-end": "10:00"}
    )
    assert response.status_code == 404
    assert rules_of(acme, tutor_profile) == []


def test_the_week_is_saved_and_monday_copied_to_weekdays(web_client, acme, tutor, tutor_profile):
    browser = web_client(acme, tutor.user)
    response = browser.post(
        page(tutor_profile, "weekly/"),
        {
            "day0-start": ["09:00", "14:00", ""],
            "day0-end": ["12:00", "17:00", ""],
            "day5-start": ["10:00"],
            "day5-end": ["23:59"],
            "action": "save",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == MINE
    assert rules_of(acme, tutor_profile) == [
        (0, "09:00", "12:00"),
        (0, "14:00", "17:00"),
        (5, "10:00", "23:59"),
    ]
    response = browser.post(
        page(tutor_profile, "weekly/"),
        {"day0-start": ["08:00"], "day0-end": ["09:00"], "action": "copy"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert rules_of(acme, tutor_profile) == [(day, "08:00", "09:00") for day in range(5)]


def test_a_bad_week_comes_back_with_errors_and_the_rows_sent(
    web_client, acme, tutor, tutor_profile
):
    browser = web_client(acme, tutor.user)
    response = browser.post(
        page(tutor_profile, "weekly/"),
        {"day0-start": ["09:00", "11:00"], "day0-end": ["12:00", "13:00"], "day2-start": ["10:00"]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Wednesday: enter both a start and an end time." in text
    response = browser.post(
        page(tutor_profile, "weekly/"),
        {"day0-start": ["09:00", "11:00"], "day0-end": ["12:00", "13:00"]},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Monday: 09:00-12:00 overlaps 11:00-13:00." in text
    assert 'value="11:00"' in text
    assert rules_of(acme, tutor_profile) == []


def test_settings_are_saved_and_bad_ones_shown(web_client, acme, tutor, tutor_profile):
    browser = web_client(acme, tutor.user)
    settings = {
        "time_zone": "America/New_York",
        "slot_interval_minutes": "15",
        "buffer_minutes": "10",
        "minimum_notice_minutes": "60",
        "booking_horizon_days": "30",
        "instant_booking": "on",
        "late_cancellation_fee_percent": "",
        "max_reschedules": "1",
    }
    response = browser.post(page(tutor_profile, "settings/"), settings)
    assert response.status_code == 302, response.content
    with tenant_context(acme):
        schedule = TutorSchedule.objects.get(tutor=tutor_profile)
    assert (schedule.time_zone, schedule.buffer_minutes, schedule.instant_booking) == (
        "America/New_York",
        10,
        True,
    )
    assert (schedule.late_cancellation_fee_percent, schedule.max_reschedules) == (None, 1)
    response = browser.post(
        page(tutor_profile, "settings/"),
        {**settings, "buffer_minutes": "999", "no_show_fee_percent": "101", "time_zone": "X/Y"},
    )
    assert response.status_code == 400
    form = response.context["schedule_form"]
    assert set(form.errors) == {"buffer_minutes", "no_show_fee_percent", "time_zone"}
    assert "field-error" in response.content.decode()


def test_exceptions_are_added_and_removed(web_client, acme, tutor, tutor_profile, teacher):
    browser = web_client(acme, tutor.user)
    day = (timezone.now().date() + dt.timedelta(days=3)).isoformat()
    response = browser.post(
        page(tutor_profile, "exceptions/"),
        {"kind": "unavailable", "start_date": day, "reason": "Dentist"},
    )
    assert response.status_code == 302
    assert "Dentist" in browser.get(MINE).content.decode()
    response = browser.post(
        page(tutor_profile, "exceptions/"), {"kind": "available", "start_date": day}
    )
    assert response.status_code == 400
    assert "Extra availability needs a start and an end time." in response.content.decode()
    with tenant_context(acme):
        exception = AvailabilityException.objects.get(tutor=tutor_profile)
    delete = f"/scheduling/availability/exceptions/{exception.pk}/delete/"
    other, _ = teacher(acme, email="other@acme.test")
    assert web_client(acme, other.user).post(delete).status_code == 404
    assert browser.post(delete).status_code == 302
    with tenant_context(acme):
        assert not AvailabilityException.objects.exists()


def test_the_preview_lists_free_slots_in_the_tutors_zone(web_client, acme, tutor, tutor_profile):
    with tenant_context(acme):
        TutorSchedule.objects.update_or_create(
            tutor=tutor_profile,
            defaults={"time_zone": "Asia/Tokyo", "minimum_notice_minutes": 0},
        )
        AvailabilityRule.objects.bulk_create(
            AvailabilityRule(
                tutor=tutor_profile,
                weekday=weekday,
                start_time=dt.time(9),
                end_time=dt.time(10),
            )
            for weekday in range(7)
        )
    response = web_client(acme, tutor.user).get(MINE)
    preview = response.context["preview"]
    assert len(preview) >= 6
    assert all(day["times"] == ["09:00"] for day in preview[1:])
    assert "Asia/Tokyo" in response.content.decode()


def test_managers_set_the_agency_policy(web_client, acme, owner):
    browser = web_client(acme, owner.user)
    assert browser.get(POLICY).status_code == 200
    values = {
        "request_expiry_hours": "48",
        "free_cancellation_hours": "12",
        "late_cancellation_fee_percent": "30",
        "no_show_fee_percent": "100",
        "max_reschedules": "3",
    }
    assert browser.post(POLICY, values).status_code == 302
    with tenant_context(acme):
        row = SchedulingSettings.current()
    assert (row.request_expiry_hours, row.late_cancellation_fee_percent) == (48, 30)
    response = browser.post(POLICY, {**values, "request_expiry_hours": "400"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"request_expiry_hours"}


@pytest.mark.parametrize("role", ["staff", "tutor", "student"])
def test_other_roles_cannot_open_the_policy_page(web_client, acme, member, role):
    browser = web_client(acme, member(acme, role).user)
    assert browser.get(POLICY).status_code == 403
    assert browser.post(POLICY, {"max_reschedules": "9"}).status_code == 403
