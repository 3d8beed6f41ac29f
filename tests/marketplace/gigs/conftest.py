"""Helpers for the gig tests: a listed agency with a tutor, payloads, reading rows back.

``acme`` lists itself on the marketplace here unless a test says otherwise (``unlisted``);
its tutor Theo teaches mathematics (secondary) and has no weekly hours until given some.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from crm.models import Subject
from marketplace.models import Gig, GigBooking, GigPackage

GIG = "/api/v1/marketplace/gigs/"


def gig_url(gig, action: str = "") -> str:
    return f"{GIG}{gig.pk}/{action + '/' if action else ''}"


def subject_id(tenant, slug: str = "mathematics") -> int:
    with tenant_context(tenant):
        return Subject.objects.get(slug=slug).pk


def payload(tenant, **fields) -> dict:
    """A complete gig as the API takes it (one package of 4 sessions)."""
    return {
        "title": "GCSE maths, step by step",
        "subject_id": subject_id(tenant),
        "level": "secondary",
        "difficulty": "intermediate",
        "languages": ["en", "fr"],
        "description": "Algebra, geometry and exam technique for Year 10 and 11.",
        "price_minor": 3000,
        "currency": "GBP",
        "duration_minutes": 60,
        "packages": [{"sessions": 4, "price_minor": 11000}],
        **fields,
    }


def gig_in(tenant, pk: int) -> Gig | None:
    with tenant_context(tenant):
        return Gig.objects.filter(pk=pk).first()


def packages_of(tenant, gig) -> list[tuple[int, int]]:
    with tenant_context(tenant):
        return list(GigPackage.objects.filter(gig_id=gig.pk).values_list("sessions", "price_minor"))


def gig_count(tenant) -> int:
    with tenant_context(tenant):
        return Gig.objects.count()


def audits(action: str, gig=None) -> list[AuditEntry]:
    entries = AuditEntry.objects.filter(action=action)
    if gig is not None:
        entries = entries.filter(target_type="marketplace.gig", target_id=str(gig.pk))
    return list(entries.order_by("id"))


@pytest.fixture
def listed(acme):
    acme.marketplace_listed = True
    acme.save(update_fields=["marketplace_listed"])
    return acme


@pytest.fixture
def theo_pair(listed, teacher):
    """acme's tutor (mathematics, secondary), without weekly hours."""
    return teacher(listed)


@pytest.fixture
def theo(theo_pair):
    return theo_pair[0]


@pytest.fixture
def theo_profile(theo_pair):
    return theo_pair[1]


@pytest.fixture
def draft(gig_factory, theo_profile):
    """A complete draft of Theo's in acme."""
    return gig_factory(theo_profile, status=Gig.Status.DRAFT)


@pytest.fixture
def gig_booked(booked, learner):
    """``gig_booked(gig)`` → a GigBooking of a confirmed session a week ahead."""

    def make(gig: Gig, tenant) -> GigBooking:
        student, profile = learner()
        session = booked(gig.tutor, profile, timezone.now() + dt.timedelta(days=7))
        with tenant_context(tenant):
            return GigBooking.objects.create(session=session, gig=gig, booked_by=student.user)

    return make
