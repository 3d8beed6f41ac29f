"""Free slots and the booking check: grid, DST, notice, horizon, buffers, busy times."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from crm.models import TutorProfile
from scheduling.models import AvailabilityRule, CalendarConnection, ExternalBusyTime, Session
from scheduling.selectors.slots import Slot, slot_check, slot_list
from tests.scheduling.availability.conftest import at, reads, utc

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_acme")]

NOW = utc("2027-02-25 00:00")  # before every date used below


def starts(profile, start, end, *, minutes=60, zone="UTC", now=NOW, **kwargs):
    slots = slot_list(
        tutor=profile,
        start=at(start, zone),
        end=at(end, zone),
        duration_minutes=minutes,
        now=now,
        **kwargs,
    )
    return [slot.starts_at for slot in slots]


def local(instants, zone):
    import zoneinfo

    return [i.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%m-%d %H:%M") for i in instants]


def check(profile, start, minutes=60, *, now=NOW, **kwargs):
    starts_at = utc(start)
    slot_check(
        tutor=profile,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=minutes),
        now=now,
        **kwargs,
    )


def refusal(profile, start, minutes=60, **kwargs) -> str:
    with pytest.raises(ValidationError) as caught:
        check(profile, start, minutes, **kwargs)
    return " ".join(caught.value.message_dict["starts_at"])


@pytest.fixture
def mornings(tutor_profile, weekly, schedule):
    """Every day 09:00-12:00 UTC, slots every 30 minutes."""
    schedule(tutor_profile, time_zone="UTC")
    for weekday in range(7):
        weekly(tutor_profile, weekday, "09:00", "12:00")
    return tutor_profile


def test_slots_lie_on_the_grid_inside_the_windows(mornings):
    assert local(starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00"), "UTC") == [
        "03-01 09:00",
        "03-01 09:30",
        "03-01 10:00",
        "03-01 10:30",
        "03-01 11:00",
    ]
    slot = slot_list(
        tutor=mornings,
        start=utc("2027-03-01 00:00"),
        end=utc("2027-03-02 00:00"),
        duration_minutes=90,
        now=NOW,
    )[-1]
    assert slot == Slot(starts_at=utc("2027-03-01 10:30"), ends_at=utc("2027-03-01 12:00"))
    assert slot.starts_at.tzinfo is not None


def test_a_window_starting_between_grid_marks_starts_at_the_next_mark(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="UTC", slot_interval_minutes=60)
    weekly(tutor_profile, 0, "09:10", "12:00")
    assert local(starts(tutor_profile, "2027-03-01 00:00", "2027-03-02 00:00"), "UTC") == [
        "03-01 10:00",
        "03-01 11:00",
    ]


@pytest.mark.parametrize(
    "case",
    [
        ("Europe/London", "2027-03-27", "2027-03-28", "2027-03-29", -1),
        ("Europe/London", "2027-10-30", "2027-10-31", "2027-11-01", 1),
        ("America/New_York", "2027-03-13", "2027-03-14", "2027-03-15", -1),
        ("America/New_York", "2027-11-06", "2027-11-07", "2027-11-08", 1),
    ],
)
def test_a_daily_0900_rule_gives_0900_local_on_both_sides_of_a_clock_change(
    tutor_profile, weekly, schedule, case
):
    zone, before, change, after, offset_shift = case
    schedule(tutor_profile, time_zone=zone, slot_interval_minutes=60)
    for weekday in range(7):
        weekly(tutor_profile, weekday, "09:00", "12:00")
    found = starts(tutor_profile, f"{before} 00:00", f"{after} 23:59", zone=zone)
    assert local(found, zone) == [
        f"{day[5:]} {hour}"
        for day in (before, change, after)
        for hour in ("09:00", "10:00", "11:00")
    ]
    first_before, first_after = found[0], found[-3]
    assert first_after - first_before == dt.timedelta(days=2, hours=offset_shift)


def test_hourly_slots_across_the_spring_gap_skip_the_missing_hour(tutor_profile, weekly, schedule):
    schedule(tutor_profile, time_zone="Europe/London", slot_interval_minutes=60)
    weekly(tutor_profile, 6, "00:00", "04:00")
    found = starts(tutor_profile, "2027-03-28 00:00", "2027-03-29 00:00", zone="Europe/London")
    assert found == [utc("2027-03-28 00:00"), utc("2027-03-28 01:00"), utc("2027-03-28 02:00")]
    assert local(found, "Europe/London") == ["03-28 00:00", "03-28 02:00", "03-28 03:00"]


def test_hourly_slots_across_the_autumn_repeat_offer_the_repeated_hour_twice(
    tutor_profile, weekly, schedule
):
    schedule(tutor_profile, time_zone="America/New_York", slot_interval_minutes=60)
    weekly(tutor_profile, 6, "00:00", "03:00")
    found = starts(tutor_profile, "2027-11-07 00:00", "2027-11-08 00:00", zone="America/New_York")
    assert found == [utc(f"2027-11-07 0{hour}:00") for hour in (4, 5, 6, 7)]
    assert local(found, "America/New_York") == [
        "11-07 00:00",
        "11-07 01:00",
        "11-07 01:00",
        "11-07 02:00",
    ]


def test_a_half_hour_clock_change_puts_slots_back_on_the_local_grid(
    tutor_profile, weekly, schedule
):
    # Lord Howe Island moves its clocks by 30 minutes (02:00 -> 02:30 on 2027-10-03).
    schedule(tutor_profile, time_zone="Australia/Lord_Howe", slot_interval_minutes=60)
    weekly(tutor_profile, 6, "00:00", "05:00")
    found = starts(
        tutor_profile, "2027-10-03 00:00", "2027-10-04 00:00", zone="Australia/Lord_Howe"
    )
    assert local(found, "Australia/Lord_Howe") == [
        "10-03 00:00",
        "10-03 01:00",
        "10-03 03:00",
        "10-03 04:00",
    ]


def test_slots_end_inside_the_range_end_only_by_their_start(mornings):
    found = starts(mornings, "2027-03-01 10:00", "2027-03-01 11:00")
    assert found == [utc("2027-03-01 10:00"), utc("2027-03-01 10:30")]


def test_minimum_notice_hides_slots_that_start_too_soon(mornings, schedule):
    schedule(mornings, minimum_notice_minutes=120, time_zone="UTC")
    found = starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00", now=utc("2027-03-01 08:15"))
    assert found[0] == utc("2027-03-01 10:30")


def test_the_booking_horizon_hides_slots_too_far_ahead(mornings, schedule):
    schedule(mornings, booking_horizon_days=2, time_zone="UTC")
    found = starts(mornings, "2027-03-01 00:00", "2027-03-10 00:00", now=utc("2027-03-01 10:00"))
    assert found[0] == utc("2027-03-01 10:00")
    assert found[-1] == utc("2027-03-03 10:00")


def test_sessions_hold_their_time_widened_by_the_buffer(
    mornings, schedule, booked, student_profile
):
    schedule(mornings, buffer_minutes=15, slot_interval_minutes=15, time_zone="UTC")
    booked(mornings, student_profile, utc("2027-03-01 10:00"))  # 10:00-11:00
    found = starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00", minutes=30)
    # 09:15-09:45 ends as the buffer begins; 11:15 starts as it ends.
    assert local(found, "UTC") == ["03-01 09:00", "03-01 09:15", "03-01 11:15", "03-01 11:30"]


def test_every_holding_status_blocks_and_released_sessions_do_not(
    mornings, booked, student_profile
):
    for hour, status in enumerate(Session.Status.values):
        booked(mornings, student_profile, utc(f"2027-03-0{hour + 1} 09:00"), 180, status=status)
    free_days = {slot.date() for slot in starts(mornings, "2027-03-01 00:00", "2027-03-08 00:00")}
    released = {"declined", "expired", "cancelled"}
    assert free_days == {
        dt.date(2027, 3, index + 1)
        for index, status in enumerate(Session.Status.values)
        if status in released
    }


def test_another_tutors_sessions_do_not_block(acme, mornings, teacher, booked, student_profile):
    _, other = teacher(acme, email="other@acme.test")
    booked(other, student_profile, utc("2027-03-01 09:00"), 180)
    assert len(starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00")) == 5


def test_the_session_being_moved_does_not_block_its_own_new_time(mornings, booked, student_profile):
    session = booked(mornings, student_profile, utc("2027-03-01 09:00"), 180)
    assert starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00") == []
    assert (
        len(starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00", exclude_session=session)) == 5
    )
    check(mornings, "2027-03-01 10:00", exclude_session=session)


@pytest.fixture
def calendar(tutor_profile):
    def make(status=CalendarConnection.Status.ACTIVE, user=None, provider="google"):
        return CalendarConnection.objects.create(
            user=user or tutor_profile.user, provider=provider, status=status
        )

    return make


def busy(connection, start, end):
    return ExternalBusyTime.objects.create(
        connection=connection, starts_at=utc(start), ends_at=utc(end)
    )


def test_busy_times_of_active_calendars_block_slots(mornings, calendar):
    busy(calendar(), "2027-03-01 09:30", "2027-03-01 10:15")
    found = starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00")
    assert local(found, "UTC") == ["03-01 10:30", "03-01 11:00"]
    assert "tutor is busy" in refusal(mornings, "2027-03-01 09:00")


def test_busy_times_of_broken_or_disconnected_calendars_and_other_people_do_not(
    mornings, calendar, member, acme
):
    busy(calendar(CalendarConnection.Status.ERROR), "2027-03-01 09:00", "2027-03-01 12:00")
    busy(
        calendar(CalendarConnection.Status.REVOKED, provider="microsoft"),
        "2027-03-01 09:00",
        "2027-03-01 12:00",
    )
    busy(calendar(user=member(acme, "staff").user), "2027-03-01 09:00", "2027-03-01 12:00")
    assert len(starts(mornings, "2027-03-01 00:00", "2027-03-02 00:00")) == 5


def test_a_tutor_without_an_account_yet_has_slots_in_utc(schedule):
    profile = TutorProfile.objects.create(invited_email="new@acme.test")
    schedule(profile, time_zone="")
    AvailabilityRule.objects.create(
        tutor=profile, weekday=0, start_time=dt.time(9), end_time=dt.time(10)
    )
    assert starts(profile, "2027-03-01 00:00", "2027-03-02 00:00") == [utc("2027-03-01 09:00")]


# The booking check -------------------------------------------------------------------------


def test_a_free_slot_on_the_grid_passes(mornings):
    check(mornings, "2027-03-01 09:30", 90)


def test_the_check_names_each_reason(mornings, schedule, booked, student_profile):
    schedule(
        mornings,
        time_zone="UTC",
        minimum_notice_minutes=24 * 60,
        booking_horizon_days=30,
        buffer_minutes=30,
    )
    now = utc("2027-03-01 08:00")
    assert "too soon: book at least 24 hours ahead" in refusal(
        mornings, "2027-03-01 10:00", now=now
    )
    assert "too far ahead: book at most 30 days ahead" in refusal(
        mornings, "2027-04-05 10:00", now=now
    )
    assert "outside the tutor's availability" in refusal(mornings, "2027-03-03 11:30", now=now)
    assert "outside the tutor's availability" in refusal(mornings, "2027-03-03 07:00", now=now)
    message = refusal(mornings, "2027-03-03 09:10", now=now)
    assert "30-minute grid" in message
    booked(mornings, student_profile, utc("2027-03-04 10:00"))
    assert "too close to another session" in refusal(mornings, "2027-03-04 09:00", now=now)
    assert "too close to another session" in refusal(mornings, "2027-03-04 10:30", now=now)
    check(mornings, "2027-03-04 11:30", 30, now=now)


def test_the_check_refuses_naive_and_reversed_times(mornings):
    with pytest.raises(ValidationError) as caught:
        slot_check(
            tutor=mornings,
            starts_at=dt.datetime.fromisoformat("2027-03-01T09:00"),
            ends_at=dt.datetime.fromisoformat("2027-03-01T10:00"),
        )
    assert "starts_at" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        slot_check(
            tutor=mornings, starts_at=utc("2027-03-01 10:00"), ends_at=utc("2027-03-01 09:00")
        )
    assert "ends_at" in caught.value.message_dict


def test_the_check_and_the_list_agree_across_a_clock_change(tutor_profile, weekly, schedule):
    schedule(tutor_profile, time_zone="America/New_York", slot_interval_minutes=60)
    weekly(tutor_profile, 6, "00:00", "04:00")
    for slot in starts(tutor_profile, "2027-03-14 00:00", "2027-03-15 00:00"):
        check(tutor_profile, slot.strftime("%Y-%m-%d %H:%M"))
    # 02:30 EST does not exist; 07:30 UTC is 03:30 EDT, off the hourly grid.
    assert "grid" in refusal(tutor_profile, "2027-03-14 07:30", 30)


# Queries -------------------------------------------------------------------------------------


def test_slot_list_reads_a_fixed_number_of_queries(
    mornings, booked, student_profile, calendar, exception
):
    mornings.schedule.time_zone = ""  # the zone then comes from the tutor's account
    mornings.schedule.save()
    connection = calendar()
    for day in range(1, 28):
        booked(mornings, student_profile, utc(f"2027-03-{day:02d} 09:00"), 30)
        busy(connection, f"2027-03-{day:02d} 11:00", f"2027-03-{day:02d} 11:30")
    exception(mornings, "2027-03-10", "2027-03-12")
    counts = []
    for days in (1, 7, 60):
        fresh = TutorProfile.objects.get(pk=mornings.pk)
        with reads() as done:
            found = slot_list(
                tutor=fresh,
                start=utc("2027-03-01 00:00"),
                end=utc("2027-03-01 00:00") + dt.timedelta(days=days),
                duration_minutes=60,
                now=NOW,
            )
        assert found
        counts.append(len(done))
    # schedule, the tutor's user (their zone), rules, exceptions, sessions, busy times
    assert counts == [6, 6, 6]
    fresh = TutorProfile.objects.select_related("user", "schedule").get(pk=mornings.pk)
    with reads() as done:
        slot_check(
            tutor=fresh,
            starts_at=utc("2027-03-01 09:30"),
            ends_at=utc("2027-03-01 10:30"),
            now=NOW,
        )
    # The schedule is read again even when loaded with the profile (schedule_for never
    # trusts a cached row); the user comes with the profile.
    assert len(done) == 5
