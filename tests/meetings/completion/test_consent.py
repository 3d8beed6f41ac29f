"""Consent to recording: the student's side, a parent for a minor, one in force at a time."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from config.errors import ApplicationError
from crm import services as crm
from meetings.models import RecordingConsent
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _recordings_on(desk):
    desk.policy(recordings_enabled=True)


@pytest.fixture
def teen(acme, owner, member, parent):
    """Tess, 15, with her own account, and Pat linked to her."""
    membership = member(acme, "student", first_name="Tess", email="tess@acme.test")
    with tenant_context(acme):
        profile = crm.student_create(
            actor=owner,
            first_name="Tess",
            last_name="Teen",
            email=membership.user.email,
            date_of_birth=dob_for(15),
            parents=[{"email": parent.user.email}],
        )
    return membership, profile


def _code(call) -> tuple[int, str]:
    with pytest.raises(ApplicationError) as excinfo:
        call()
    return excinfo.value.status, excinfo.value.code


def test_an_adult_student_consents_with_their_address_recorded(desk, cast):
    session = desk.session(60 * 24)
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.7")

    given = desk.give(cast.student, session, request=request)

    assert (given.given_by, given.ip_address, given.withdrawn_at) == (
        cast.student.user,
        "203.0.113.7",
        None,
    )
    assert desk.events(cast.tutor.user) == ["meetings.recording_consent_given"]
    entry = AuditEntry.objects.get(action="meetings.recording_consent.given")
    assert (entry.actor, entry.ip_address) == (cast.student.user, "203.0.113.7")


def test_a_class_in_progress_can_still_get_consent(desk, cast):
    assert desk.give(cast.parent, desk.session(-20)).given_by == cast.parent.user


def test_a_linked_parent_consents_for_a_child(desk, cast, child):
    session = desk.session(120, student=child)
    assert desk.give(cast.parent, session).given_by == cast.parent.user


def test_a_student_under_18_cannot_consent_but_their_parent_can(desk, cast, teen):
    tess, profile = teen
    session = desk.session(120, student=profile)
    assert _code(lambda: desk.give(tess, session)) == (403, "parent_consent_required")
    assert desk.consents(session) == []
    assert desk.give(cast.parent, session).given_by == cast.parent.user


def test_a_student_under_18_may_still_withdraw_the_parents_consent(desk, cast, teen):
    tess, profile = teen
    session = desk.session(120, student=profile)
    desk.give(cast.parent, session)
    withdrawn = desk.withdraw(tess, session)
    assert (withdrawn.withdrawn_by, withdrawn.withdrawn_at is not None) == (tess.user, True)


@pytest.mark.parametrize(
    "who", ["tutor", "staff", "owner", "other_student", "other_parent", "other_tutor"]
)
def test_only_the_student_side_gives_or_withdraws_consent(desk, cast, who):
    session = desk.session(120)
    with pytest.raises(PermissionDenied):
        desk.give(getattr(cast, who), session)
    desk.give(cast.student, session)
    with pytest.raises(PermissionDenied):
        desk.withdraw(getattr(cast, who), session)
    assert [c.withdrawn_at for c in desk.consents(session)] == [None]


def test_no_consent_is_taken_where_the_agency_does_not_record(desk, cast):
    desk.policy(recordings_enabled=False)
    session = desk.session(120)
    assert _code(lambda: desk.give(cast.student, session)) == (409, "recordings_disabled")


@pytest.mark.parametrize(
    ("start", "status"),
    [(-120, "confirmed"), (-300, "completed"), (120, "cancelled"), (120, "declined")],
)
def test_no_consent_for_a_class_that_is_over_or_off(desk, cast, start, status):
    session = desk.session(start, status=status)
    assert _code(lambda: desk.give(cast.student, session)) == (409, "session_over")


def test_a_requested_class_can_get_consent_ahead(desk, cast):
    assert desk.give(cast.student, desk.session(48 * 60, status="requested")) is not None


def test_one_consent_is_in_force_at_a_time(desk, cast):
    session = desk.session(120)
    desk.give(cast.student, session)
    assert _code(lambda: desk.give(cast.parent, session)) == (409, "consent_already_given")
    assert len(desk.consents(session)) == 1


def test_withdrawing_keeps_the_record_and_consent_can_be_given_again(desk, cast):
    session = desk.session(120)
    first = desk.give(cast.student, session)
    desk.withdraw(cast.parent, session)
    second = desk.give(cast.student, session)

    rows = desk.consents(session)
    assert [r.pk for r in rows] == [first.pk, second.pk]
    assert (rows[0].withdrawn_by, rows[0].withdrawn_at is not None) == (cast.parent.user, True)
    assert rows[1].withdrawn_at is None
    assert desk.events(cast.tutor.user) == [
        "meetings.recording_consent_given",
        "meetings.recording_consent_withdrawn",
        "meetings.recording_consent_given",
    ]
    assert AuditEntry.objects.filter(action="meetings.recording_consent.withdrawn").count() == 1


def test_there_is_nothing_to_withdraw_without_consent(desk, cast):
    session = desk.session(120)
    assert _code(lambda: desk.withdraw(cast.student, session)) == (409, "no_consent")


def test_consent_can_be_withdrawn_after_the_class_and_when_recordings_are_off(desk, cast):
    session = desk.session(-30, minutes=20)
    with tenant_context(desk.tenant):
        RecordingConsent.objects.create(
            session=session, given_by=cast.student.user, given_at=session.starts_at
        )
    desk.policy(recordings_enabled=False)
    assert desk.withdraw(cast.student, session).withdrawn_at is not None


def test_a_member_of_another_agency_cannot_consent(desk, globex, member):
    globex_student = member(globex, "student")
    with pytest.raises(PermissionDenied):
        desk.give(globex_student, desk.session(120))
