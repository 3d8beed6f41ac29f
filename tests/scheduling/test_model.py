"""The database itself refuses double bookings, whatever the code above it does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from scheduling.models import Session
from tests.scheduling.conftest import in_tenant_of

pytestmark = pytest.mark.django_db

START = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0, second=0, minute=0)


def test_a_tutor_cannot_hold_two_overlapping_sessions(
    tutor_profile, student_profile, learner, booked
):
    booked(tutor_profile, student_profile, START)
    _, other = learner(first_name="Olive")
    with pytest.raises(IntegrityError, match="scheduling_session_tutor_no_overlap"):
        booked(tutor_profile, other, START + dt.timedelta(minutes=59))


def test_a_student_cannot_hold_two_overlapping_sessions(
    tutor_profile, student_profile, teacher, booked, acme
):
    booked(tutor_profile, student_profile, START)
    _, second_tutor = teacher(acme, first_name="Una")
    with pytest.raises(IntegrityError, match="scheduling_session_student_no_overlap"):
        booked(second_tutor, student_profile, START - dt.timedelta(minutes=30))


def test_back_to_back_sessions_and_released_slots_are_allowed(
    tutor_profile, student_profile, learner, booked
):
    first = booked(tutor_profile, student_profile, START)
    _, other = learner(first_name="Olive")
    # [start, end) ranges: one may begin the minute the other ends.
    booked(tutor_profile, other, START + dt.timedelta(hours=1))
    with in_tenant_of(tutor_profile):
        Session.objects.filter(pk=first.pk).update(status=Session.Status.CANCELLED)
    booked(tutor_profile, other, START - dt.timedelta(minutes=30), minutes=90)


def test_a_session_must_end_after_it_starts(tutor_profile, student_profile, booked):
    with (
        pytest.raises(IntegrityError, match="scheduling_session_ends_after_start"),
        transaction.atomic(),
    ):
        booked(tutor_profile, student_profile, START, minutes=0)
