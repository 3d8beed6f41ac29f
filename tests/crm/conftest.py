"""Helpers for the CRM tests: tutors with profiles, clients per role."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services
from crm.models import Subject, TutorProfile


@pytest.fixture
def tutor(acme, member) -> Membership:
    return member(acme, Membership.Role.TUTOR, first_name="Theo", last_name="Turner")


@pytest.fixture
def profile_of():
    """``profile_of(membership, **fields)`` → that tutor's profile, filled with ``fields``."""

    def make(membership: Membership, **fields) -> TutorProfile:
        with tenant_context(membership.tenant):
            profile = services.tutor_profile_ensure(actor=membership)
            if fields:
                profile = services.tutor_profile_update(profile=profile, actor=membership, **fields)
            return profile

    return make


@pytest.fixture
def subject_in():
    """``subject_in(tenant, slug)`` → a seeded subject of that tenant."""

    def get(tenant, slug: str = "mathematics") -> Subject:
        with tenant_context(tenant):
            return Subject.objects.get(slug=slug)

    return get


@pytest.fixture
def as_role(acme, owner, member, api_client):
    """``as_role("student")`` → an API client on acme's host for a member in that role."""

    def make(role: str):
        person = owner if role == Membership.Role.OWNER else member(acme, role)
        return api_client(acme, person.user)

    return make
