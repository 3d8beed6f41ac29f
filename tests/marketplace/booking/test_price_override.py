"""``session_request`` and ``series_create`` take an agreed price instead of the tutor's
rate (a gig's); without one they charge the rate, as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from crm.models import Subject
from scheduling.models import Session
from scheduling.services.bookings import price_agreed, session_request
from scheduling.services.series import series_create
from tests.listings.pages.conftest import LONDON, london
from tests.scheduling.conftest import (
    HOURLY_RATE_MINOR,
    student,
    student_pair,
    student_profile,
    tutor,
    tutor_pair,
    tutor_profile,
)

__all__ = ["student", "student_pair", "student_profile", "tutor", "tutor_pair", "tutor_profile"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def free_all_week(tutor_profile, weekly):
    for weekday in range(7):
        weekly(tutor_profile, weekday, "08:00", "20:00")


def _request(student, student_profile, tutor_profile, starts_at, **extra) -> Session:
    return session_request(
        actor=student,
        tutor=tutor_profile,
        student=student_profile,
        subject=Subject.objects.get(slug="mathematics"),
        starts_at=starts_at,
        duration_minutes=60,
        **extra,
    )


def test_a_request_with_an_agreed_price_charges_it_not_the_tutors_rate(
    acme, free_all_week, student, student_profile, tutor_profile
):
    with tenant_context(acme):
        session = _request(
            student, student_profile, tutor_profile, london(2, 10), price=(2750, "EUR")
        )
        session.refresh_from_db()
    assert (session.price_minor, session.currency) == (2750, "EUR")


def test_a_request_without_one_still_charges_the_tutors_rate(
    acme, free_all_week, student, student_profile, tutor_profile
):
    with tenant_context(acme):
        session = _request(student, student_profile, tutor_profile, london(2, 10))
    assert (session.price_minor, session.currency) == (HOURLY_RATE_MINOR, "GBP")


def test_a_series_with_an_agreed_price_charges_it_for_every_session(
    acme, free_all_week, student, student_profile, tutor_profile
):
    with tenant_context(acme):
        series = series_create(
            actor=student,
            tutor=tutor_profile,
            student=student_profile,
            subject=Subject.objects.get(slug="mathematics"),
            first_starts_at=london(2, 10),
            duration_minutes=60,
            frequency="weekly",
            count=3,
            price=(1999, "GBP"),
        )
        prices = set(series.sessions.values_list("price_minor", "currency"))
        starts = list(series.sessions.order_by("starts_at").values_list("starts_at", flat=True))
    assert prices == {(1999, "GBP")}
    first = london(2, 10)
    assert [start.astimezone(LONDON) for start in starts] == [
        first + dt.timedelta(weeks=n) for n in range(3)
    ]


@pytest.mark.parametrize(
    "price",
    [(-1, "GBP"), (True, "GBP"), (100, "gbp"), (100, "GB"), (100,), "100 GBP", (1.5, "GBP")],
)
def test_a_malformed_agreed_price_is_a_programming_error(price):
    with pytest.raises(ValueError, match="Not a price"):
        price_agreed(price)
