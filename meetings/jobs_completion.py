"""Automatic confirmation of classes both sides attended.

Celery beat calls ``completions_auto_confirm_dispatch`` (every 15 minutes) in the public
schema; it queues ``completions_auto_confirm_run`` once per active tenant, which runs
``completions_auto_confirm`` there.

A class is due when it is still confirmed, its end plus the tenant's
``auto_confirm_hours`` has passed (0 turns this off), both sides attended
(``meetings.services.attendance.attended``: the tutor, and the student or a parent) and
nobody reported a problem. Classes without both sides present are left for people.
Runs may overlap or repeat: each class is confirmed under its row lock (rows another run
holds are skipped), so it is completed, and signalled, once.
"""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from audit.services import audit_record
from meetings.models import Attendance, MeetingSettings, SessionCompletion
from meetings.services.attendance import attended
from meetings.services.completion import completion_record, session_notify, student_side_users
from scheduling.dispatch import tenants_dispatch
from scheduling.models import Session

__all__ = [
    "completions_auto_confirm",
    "completions_auto_confirm_dispatch",
    "completions_auto_confirm_run",
]

Status = Session.Status
Via = SessionCompletion.Via
# Classes confirmed per run and tenant; the next run takes the rest.
AUTO_CONFIRM_BATCH = 500


def _due(cutoff: dt.datetime):
    """Confirmed sessions that ended before ``cutoff``, attended by both sides (the rule of
    ``attended``, as SQL) and without a reported problem."""
    present = Attendance.objects.filter(session=OuterRef("pk"))
    return (
        Session.objects.filter(status=Status.CONFIRMED, ends_at__lte=cutoff)
        .exclude(completion__problem_reported_at__isnull=False)
        .filter(
            Exists(present.filter(role=Attendance.Role.TUTOR)),
            Exists(present.filter(role__in=[Attendance.Role.STUDENT, Attendance.Role.PARENT])),
        )
        .order_by("ends_at", "id")
    )


def _auto_confirm(session_id: int, cutoff: dt.datetime, now: dt.datetime) -> bool:
    """Confirm one due session, unless another run or person holds or changed it."""
    with transaction.atomic():
        session = (
            Session.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("tutor__user", "student", "subject")
            .filter(pk=session_id, status=Status.CONFIRMED, ends_at__lte=cutoff)
            .first()
        )
        if session is None:
            return False
        completion = SessionCompletion.objects.filter(session_id=session.pk).first()
        if completion is not None and completion.problem_reported_at is not None:
            return False
        presence = attended(session)
        if not (presence["tutor"] and presence["student"]):
            return False
        completion_record(session, completion, by=None, via=Via.AUTOMATIC, now=now)
        audit_record(
            action="meetings.session.completed",
            target=session,
            data={"session": session.pk, "via": Via.AUTOMATIC},
        )
        session_notify(
            session=session,
            user_ids={session.tutor.user_id} | student_side_users(session),
            event="meetings.completion_confirmed",
            headline="Class confirmed",
            body=(
                "Both sides attended and nobody reported a problem, so the class was "
                "confirmed automatically. If something was wrong, contact the agency."
            ),
            context={"via": Via.AUTOMATIC},
        )
    return True


def completions_auto_confirm(*, now: dt.datetime | None = None) -> int:
    """Confirm, in the current tenant, every class both sides attended whose end is more
    than ``auto_confirm_hours`` ago and of which no problem was reported; return how many.

    Nothing happens when the setting is 0. Classes without both sides present are left
    for people to decide. Rows another run holds are skipped; that run confirms them.
    """
    now = now or timezone.now()
    hours = MeetingSettings.current().auto_confirm_hours
    if hours <= 0:
        return 0
    cutoff = now - dt.timedelta(hours=hours)
    due = list(_due(cutoff).values_list("pk", flat=True)[:AUTO_CONFIRM_BATCH])
    return sum(1 for pk in due if _auto_confirm(pk, cutoff, now))


# Celery ------------------------------------------------------------------------------------


@shared_task(acks_late=True)
def completions_auto_confirm_run() -> int:
    """Confirm the due classes of the tenant this task was queued in."""
    if connection.schema_name == get_public_schema_name():
        return 0
    return completions_auto_confirm()


@shared_task
def completions_auto_confirm_dispatch() -> int:
    """Beat entry: queue ``completions_auto_confirm_run`` in every active tenant."""
    return tenants_dispatch(completions_auto_confirm_run)
