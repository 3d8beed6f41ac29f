"""The demo tutors have weekly availability and Acme's students have real sessions."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from crm.models import StudentProfile
from demo.seed import demo_seed
from scheduling.models import AvailabilityRule, Session
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_demo_sessions_cover_each_status_and_the_seed_stays_idempotent():
    demo_seed()
    demo_seed()  # nothing below is doubled
    with tenant_context(Tenant.objects.get(slug="acme")):
        sam = StudentProfile.objects.get(email="student@acme.test")
        mia = StudentProfile.objects.get(first_name="Mia")
        assert sorted(Session.objects.filter(student=sam).values_list("status", flat=True)) == [
            "cancelled",  # cancelled in time and refunded (demo/billing_seed.py)
            "completed",
            "confirmed",
            "confirmed",  # a class starting minutes after seeding (demo/meetings_seed.py)
            "requested",
        ]
        held = Session.objects.get(student=sam, status="completed")
        assert held.summary
        assert held.homework
        child_class = Session.objects.get(student=mia)
        assert (child_class.status, child_class.duration.seconds) == ("confirmed", 45 * 60)
        assert child_class.requested_by.email == "parent@acme.test"
        assert AvailabilityRule.objects.filter(tutor__user__email="tutor@acme.test").count() == 6
    with tenant_context(Tenant.objects.get(slug="marketplace")):
        rules = AvailabilityRule.objects.filter(tutor__user__email="freelancer@educonnect.test")
        assert rules.count() == 4
        assert not rules.first().tutor.schedule.instant_booking
