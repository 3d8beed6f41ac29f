"""Racing confirmations, each on its own database connection, complete a class once.

These tests commit (each thread's transaction must be visible to the others); the
tenant_factory drops the agencies they made.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from meetings.jobs_completion import completions_auto_confirm
from meetings.models import Attendance, SessionCompletion
from meetings.services import completion
from scheduling.models import Session

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 8


def _race(tenant, attempts: list[Callable[[], object]]) -> list[tuple[str, object]]:
    """Run every attempt at once, each in its own thread and connection.

    Returns ("done", result), ("refused", code) or ("error", repr) per attempt.
    """
    barrier = threading.Barrier(len(attempts))
    outcomes: list[tuple[str, object]] = []
    lock = threading.Lock()

    def run(attempt) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=60)
                outcome = ("done", attempt())
        except ApplicationError as error:
            outcome = ("refused", error.code)
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


def _confirm(actor, session_pk: int):
    def attempt():
        session = Session.objects.get(pk=session_pk)
        return completion.session_completion_confirm(actor=actor, session=session)

    return attempt


def test_simultaneous_confirmations_complete_the_class_once(desk, cast, signals):
    session = desk.session(-120)
    people = [cast.student, cast.parent, cast.staff, cast.owner] * (RACERS // 4)

    outcomes = _race(desk.tenant, [_confirm(person, session.pk) for person in people])

    assert sorted(kind for kind, _ in outcomes) == ["done"] + ["refused"] * (RACERS - 1), outcomes
    assert {code for kind, code in outcomes if kind == "refused"} == {"already_completed"}
    assert signals == [(session.pk, "completed")]
    with tenant_context(desk.tenant):
        assert SessionCompletion.objects.filter(session_id=session.pk).count() == 1
        assert Session.objects.get(pk=session.pk).status == Session.Status.COMPLETED


def test_overlapping_automatic_runs_confirm_each_class_once(desk, cast, signals, booked):
    sessions = [desk.session(-3 * 24 * 60 + 90 * n) for n in range(5)]
    for session in sessions:
        desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)
        desk.attend(session, cast.student.user, Attendance.Role.STUDENT)
    runs = [completions_auto_confirm for _ in range(4)]

    outcomes = _race(desk.tenant, runs)

    assert not [o for o in outcomes if o[0] == "error"], outcomes
    assert sum(count for _, count in outcomes) == len(sessions)
    assert sorted(signals) == sorted((s.pk, "completed") for s in sessions)
    with tenant_context(desk.tenant):
        assert set(SessionCompletion.objects.values_list("confirmed_via", flat=True)) == {
            SessionCompletion.Via.AUTOMATIC
        }
        assert not Session.objects.filter(status=Session.Status.CONFIRMED).exists()


def test_a_person_and_the_automatic_run_racing_complete_the_class_once(desk, cast, signals):
    session = desk.session(-3 * 24 * 60)
    desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)
    desk.attend(session, cast.student.user, Attendance.Role.STUDENT)
    confirm = _confirm(cast.student, session.pk)

    def by_student():
        return ("student", confirm())

    def by_clock():
        return ("automatic", completions_auto_confirm())

    outcomes = _race(desk.tenant, [by_student, by_clock])

    assert not [o for o in outcomes if o[0] == "error"], outcomes
    assert signals == [(session.pk, "completed")]
    with tenant_context(desk.tenant):
        via = SessionCompletion.objects.get(session_id=session.pk).confirmed_via
    done = dict(value for kind, value in outcomes if kind == "done")
    if via == SessionCompletion.Via.STUDENT:
        assert done["automatic"] == 0
    else:
        assert via == SessionCompletion.Via.AUTOMATIC
        assert (done, ("refused", "already_completed") in outcomes) == ({"automatic": 1}, True)
