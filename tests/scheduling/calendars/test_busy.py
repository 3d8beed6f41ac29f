"""Busy times read from tutors' calendars block their slots; the platform's own events don't."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from scheduling.calendars import tasks
from scheduling.calendars.busy import busy_subtract
from scheduling.models import CalendarConnection, ExternalBusyTime, Session
from scheduling.policy import schedule_for
from scheduling.selectors.slots import slot_list

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
UTC = dt.UTC


def _next_monday() -> dt.date:
    """A Monday at least two days ahead (past the tutor's minimum notice)."""
    today = timezone.now().astimezone(LONDON).date()
    ahead = (7 - today.weekday()) % 7 or 7
    return today + dt.timedelta(days=ahead if ahead >= 2 else ahead + 7)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def _busy_rows(tenant) -> list[tuple[dt.datetime, dt.datetime]]:
    with tenant_context(tenant):
        return list(ExternalBusyTime.objects.values_list("starts_at", "ends_at"))


def _refresh(connection: CalendarConnection, tenant):
    with tenant_context(tenant):
        return tasks.calendar_busy_refresh.delay(connection.pk).get()


def _slot_starts(tenant, tutor_profile, day: dt.date) -> list[str]:
    with tenant_context(tenant):
        slots = slot_list(
            tutor=tutor_profile,
            start=_at(day, 0),
            end=_at(day + dt.timedelta(days=1), 0),
            duration_minutes=60,
        )
    return [slot.starts_at.astimezone(LONDON).strftime("%H:%M") for slot in slots]


def test_busy_times_from_google_block_the_tutors_slots(
    fake, connected, tutor, tutor_profile, weekly
):
    monday = _next_monday()
    weekly(tutor_profile, 0, "09:00", "17:00")
    connection = connected(tutor, "google")
    assert "13:00" in _slot_starts(tutor.tenant, tutor_profile, monday)

    fake.add_busy("google", _at(monday, 13), _at(monday, 14))
    assert _refresh(connection, tutor.tenant) == 1

    starts = _slot_starts(tutor.tenant, tutor_profile, monday)
    assert {"12:30", "13:00", "13:30"}.isdisjoint(starts)
    assert {"12:00", "14:00"} <= set(starts)
    [query] = fake.calls("POST", "/freeBusy")
    assert query.json["items"] == [{"id": "primary"}]
    assert query.json["timeZone"] == "UTC"


def test_the_tutors_own_pushed_sessions_do_not_block_themselves(
    fake, connected, tutor, lesson, announce
):
    monday = _next_monday()
    connection = connected(tutor, "google")
    announce(
        lesson,
        "confirmed",
        status=Session.Status.CONFIRMED,
        starts_at=_at(monday, 10),
        ends_at=_at(monday, 11),
    )
    # Another commitment overlaps the end of the session.
    fake.add_busy("google", _at(monday, 10, 30), _at(monday, 11, 30))

    _refresh(connection, tutor.tenant)

    assert _busy_rows(tutor.tenant) == [(_at(monday, 11), _at(monday, 11, 30))]


def test_a_refresh_replaces_what_the_last_one_read(fake, connected, tutor, tutor_profile):
    monday = _next_monday()
    connection = connected(tutor, "google")
    fake.add_busy("google", _at(monday, 9), _at(monday, 10))
    fake.add_busy("google", _at(monday, 15), _at(monday, 16))
    _refresh(connection, tutor.tenant)
    assert len(_busy_rows(tutor.tenant)) == 2

    fake.busy["google"] = [{"start": _at(monday, 12), "end": _at(monday, 12, 30)}]
    _refresh(connection, tutor.tenant)

    assert _busy_rows(tutor.tenant) == [(_at(monday, 12), _at(monday, 12, 30))]
    with tenant_context(tutor.tenant):
        assert CalendarConnection.objects.get().busy_synced_at is not None


def test_outlook_busy_times_come_from_every_page_of_the_calendar_view(
    fake, connected, tutor, tutor_profile
):
    monday = _next_monday()
    connection = connected(tutor, "microsoft")
    fake.add_busy("microsoft", _at(monday, 9), _at(monday, 10), showAs="busy")
    fake.add_busy("microsoft", _at(monday, 10), _at(monday, 11), showAs="free")
    fake.add_busy("microsoft", _at(monday, 11), _at(monday, 12), isCancelled=True)
    fake.add_busy("microsoft", _at(monday, 13), _at(monday, 14), showAs="oof")
    fake.add_busy("microsoft", _at(monday, 14), _at(monday, 15), showAs="tentative")

    assert _refresh(connection, tutor.tenant) == 2

    assert _busy_rows(tutor.tenant) == [
        (_at(monday, 9), _at(monday, 10)),
        (_at(monday, 13), _at(monday, 15)),
    ]
    pages = fake.calls("GET", "/graph/v1.0/me/calendarView")
    assert len(pages) == 3
    assert pages[0].headers["prefer"] == 'outlook.timezone="UTC"'
    assert pages[0].query["$select"] == "id,showAs,isCancelled,start,end"


def test_the_whole_booking_horizon_is_read_in_parts_the_provider_accepts(
    fake, connected, tutor, tutor_profile
):
    with tenant_context(tutor.tenant):
        schedule = schedule_for(tutor_profile)
        schedule.booking_horizon_days = 90
        schedule.save()
    connection = connected(tutor, "google")
    _refresh(connection, tutor.tenant)
    spans = [
        dt.datetime.fromisoformat(q.json["timeMax"]) - dt.datetime.fromisoformat(q.json["timeMin"])
        for q in fake.calls("POST", "/freeBusy")
    ]
    assert spans == [dt.timedelta(days=60), dt.timedelta(days=30)]
    start = dt.datetime.fromisoformat(fake.calls("POST", "/freeBusy")[0].json["timeMin"])
    assert abs(start - timezone.now()) < dt.timedelta(minutes=5)


def test_a_students_busy_times_are_not_read(fake, connected, student):
    connection = connected(student, "google")
    assert _refresh(connection, student.tenant) == "not a tutor"
    assert fake.requests == []


def test_a_busy_refresh_is_retried_after_a_rate_limit(
    fake, connected, tutor, tutor_profile, retries
):
    connection = connected(tutor, "google")
    fake.fail("POST", "/freeBusy", 429, headers={"Retry-After": "12"})
    fake.add_busy("google", _at(_next_monday(), 9), _at(_next_monday(), 10))
    assert _refresh(connection, tutor.tenant) == 1
    assert retries == [12]


def test_the_periodic_refresh_reaches_tutors_in_every_tenant(
    fake, connected, tutor, student, globex, teacher
):
    acme_tutor = connected(tutor, "google")
    connected(student, "google")
    globex_membership, _ = teacher(globex)
    globex_tutor = connected(globex_membership, "microsoft")

    tasks.calendar_busy_dispatch.delay().get()

    assert len(fake.calls("POST", "/freeBusy")) == 1  # acme's tutor, not the student
    assert len(fake.calls("GET", "/calendarView")) == 1
    with tenant_context(tutor.tenant):
        assert CalendarConnection.objects.get(pk=acme_tutor.pk).busy_synced_at is not None
    with tenant_context(globex):
        assert CalendarConnection.objects.get(pk=globex_tutor.pk).busy_synced_at is not None


def test_busy_subtract_cuts_own_events_out_of_merged_busy_periods():
    def t(hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime(2031, 1, 6, hour, minute, tzinfo=UTC)

    busy = [(t(9), t(10)), (t(9, 30), t(11)), (t(13), t(14)), (t(15), t(16))]
    own = [(t(10), t(10, 30)), (t(13), t(14)), (t(15, 15), t(15, 45))]
    assert busy_subtract(busy, own) == [
        (t(9), t(10)),
        (t(10, 30), t(11)),
        (t(15), t(15, 15)),
        (t(15, 45), t(16)),
    ]
    assert busy_subtract([], own) == []
    assert busy_subtract(busy[:1], []) == [(t(9), t(10))]
