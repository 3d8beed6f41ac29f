"""Availability windows: weekly rules and exceptions in the tutor's zone, across DST."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduling.models import AvailabilityException
from scheduling.selectors.availability import availability_windows
from tests.scheduling.availability.conftest import at, utc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_acme")]

AVAILABLE = AvailabilityException.Kind.AVAILABLE


def daily(weekly, profile, start="09:00", end="12:00"):
    for weekday in range(7):
        weekly(profile, weekday, start, end)


def windows(profile, start, end):
    return availability_windows(tutor=profile, start=utc(start), end=utc(end))


def test_a_daily_rule_keeps_its_wall_clock_time_across_the_london_spring_change(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="Europe/London")
    daily(weekly, tutor_profile)
    assert windows(tutor_profile, "2027-03-27 00:00", "2027-03-30 00:00") == [
        (utc("2027-03-27 09:00"), utc("2027-03-27 12:00")),  # GMT
        (utc("2027-03-28 08:00"), utc("2027-03-28 11:00")),  # BST from 01:00 UTC
        (utc("2027-03-29 08:00"), utc("2027-03-29 11:00")),
    ]


def test_a_daily_rule_keeps_its_wall_clock_time_across_the_new_york_autumn_change(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="America/New_York")
    daily(weekly, tutor_profile)
    assert windows(tutor_profile, "2027-11-06 00:00", "2027-11-09 00:00") == [
        (utc("2027-11-06 13:00"), utc("2027-11-06 16:00")),  # EDT
        (utc("2027-11-07 14:00"), utc("2027-11-07 17:00")),  # EST
        (utc("2027-11-08 14:00"), utc("2027-11-08 17:00")),
    ]


def test_the_hour_skipped_in_spring_is_dropped_from_a_window_that_crosses_it(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="Europe/London")
    weekly(tutor_profile, 6, "01:00", "03:00")  # 01:00-02:00 does not exist on 2027-03-28
    assert windows(tutor_profile, "2027-03-27 12:00", "2027-03-28 12:00") == [
        (utc("2027-03-28 01:00"), utc("2027-03-28 02:00")),  # 02:00-03:00 BST
    ]


def test_a_window_inside_the_skipped_hour_vanishes(tutor_profile, weekly, schedule):
    schedule(tutor_profile, time_zone="America/New_York")
    weekly(tutor_profile, 6, "02:15", "02:45")
    assert windows(tutor_profile, "2027-03-14 00:00", "2027-03-15 00:00") == []


def test_a_window_starting_inside_the_skipped_hour_starts_at_the_change(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="America/New_York")
    weekly(tutor_profile, 6, "02:30", "04:00")
    assert windows(tutor_profile, "2027-03-14 00:00", "2027-03-15 00:00") == [
        (utc("2027-03-14 07:00"), utc("2027-03-14 08:00")),  # 03:00-04:00 EDT
    ]


def test_a_window_over_the_repeated_hour_in_autumn_lasts_an_hour_longer(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="Europe/London")
    weekly(tutor_profile, 6, "00:30", "02:30")
    assert windows(tutor_profile, "2027-10-30 12:00", "2027-10-31 12:00") == [
        (utc("2027-10-30 23:30"), utc("2027-10-31 02:30")),  # 00:30 BST to 02:30 GMT
    ]


def test_ambiguous_times_are_their_first_occurrence(tutor_profile, weekly, schedule):
    schedule(tutor_profile, time_zone="America/New_York")
    weekly(tutor_profile, 6, "01:00", "01:30")  # 01:00-02:00 happens twice on 2027-11-07
    assert windows(tutor_profile, "2027-11-07 00:00", "2027-11-08 00:00") == [
        (utc("2027-11-07 05:00"), utc("2027-11-07 05:30")),  # EDT
    ]


def test_the_schedules_own_zone_wins_over_the_tutor_accounts_zone(tutor_profile, weekly, schedule):
    assert tutor_profile.user.time_zone == "Europe/London"
    schedule(tutor_profile, time_zone="Asia/Tokyo")
    weekly(tutor_profile, 0, "09:00", "10:00")
    assert windows(tutor_profile, "2027-03-01 00:00", "2027-03-02 00:00") == [
        (utc("2027-03-01 00:00"), utc("2027-03-01 01:00")),
    ]


def test_without_a_schedule_zone_the_tutor_accounts_zone_is_used(tutor_profile, weekly):
    weekly(tutor_profile, 0, "09:00", "10:00")
    assert windows(tutor_profile, "2027-07-05 00:00", "2027-07-06 00:00") == [
        (utc("2027-07-05 08:00"), utc("2027-07-05 09:00")),  # London in summer
    ]


def test_windows_are_clipped_to_the_range_and_merged(tutor_profile, weekly, schedule):
    schedule(tutor_profile, time_zone="UTC")
    weekly(tutor_profile, 0, "09:00", "11:00")
    weekly(tutor_profile, 0, "11:00", "12:00")
    weekly(tutor_profile, 0, "10:00", "10:30")
    assert windows(tutor_profile, "2027-03-01 09:30", "2027-03-01 11:30") == [
        (utc("2027-03-01 09:30"), utc("2027-03-01 11:30")),
    ]


def test_an_evening_ending_at_23_59_runs_into_the_next_mornings_window(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="UTC")
    weekly(tutor_profile, 0, "22:00", "23:59")
    weekly(tutor_profile, 1, "00:00", "01:00")
    assert windows(tutor_profile, "2027-03-01 00:00", "2027-03-03 00:00") == [
        (utc("2027-03-01 22:00"), utc("2027-03-02 01:00")),
    ]


def test_a_whole_day_exception_removes_the_days_rules(tutor_profile, weekly, schedule, exception):
    schedule(tutor_profile, time_zone="UTC")
    daily(weekly, tutor_profile)
    exception(tutor_profile, "2027-03-02", "2027-03-03")
    assert windows(tutor_profile, "2027-03-01 00:00", "2027-03-05 00:00") == [
        (utc("2027-03-01 09:00"), utc("2027-03-01 12:00")),
        (utc("2027-03-04 09:00"), utc("2027-03-04 12:00")),
    ]


def test_a_part_day_exception_cuts_its_hours_out(tutor_profile, weekly, schedule, exception):
    schedule(tutor_profile, time_zone="Europe/London")
    daily(weekly, tutor_profile)
    exception(tutor_profile, "2027-07-05", times="10:00-11:00")
    assert windows(tutor_profile, "2027-07-05 00:00", "2027-07-06 00:00") == [
        (utc("2027-07-05 08:00"), utc("2027-07-05 09:00")),
        (utc("2027-07-05 10:00"), utc("2027-07-05 11:00")),
    ]


def test_extra_availability_adds_a_window_even_on_a_day_off(
    tutor_profile, weekly, schedule, exception
):
    schedule(tutor_profile, time_zone="UTC")
    daily(weekly, tutor_profile)
    exception(tutor_profile, "2027-03-01", "2027-03-07")
    exception(tutor_profile, "2027-03-03", times="14:00-15:00", kind=AVAILABLE)
    exception(tutor_profile, "2027-03-08", times="11:00-13:00", kind=AVAILABLE)
    assert windows(tutor_profile, "2027-03-01 00:00", "2027-03-09 00:00") == [
        (utc("2027-03-03 14:00"), utc("2027-03-03 15:00")),
        (utc("2027-03-08 09:00"), utc("2027-03-08 13:00")),
    ]


def test_another_tutors_rules_and_exceptions_do_not_count(
    acme, tutor_profile, teacher, weekly, exception
):
    _, other = teacher(acme, email="other@acme.test")  # both in London: GMT is UTC in March
    weekly(other, 0, "09:00", "12:00")
    exception(other, "2027-03-02", times="09:00-12:00", kind=AVAILABLE)
    weekly(tutor_profile, 0, "14:00", "15:00")
    exception(tutor_profile, "2027-03-01", times="14:30-15:00")
    assert windows(tutor_profile, "2027-03-01 00:00", "2027-03-03 00:00") == [
        (utc("2027-03-01 14:00"), utc("2027-03-01 14:30")),
    ]


def test_a_range_given_in_any_zone_means_the_same_instants(tutor_profile, weekly, schedule):
    schedule(tutor_profile, time_zone="Europe/London")
    daily(weekly, tutor_profile)
    tokyo = availability_windows(
        tutor=tutor_profile,
        start=at("2027-03-28 00:00", "Asia/Tokyo"),
        end=at("2027-03-30 00:00", "Asia/Tokyo"),
    )
    assert tokyo == windows(tutor_profile, "2027-03-27 15:00", "2027-03-29 15:00")


def test_naive_datetimes_are_refused(tutor_profile):
    with pytest.raises(ValueError, match="aware"):
        availability_windows(
            tutor=tutor_profile,
            start=dt.datetime.fromisoformat("2027-03-01T00:00"),
            end=dt.datetime.fromisoformat("2027-03-02T00:00"),
        )


def test_an_empty_or_reversed_range_has_no_windows(tutor_profile, weekly):
    daily(weekly, tutor_profile)
    assert windows(tutor_profile, "2027-03-02 00:00", "2027-03-01 00:00") == []
