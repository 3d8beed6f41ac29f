"""The demo tutors have filled-in profiles, and seeding again adds nothing."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from crm.models import TutorProfile, TutorSubject
from crm.selectors import tutor_profile_completion, tutor_profile_of
from demo.seed import demo_seed
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("slug", "email"), [("acme", "tutor@acme.test"), ("marketplace", "freelancer@educonnect.test")]
)
def test_demo_tutors_have_complete_profiles_with_two_priced_subjects(slug, email):
    demo_seed()
    demo_seed()
    with tenant_context(Tenant.objects.get(slug=slug)):
        profile = tutor_profile_of(user_id=TutorProfile.objects.get(user__email=email).user_id)
        subjects = list(profile.subjects.all())
        assert len(subjects) == 2
        assert all(s.hourly_rate_minor and len(s.currency) == 3 for s in subjects)
        # Every step, credentials included (the seed gives each a verified one).
        assert tutor_profile_completion(profile=profile).percent == 100
        assert TutorSubject.objects.filter(profile=profile).count() == 2
