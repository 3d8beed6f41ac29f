"""Tutors' busy times read from their connected calendars.

For connections of tutors, ``busy_refresh`` reads the busy periods of the next booking
horizon and replaces the connection's ``ExternalBusyTime`` rows in one transaction; slot
computation (``scheduling.selectors.slots``) treats them as taken while the connection is
active. Periods of the events the platform pushed itself are cut out, so a session never
blocks its own slot (the session holds it anyway); where another commitment overlaps a
session only the part outside the session is kept, which blocks the same slots. Students'
and parents' busy times are not read: nothing of theirs is offered as availability.

Google's free/busy query says when, not why; Outlook's calendar view is read with only
times and show-as status selected, never subjects.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from crm.models import TutorProfile
from scheduling.calendars.access import CalendarAccess, connection_step
from scheduling.models import CalendarConnection, ExternalBusyTime
from scheduling.policy import schedule_for

__all__ = ["busy_refresh", "busy_refresh_queue", "busy_subtract"]

# Providers answer for a limited range at a time (Graph's free/busy: 62 days).
BUSY_CHUNK = dt.timedelta(days=60)


def _merged(periods: Iterable[tuple[dt.datetime, dt.datetime]]) -> list[list[dt.datetime]]:
    merged: list[list[dt.datetime]] = []
    for start, end in sorted(p for p in periods if p[1] > p[0]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def busy_subtract(
    busy: Iterable[tuple[dt.datetime, dt.datetime]],
    own: Iterable[tuple[dt.datetime, dt.datetime]],
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Merged ``busy`` periods with the ``own`` periods cut out of them."""
    holes = _merged(own)
    result: list[tuple[dt.datetime, dt.datetime]] = []
    for start, end in _merged(busy):
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def busy_refresh(*, connection_id: int, now: dt.datetime | None = None) -> int | str:
    """Replace a tutor's connection's busy times for the next booking horizon.

    Returns how many periods were stored (or why nothing was done).
    """

    def work(connection: CalendarConnection, access: CalendarAccess) -> int | str:
        tutor = TutorProfile.objects.filter(user_id=connection.user_id).first()
        if tutor is None:
            return "not a tutor"
        start = (now or timezone.now()).replace(microsecond=0)
        end = start + dt.timedelta(days=schedule_for(tutor).booking_horizon_days)
        own = list(connection.events.values_list("event_id", "synced_starts_at", "synced_ends_at"))
        own_ids = frozenset(event_id for event_id, _, _ in own)
        adapter = access.adapter
        periods: list[tuple[dt.datetime, dt.datetime]] = []
        chunk_start = start
        while chunk_start < end:
            chunk_end = min(chunk_start + BUSY_CHUNK, end)
            periods += access.call(
                lambda token, low=chunk_start, high=chunk_end: adapter.busy_times(
                    access_token=token,
                    calendar_id=connection.calendar_id,
                    start=low,
                    end=high,
                    ignore_event_ids=own_ids,
                )
            )
            chunk_start = chunk_end
        clipped = ((max(s, start), min(e, end)) for s, e in periods)
        busy = busy_subtract(clipped, ((s, e) for _, s, e in own))
        ExternalBusyTime.objects.filter(connection=connection).delete()
        ExternalBusyTime.objects.bulk_create(
            ExternalBusyTime(connection=connection, starts_at=s, ends_at=e) for s, e in busy
        )
        connection.busy_synced_at = timezone.now()
        connection.last_error = ""
        connection.save(update_fields=["busy_synced_at", "last_error", "updated_at"])
        return len(busy)

    return connection_step(connection_id, work)


def busy_refresh_queue() -> int:
    """Queue a busy-time refresh for every active connection of a tutor in this tenant."""
    from scheduling.calendars.tasks import calendar_busy_refresh

    tutors = TutorProfile.objects.filter(user__isnull=False).values("user_id")
    connection_ids = list(
        CalendarConnection.objects.filter(
            status=CalendarConnection.Status.ACTIVE, user_id__in=tutors
        ).values_list("pk", flat=True)
    )
    for connection_id in connection_ids:
        calendar_busy_refresh.delay(connection_id)
    return len(connection_ids)
