"""Helpers for the student tests: students of a given age, parents with accounts."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services
from crm.minors import born_by
from notifications.models import Notification

STUDENTS = "/api/v1/crm/students/"


def dob_for(age: int, *, days: int = 40) -> dt.date:
    """A date of birth ``age`` years (and a few weeks) ago: no birthday near today."""
    return born_by(age, timezone.now().date()) - dt.timedelta(days=days)


def student_url(student, suffix: str = "") -> str:
    return f"{STUDENTS}{student.pk}/{suffix}"


@pytest.fixture
def parent(acme, member) -> Membership:
    """A parent with an account in acme (parent@acme.test)."""
    return member(acme, Membership.Role.PARENT, first_name="Pat", last_name="Parent")


@pytest.fixture
def make_student(acme, owner):
    """``make_student(age=10, parents=[...], **fields)`` → a student recorded by acme's owner.

    Under 18 with no ``parents`` given, an invited (account-less) parent is added.
    """

    def make(*, age: int = 15, parents=None, actor: Membership | None = None, **fields):
        actor = actor or owner
        if parents is None:
            parents = [{"email": "guardian@example.test"}] if age < 18 else []
        fields.setdefault("first_name", "Sam")
        fields.setdefault("last_name", "Student")
        with tenant_context(actor.tenant):
            return services.student_create(
                actor=actor,
                date_of_birth=fields.pop("date_of_birth", None) or dob_for(age),
                parents=parents,
                **fields,
            )

    return make


@pytest.fixture
def child_of(make_student, parent):
    """``child_of(parent_membership, age=10)`` → a student linked to that parent's account."""

    def make(who: Membership | None = None, *, age: int = 10, **fields):
        who = who or parent
        return make_student(age=age, parents=[{"email": who.user.email}], **fields)

    return make


def invitation_token(tenant, email: str) -> str:
    """The token of the latest invitation emailed to ``email`` (from its link)."""
    with tenant_context(tenant):
        notification = Notification.objects.filter(email=email, event="membership.invited").latest(
            "id"
        )
    return urlparse(notification.context["accept_url"]).path.rstrip("/").rsplit("/", 1)[-1]
