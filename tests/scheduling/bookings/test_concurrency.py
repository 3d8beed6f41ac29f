"""Racing requests, each on its own database connection, never double-book.

These tests commit (each thread's transaction must be visible to the others); the
tenant_factory drops the agencies they made and pytest-django empties the tables.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import StudentProfile, Subject, TutorProfile
from scheduling.models import HOLDING_STATUSES, Session, TutorSchedule
from scheduling.services import bookings
from tests.scheduling.bookings.conftest import at
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 20


def _students(tenant, owner: Membership, count: int) -> list[StudentProfile]:
    with tenant_context(tenant):
        return [
            crm.student_create(actor=owner, first_name=f"Racer{n}", date_of_birth=dob_for(20))
            for n in range(count)
        ]


def _race(tenant, attempts: list[Callable[[], Session]]) -> list[tuple[str, object]]:
    """Run every attempt at once, each in its own thread and connection.

    Returns ("booked", session), ("refused", message_dict) or ("error", repr) per attempt.
    """
    barrier = threading.Barrier(len(attempts))
    outcomes: list[tuple[str, object]] = []
    lock = threading.Lock()

    def run(attempt: Callable[[], Session]) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=60)
                outcome = ("booked", attempt())
        except ValidationError as error:
            outcome = ("refused", error.message_dict)
        except Exception as error:  # any other failure is what we look for
            outcome = ("error", repr(error))
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _request(tutor_pk: int, student_pk: int, subject_pk: int, actor, starts_at):
    """A request that loads its own rows, as a separate web request would."""

    def attempt() -> Session:
        return bookings.session_request(
            actor=actor,
            tutor=TutorProfile.objects.select_related("user").get(pk=tutor_pk),
            student=StudentProfile.objects.get(pk=student_pk),
            subject=Subject.objects.get(pk=subject_pk),
            starts_at=starts_at,
            duration_minutes=60,
        )

    return attempt


def _holding(tenant) -> list[Session]:
    with tenant_context(tenant):
        return list(Session.objects.filter(status__in=HOLDING_STATUSES).order_by("starts_at"))


def test_twenty_requests_for_one_slot_give_exactly_one_booking(acme, owner, open_week, maths):
    students = _students(acme, owner, RACERS)
    attempts = [_request(open_week.pk, s.pk, maths.pk, owner, at(72)) for s in students]

    outcomes = _race(acme, attempts)

    kinds = sorted(kind for kind, _ in outcomes)
    assert kinds == ["booked"] + ["refused"] * (RACERS - 1), outcomes
    assert all(set(detail) == {"starts_at"} for kind, detail in outcomes if kind == "refused")
    [held] = _holding(acme)
    [(_, booked)] = [outcome for outcome in outcomes if outcome[0] == "booked"]
    assert (held.pk, held.starts_at, held.status) == (booked.pk, at(72), "requested")


def test_twenty_requests_for_overlapping_slots_never_overlap(acme, owner, open_week, maths):
    students = _students(acme, owner, RACERS)
    # Hour-long requests starting every half hour: each overlaps its neighbours.
    starts = [at(72) + dt.timedelta(minutes=30 * n) for n in range(RACERS)]
    attempts = [
        _request(open_week.pk, s.pk, maths.pk, owner, start)
        for s, start in zip(students, starts, strict=True)
    ]

    outcomes = _race(acme, attempts)

    assert not [o for o in outcomes if o[0] == "error"], outcomes
    booked = [session for kind, session in outcomes if kind == "booked"]
    refused = [detail for kind, detail in outcomes if kind == "refused"]
    assert len(booked) + len(refused) == RACERS
    # At most every other start can be kept; at least one always is.
    assert 1 <= len(booked) <= RACERS // 2
    assert all(set(detail) == {"starts_at"} for detail in refused)
    held = _holding(acme)
    assert sorted(s.pk for s in held) == sorted(s.pk for s in booked)
    for earlier, later in itertools.pairwise(held):
        assert earlier.ends_at <= later.starts_at


def test_one_student_requested_of_several_tutors_at_once_gets_one_session(
    acme, owner, teacher, weekly, maths
):
    profiles = []
    for n in range(4):
        _, profile = teacher(acme, first_name=f"Tutor{n}", email=f"racer-tutor{n}@acme.test")
        for weekday in range(7):
            weekly(profile, weekday, "00:00", "23:59")
        profiles.append(profile)
    [student] = _students(acme, owner, 1)
    attempts = [_request(p.pk, student.pk, maths.pk, owner, at(72)) for p in profiles]

    outcomes = _race(acme, attempts)

    assert sorted(kind for kind, _ in outcomes) == ["booked", "refused", "refused", "refused"]
    assert [detail for kind, detail in outcomes if kind == "refused"] == [
        {"starts_at": ["The student already has a session at this time."]}
    ] * 3
    assert len(_holding(acme)) == 1


def test_racing_requests_cannot_squeeze_past_the_tutors_buffer(acme, owner, open_week, maths):
    with tenant_context(acme):
        TutorSchedule.objects.update_or_create(tutor=open_week, defaults={"buffer_minutes": 30})
    students = _students(acme, owner, RACERS)
    # Back-to-back hours: the database alone would take all of them; the buffer allows
    # at most every other one.
    starts = [at(72 + n) for n in range(RACERS)]
    attempts = [
        _request(open_week.pk, s.pk, maths.pk, owner, start)
        for s, start in zip(students, starts, strict=True)
    ]

    outcomes = _race(acme, attempts)

    assert not [o for o in outcomes if o[0] == "error"], outcomes
    held = _holding(acme)
    assert 1 <= len(held) <= RACERS // 2
    for earlier, later in itertools.pairwise(held):
        assert later.starts_at - earlier.ends_at >= dt.timedelta(minutes=30)
