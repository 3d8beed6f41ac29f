"""Writing availability: who may, what is refused, and what a bulk update changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from scheduling.models import AvailabilityException, AvailabilityRule, SchedulingSettings
from scheduling.policy import policy_for, schedule_for
from scheduling.services import availability as services

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_acme")]


def week_of(profile) -> list[tuple[int, str, str]]:
    return [
        (rule.weekday, f"{rule.start_time:%H:%M}", f"{rule.end_time:%H:%M}")
        for rule in AvailabilityRule.objects.filter(tutor=profile)
    ]


def errors_of(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def rule(weekday, start, end):
    return {"weekday": weekday, "start_time": start, "end_time": end}


def window(start, end):
    return {"start_time": start, "end_time": end}


# Who -----------------------------------------------------------------------------------------


def test_the_tutor_and_managers_change_the_schedule(acme, tutor, tutor_profile, owner, member):
    services.tutor_schedule_update(actor=tutor, tutor=tutor_profile, buffer_minutes=10)
    services.tutor_schedule_update(
        actor=member(acme, "admin"), tutor=tutor_profile, minimum_notice_minutes=60
    )
    services.tutor_schedule_update(actor=owner, tutor=tutor_profile, instant_booking=True)
    schedule = schedule_for(tutor_profile)
    schedule.refresh_from_db()
    assert (schedule.buffer_minutes, schedule.minimum_notice_minutes) == (10, 60)
    assert schedule.instant_booking is True
    assert AuditEntry.objects.filter(action="scheduling.schedule.updated").count() == 3


@pytest.mark.parametrize("role", ["staff", "student", "parent"])
def test_other_roles_are_refused(acme, tutor_profile, member, role):
    actor = member(acme, role)
    with pytest.raises(PermissionDenied):
        services.tutor_schedule_update(actor=actor, tutor=tutor_profile, buffer_minutes=10)
    with pytest.raises(PermissionDenied):
        services.weekly_rules_replace(actor=actor, tutor=tutor_profile, rules=[])
    with pytest.raises(PermissionDenied):
        services.availability_exception_add(
            actor=actor, tutor=tutor_profile, start_date="2099-01-01"
        )


def test_a_tutor_cannot_change_another_tutors_schedule(acme, tutor_profile, teacher):
    other, _ = teacher(acme, email="other@acme.test")
    with pytest.raises(PermissionDenied):
        services.weekly_rules_replace(
            actor=other, tutor=tutor_profile, rules=[rule(0, "09:00", "10:00")]
        )
    assert week_of(tutor_profile) == []


# Settings ------------------------------------------------------------------------------------


def test_bad_settings_are_all_reported_at_once(tutor, tutor_profile):
    errors = errors_of(
        lambda: services.tutor_schedule_update(
            actor=tutor,
            tutor=tutor_profile,
            time_zone="Mars/Olympus",
            buffer_minutes=241,
            minimum_notice_minutes=-1,
            booking_horizon_days=0,
            slot_interval_minutes=7,
            instant_booking="yes",
            free_cancellation_hours=721,
            late_cancellation_fee_percent=101,
            no_show_fee_percent=True,
            max_reschedules=21,
        )
    )
    assert set(errors) == {
        "time_zone",
        "buffer_minutes",
        "minimum_notice_minutes",
        "booking_horizon_days",
        "slot_interval_minutes",
        "instant_booking",
        "free_cancellation_hours",
        "late_cancellation_fee_percent",
        "no_show_fee_percent",
        "max_reschedules",
    }
    assert schedule_for(tutor_profile).buffer_minutes == 0


def test_policy_overrides_can_be_set_and_cleared(tutor, tutor_profile):
    services.tutor_schedule_update(
        actor=tutor, tutor=tutor_profile, late_cancellation_fee_percent=0, max_reschedules=5
    )
    policy = policy_for(tutor_profile)
    assert (policy.late_cancellation_fee_percent, policy.max_reschedules) == (0, 5)
    assert policy.overridden == {"late_cancellation_fee_percent", "max_reschedules"}
    services.tutor_schedule_update(actor=tutor, tutor=tutor_profile, max_reschedules=None)
    assert policy_for(tutor_profile).overridden == {"late_cancellation_fee_percent"}


def test_the_time_zone_must_be_iana_or_empty(tutor, tutor_profile):
    services.tutor_schedule_update(actor=tutor, tutor=tutor_profile, time_zone="Asia/Tokyo")
    assert schedule_for(tutor_profile).zone.key == "Asia/Tokyo"
    services.tutor_schedule_update(actor=tutor, tutor=tutor_profile, time_zone="")
    assert schedule_for(tutor_profile).zone.key == "Europe/London"  # the account's
    assert "time_zone" in errors_of(
        lambda: services.tutor_schedule_update(actor=tutor, tutor=tutor_profile, time_zone="GMT+1")
    )


def test_unknown_settings_are_refused(tutor, tutor_profile):
    errors = errors_of(
        lambda: services.availability_update(
            actor=tutor, tutor=tutor_profile, settings={"request_expiry_hours": 3}
        )
    )
    assert set(errors) == {"request_expiry_hours"}


# Weekly rules --------------------------------------------------------------------------------


def test_the_whole_week_is_replaced(tutor, tutor_profile, weekly):
    weekly(tutor_profile, 5, "10:00", "11:00")
    services.weekly_rules_replace(
        actor=tutor,
        tutor=tutor_profile,
        rules=[rule(0, "13:00", "17:00"), rule(0, "09:00", "12:00"), rule(2, "18:00", "24:00")],
    )
    assert week_of(tutor_profile) == [
        (0, "09:00", "12:00"),
        (0, "13:00", "17:00"),
        (2, "18:00", "23:59"),
    ]
    services.weekly_rules_replace(actor=tutor, tutor=tutor_profile, rules=[])
    assert week_of(tutor_profile) == []


def test_bad_rules_are_refused_with_every_reason_and_nothing_changes(tutor, tutor_profile, weekly):
    weekly(tutor_profile, 0, "09:00", "10:00")
    errors = errors_of(
        lambda: services.weekly_rules_replace(
            actor=tutor,
            tutor=tutor_profile,
            rules=[
                rule(0, "09:00", "12:00"),
                rule(0, "11:00", "13:00"),  # overlaps
                rule(1, "12:00", "12:00"),  # empty
                rule(2, "9am", "10:00"),  # not a time
                rule(7, "09:00", "10:00"),  # no such weekday
                rule(3, "09:00:30", "10:00"),  # not whole minutes
                rule(4, "24:00", "24:00"),  # 24:00 only ends a window
            ],
        )
    )
    messages = " ".join(errors["rules"])
    assert "Monday: 09:00-12:00 overlaps 11:00-13:00" in messages
    assert "Tuesday: window 1: the end (12:00-12:00) must be after the start" in messages
    assert "Wednesday: window 1: enter times as HH:MM" in messages
    assert "Rule 5: the weekday must be a number from 0 (Monday) to 6 (Sunday)" in messages
    assert "Thursday: window 1" in messages
    assert "Friday: window 1" in messages
    assert week_of(tutor_profile) == [(0, "09:00", "10:00")]


def test_touching_windows_are_allowed(tutor, tutor_profile):
    services.weekly_rules_replace(
        actor=tutor,
        tutor=tutor_profile,
        rules=[rule(0, "09:00", "10:00"), rule(0, "10:00", "11:00")],
    )
    assert len(week_of(tutor_profile)) == 2


def test_one_set_of_windows_is_applied_to_several_weekdays(tutor, tutor_profile, weekly):
    weekly(tutor_profile, 1, "07:00", "08:00")
    weekly(tutor_profile, 5, "10:00", "11:00")
    services.weekly_rules_apply(
        actor=tutor,
        tutor=tutor_profile,
        weekdays=[0, 1, 2, 3, 4],
        windows=[window("09:00", "12:00"), window("14:00", "17:00")],
    )
    assert week_of(tutor_profile) == [
        (day, start, end)
        for day in range(5)
        for start, end in (("09:00", "12:00"), ("14:00", "17:00"))
    ] + [(5, "10:00", "11:00")]
    services.weekly_rules_apply(actor=tutor, tutor=tutor_profile, weekdays=[0, 1], windows=[])
    assert {day for day, *_ in week_of(tutor_profile)} == {2, 3, 4, 5}


def test_a_bulk_update_needs_weekdays_and_sane_windows(tutor, tutor_profile):
    errors = errors_of(
        lambda: services.weekly_rules_apply(
            actor=tutor, tutor=tutor_profile, weekdays=[], windows=[window("10:00", "09:00")]
        )
    )
    assert set(errors) == {"weekdays", "windows"}
    errors = errors_of(
        lambda: services.weekly_rules_apply(
            actor=tutor, tutor=tutor_profile, weekdays=[0, 9], windows=[]
        )
    )
    assert set(errors) == {"weekdays"}
    errors = errors_of(
        lambda: services.availability_update(
            actor=tutor,
            tutor=tutor_profile,
            rules=[],
            weekdays=[0],
            windows=[window("09:00", "10:00")],
        )
    )
    assert set(errors) == {"rules"}


def test_settings_and_rules_are_refused_together(tutor, tutor_profile):
    errors = errors_of(
        lambda: services.availability_update(
            actor=tutor,
            tutor=tutor_profile,
            settings={"buffer_minutes": 500},
            rules=[rule(0, "10:00", "09:00")],
        )
    )
    assert set(errors) == {"buffer_minutes", "rules"}


# Exceptions ----------------------------------------------------------------------------------


def future(days: int) -> str:
    return (timezone.now().date() + dt.timedelta(days=days)).isoformat()


def test_exceptions_of_each_kind(tutor, tutor_profile):
    holiday = services.availability_exception_add(
        actor=tutor,
        tutor=tutor_profile,
        start_date=future(10),
        end_date=future(20),
        reason=" Trip ",
    )
    assert (holiday.kind, holiday.start_time, holiday.reason) == ("unavailable", None, "Trip")
    part = services.availability_exception_add(
        actor=tutor, tutor=tutor_profile, start_date=future(3), start_time="13:00", end_time="24:00"
    )
    assert (part.end_date, part.end_time) == (part.start_date, dt.time(23, 59))
    extra = services.availability_exception_add(
        actor=tutor,
        tutor=tutor_profile,
        kind="available",
        start_date=future(4),
        start_time="18:00",
        end_time="20:00",
    )
    assert extra.kind == AvailabilityException.Kind.AVAILABLE


def test_bad_exceptions_are_refused_with_every_reason(tutor, tutor_profile):
    errors = errors_of(
        lambda: services.availability_exception_add(
            actor=tutor,
            tutor=tutor_profile,
            kind="maybe",
            start_date="next week",
            start_time="10:00",
            reason="x" * 201,
        )
    )
    assert set(errors) == {"kind", "start_date", "end_time", "reason"}
    errors = errors_of(
        lambda: services.availability_exception_add(
            actor=tutor, tutor=tutor_profile, kind="available", start_date=future(1)
        )
    )
    assert set(errors) == {"start_time"}
    assert (
        "366"
        in errors_of(
            lambda: services.availability_exception_add(
                actor=tutor, tutor=tutor_profile, start_date=future(1), end_date=future(367)
            )
        )["end_date"][0]
    )
    assert services.availability_exception_add(
        actor=tutor, tutor=tutor_profile, start_date=future(1), end_date=future(366)
    )
    assert "end_date" in errors_of(
        lambda: services.availability_exception_add(
            actor=tutor, tutor=tutor_profile, start_date=future(5), end_date=future(4)
        )
    )
    assert (
        "past"
        in errors_of(
            lambda: services.availability_exception_add(
                actor=tutor, tutor=tutor_profile, start_date=future(-5), end_date=future(-2)
            )
        )["end_date"][0]
    )
    assert "end_time" in errors_of(
        lambda: services.availability_exception_add(
            actor=tutor,
            tutor=tutor_profile,
            start_date=future(1),
            start_time="12:00",
            end_time="11:00",
        )
    )


def test_exceptions_are_deleted_by_the_tutor_or_a_manager_only(
    acme, tutor, tutor_profile, owner, member
):
    first = services.availability_exception_add(
        actor=tutor, tutor=tutor_profile, start_date=future(1)
    )
    second = services.availability_exception_add(
        actor=tutor, tutor=tutor_profile, start_date=future(2)
    )
    with pytest.raises(PermissionDenied):
        services.availability_exception_delete(actor=member(acme, "staff"), exception=first)
    services.availability_exception_delete(actor=tutor, exception=first)
    services.availability_exception_delete(actor=owner, exception=second)
    assert not AvailabilityException.objects.exists()


# The agency's policy -------------------------------------------------------------------------


def test_managers_change_the_agency_policy(acme, owner, member):
    services.scheduling_settings_update(actor=owner, request_expiry_hours=48)
    services.scheduling_settings_update(actor=member(acme, "admin"), no_show_fee_percent=0)
    row = SchedulingSettings.current()
    assert (row.request_expiry_hours, row.no_show_fee_percent) == (48, 0)
    assert AuditEntry.objects.filter(action="scheduling.policy.updated").count() == 2


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_other_roles_cannot_change_the_agency_policy(acme, member, role):
    with pytest.raises(PermissionDenied):
        services.scheduling_settings_update(actor=member(acme, role), max_reschedules=9)


def test_the_agency_policy_has_ranges(owner):
    errors = errors_of(
        lambda: services.scheduling_settings_update(
            actor=owner,
            request_expiry_hours=0,
            free_cancellation_hours=-1,
            late_cancellation_fee_percent=101,
            no_show_fee_percent=None,
            max_reschedules="2",
        )
    )
    assert set(errors) == {
        "request_expiry_hours",
        "free_cancellation_hours",
        "late_cancellation_fee_percent",
        "no_show_fee_percent",
        "max_reschedules",
    }
    assert (
        "336"
        in errors_of(
            lambda: services.scheduling_settings_update(actor=owner, request_expiry_hours=337)
        )["request_expiry_hours"][0]
    )
    services.scheduling_settings_update(actor=owner, request_expiry_hours=336)
    with tenant_context(owner.tenant):
        assert SchedulingSettings.current().request_expiry_hours == 336
