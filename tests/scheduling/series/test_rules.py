"""The RRULE a series stores and the occurrences it gives, across daylight-saving changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from dateutil.rrule import rrulestr

from scheduling.selectors.series import occurrences_expand, series_rule, until_bound

LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def local(text: str, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=zone)


def expand(frequency: str, first: dt.datetime, zone, **bound) -> list[dt.datetime]:
    rule = series_rule(frequency=frequency, first_starts_at=first, zone=zone, **bound)
    return occurrences_expand(rrule=rule, first_starts_at=first, time_zone=zone.key)


def test_a_weekly_london_class_stays_at_17_local_across_both_changes():
    first = local("2027-03-16 17:00", LONDON)  # the clocks go forward on 28 March
    starts = expand("weekly", first, LONDON, count=36)  # ... and back on 31 October
    assert all(s.astimezone(LONDON).time() == dt.time(17) for s in starts)
    assert [s.astimezone(UTC).hour for s in starts[:4]] == [17, 17, 16, 16]
    autumn = [s for s in starts if dt.date(2027, 10, 20) < s.date() < dt.date(2027, 11, 10)]
    assert [(s.date(), s.astimezone(UTC).hour) for s in autumn] == [
        (dt.date(2027, 10, 26), 16),
        (dt.date(2027, 11, 2), 17),
        (dt.date(2027, 11, 9), 17),
    ]
    assert all(s.tzinfo == UTC for s in starts)


def test_a_weekly_new_york_class_stays_at_17_local_across_both_changes():
    first = local("2027-03-06 17:00", NEW_YORK)  # a Saturday; forward 14 March, back 7 November
    starts = expand("weekly", first, NEW_YORK, until=dt.date(2027, 11, 20))
    assert all(s.astimezone(NEW_YORK).time() == dt.time(17) for s in starts)
    utc_hours = {s.date(): s.astimezone(UTC).hour for s in starts}
    assert utc_hours[dt.date(2027, 3, 6)] == 22
    assert utc_hours[dt.date(2027, 3, 13)] == 22
    assert utc_hours[dt.date(2027, 3, 20)] == 21
    assert utc_hours[dt.date(2027, 11, 6)] == 21
    assert utc_hours[dt.date(2027, 11, 13)] == 22
    assert max(utc_hours) == dt.date(2027, 11, 20)


def test_a_local_time_that_does_not_exist_that_day_moves_forward_by_the_gap():
    first = local("2027-03-21 01:30", LONDON)  # 01:00-02:00 is skipped on 28 March
    starts = [s.astimezone(LONDON) for s in expand("weekly", first, LONDON, count=3)]
    assert [s.strftime("%m-%d %H:%M %Z") for s in starts] == [
        "03-21 01:30 GMT",
        "03-28 02:30 BST",
        "04-04 01:30 BST",
    ]


def test_a_local_time_that_happens_twice_is_the_first_of_the_two():
    first = local("2027-10-24 01:30", LONDON)  # 01:00-02:00 happens twice on 31 October
    starts = expand("weekly", first, LONDON, count=2)
    assert starts[1] == dt.datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 01:30 BST


def test_fortnightly_is_every_other_week():
    first = local("2027-01-05 09:00", LONDON)
    rule = series_rule(frequency="fortnightly", first_starts_at=first, zone=LONDON, count=4)
    assert rule == "FREQ=WEEKLY;INTERVAL=2;COUNT=4"
    starts = expand("fortnightly", first, LONDON, count=4)
    assert [s.date().isoformat() for s in starts] == [
        "2027-01-05",
        "2027-01-19",
        "2027-02-02",
        "2027-02-16",
    ]


def test_weekly_rule_text():
    first = local("2027-01-05 09:00", LONDON)
    assert series_rule(frequency="weekly", first_starts_at=first, zone=LONDON, count=10) == (
        "FREQ=WEEKLY;INTERVAL=1;COUNT=10"
    )


def test_monthly_keeps_the_weekday_position():
    first = local("2027-01-12 16:00", LONDON)  # the second Tuesday
    rule = series_rule(frequency="monthly", first_starts_at=first, zone=LONDON, count=4)
    assert rule == "FREQ=MONTHLY;BYDAY=+2TU;COUNT=4"
    starts = expand("monthly", first, LONDON, count=4)
    assert [s.date().isoformat() for s in starts] == [
        "2027-01-12",
        "2027-02-09",
        "2027-03-09",
        "2027-04-13",
    ]
    assert all(s.astimezone(LONDON).hour == 16 for s in starts)


def test_a_monthly_series_starting_in_a_fifth_week_falls_on_the_last_such_weekday():
    first = local("2027-03-30 16:00", LONDON)  # the fifth (and last) Tuesday of March
    rule = series_rule(frequency="monthly", first_starts_at=first, zone=LONDON, count=4)
    assert rule == "FREQ=MONTHLY;BYDAY=-1TU;COUNT=4"
    starts = expand("monthly", first, LONDON, count=4)
    assert [s.date().isoformat() for s in starts] == [
        "2027-03-30",
        "2027-04-27",
        "2027-05-25",
        "2027-06-29",
    ]


def test_a_fourth_weekday_stays_the_fourth_even_when_it_is_also_the_last():
    first = local("2027-02-23 16:00", LONDON)  # fourth and last Tuesday of February
    assert series_rule(frequency="monthly", first_starts_at=first, zone=LONDON, count=2) == (
        "FREQ=MONTHLY;BYDAY=+4TU;COUNT=2"
    )
    assert [s.date().isoformat() for s in expand("monthly", first, LONDON, count=2)] == [
        "2027-02-23",
        "2027-03-23",
    ]


def test_until_is_the_end_of_that_local_day_in_utc_and_includes_it():
    first = local("2027-06-01 23:30", NEW_YORK)  # 03:30 UTC on the next day
    rule = series_rule(
        frequency="weekly", first_starts_at=first, zone=NEW_YORK, until=dt.date(2027, 6, 15)
    )
    assert rule == "FREQ=WEEKLY;INTERVAL=1;UNTIL=20270616T035959Z"
    starts = occurrences_expand(rrule=rule, first_starts_at=first, time_zone="America/New_York")
    assert [s.astimezone(NEW_YORK).date().isoformat() for s in starts] == [
        "2027-06-01",
        "2027-06-08",
        "2027-06-15",
    ]


def test_count_and_until_give_the_same_dates_for_the_same_span():
    first = local("2027-05-04 10:00", LONDON)
    by_count = expand("weekly", first, LONDON, count=5)
    by_until = expand("weekly", first, LONDON, until=dt.date(2027, 6, 1))
    assert by_count == by_until


def test_stored_rules_parse_back_as_rfc_5545():
    first = local("2027-05-04 10:00", LONDON)
    rule = series_rule(
        frequency="monthly", first_starts_at=first, zone=LONDON, until=dt.date(2027, 12, 31)
    )
    parsed = rrulestr(rule, dtstart=first.astimezone(UTC))
    assert parsed[0] == first


def test_a_rule_needs_exactly_one_bound():
    first = local("2027-05-04 10:00", LONDON)
    with pytest.raises(ValueError, match="exactly one"):
        series_rule(frequency="weekly", first_starts_at=first, zone=LONDON)
    with pytest.raises(ValueError, match="exactly one"):
        series_rule(
            frequency="weekly", first_starts_at=first, zone=LONDON, count=2, until=first.date()
        )


def test_the_end_date_bound_is_a_year_on_and_copes_with_29_february():
    assert until_bound(dt.date(2027, 5, 4)) == dt.date(2028, 5, 4)
    assert until_bound(dt.date(2028, 2, 29)) == dt.date(2029, 2, 28)
