"""Requesting a session: who may, what is checked, what the tutor is told."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from config.errors import ApplicationError
from crm import services as crm
from crm.models import Subject, TutorAssignment, TutorProfile, TutorSubject
from notifications.models import Notification
from scheduling.models import SchedulingSettings, Session
from scheduling.signals import session_changed
from tests.scheduling.bookings.conftest import at

pytestmark = pytest.mark.django_db


def _fields(excinfo) -> set[str]:
    return set(excinfo.value.message_dict)


def test_a_student_requests_a_slot_that_waits_for_the_tutor(desk, student):
    before = timezone.now()
    session = desk.request(student, message="  Quadratics, please  ")

    assert session.status == Session.Status.REQUESTED
    assert session.ends_at - session.starts_at == dt.timedelta(hours=1)
    assert (session.price_minor, session.currency) == (4000, "GBP")
    assert session.request_message == "Quadratics, please"
    assert session.requested_by == student.user
    # The tenant's default: 24 hours to answer.
    assert before + dt.timedelta(hours=24) <= session.expires_at
    assert session.expires_at <= timezone.now() + dt.timedelta(hours=24)
    assert (session.decided_at, session.decided_by) == (None, None)
    assert desk.reload(session).status == Session.Status.REQUESTED


def test_a_request_expires_at_the_latest_when_the_session_would_start(desk, student):
    session = desk.request(student, starts_at=at(15))
    assert session.expires_at == session.starts_at


def test_the_tenants_expiry_setting_is_used(desk, student):
    with tenant_context(desk.tenant):
        SchedulingSettings.objects.update_or_create(pk=1, defaults={"request_expiry_hours": 2})
    session = desk.request(student)
    assert session.expires_at <= timezone.now() + dt.timedelta(hours=2)
    assert session.expires_at > timezone.now() + dt.timedelta(hours=1, minutes=59)


def test_the_request_lets_the_tutor_see_the_student(desk, student, tutor):
    session = desk.request(student)
    with tenant_context(desk.tenant):
        assignment = TutorAssignment.objects.get(student=session.student, tutor=tutor.user)
    assert assignment.assigned_by == student.user
    assert assignment.subject_id == desk.subject.pk
    desk.request(student, starts_at=at(96))
    with tenant_context(desk.tenant):
        assert TutorAssignment.objects.filter(student=session.student).count() == 1


@pytest.mark.parametrize(("minutes", "price"), [(30, 2000), (45, 3000), (90, 6000), (120, 8000)])
def test_the_price_is_the_hourly_rate_pro_rata(desk, student, minutes, price):
    assert desk.request(student, duration_minutes=minutes).price_minor == price


def test_the_tutor_is_told_in_their_own_time_zone(desk, student, tutor):
    session = desk.request(student, starts_at=at(24 * 30), message="See you")

    [(event, title, body)] = desk.notices(tutor.user)
    local = session.starts_at.astimezone(zoneinfo.ZoneInfo("Europe/London"))
    assert event == "session.requested"
    assert f"{local:%H:%M}-" in title
    assert "(Europe/London)" in title
    assert "Mathematics with Sam Student" in title
    assert body == "See you"
    with tenant_context(desk.tenant):
        url = Notification.objects.get(user=tutor.user).url
    assert url.endswith(f"/scheduling/sessions/{session.pk}/")
    assert url.startswith("http")
    # The one who asked is not told of their own request.
    assert desk.notices(student.user) == []


def test_a_student_in_another_zone_reads_their_own_time(desk, student, tutor):
    student.user.time_zone = "America/New_York"
    student.user.save(update_fields=["time_zone"])
    session = desk.request(student)
    desk.accept(tutor, session)
    [(_, title, _)] = desk.notices(student.user)
    local = session.starts_at.astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert f"{local:%H:%M}-" in title
    assert "(America/New_York)" in title


def test_the_tutor_is_emailed_after_the_commit(
    desk, student, mailoutbox, django_capture_on_commit_callbacks
):
    # Emails are queued in the schema the notification was stored in.
    with tenant_context(desk.tenant), django_capture_on_commit_callbacks(execute=True):
        desk.request(student)
    [email] = mailoutbox
    assert email.to == [desk.tutor.user.email]
    assert email.subject.startswith("Session requested: Mathematics with Sam Student")


def test_the_session_changed_signal_goes_out_after_the_commit(
    desk, student, django_capture_on_commit_callbacks
):
    received = []

    def receiver(sender, session, change, **kwargs):
        received.append((session.pk, change))

    session_changed.connect(receiver)
    try:
        with tenant_context(desk.tenant), django_capture_on_commit_callbacks(execute=True):
            session = desk.request(student)
            assert received == []
    finally:
        session_changed.disconnect(receiver)
    assert received == [(session.pk, "requested")]


def test_with_instant_booking_the_session_is_confirmed_at_once(desk, student, tutor):
    desk.schedule(instant_booking=True)
    session = desk.request(student)
    assert session.status == Session.Status.CONFIRMED
    assert session.expires_at is None
    assert session.decided_at is not None
    assert session.decided_by == tutor.user
    assert desk.events(tutor.user) == ["session.confirmed"]


def test_a_parent_books_for_their_consented_child(desk, parent, child, tutor):
    session = desk.request(parent, student=child)
    assert session.status == Session.Status.REQUESTED
    assert session.student == child
    assert desk.events(tutor.user) == ["session.requested"]


def test_a_child_without_consent_cannot_be_booked(desk, parent, child):
    with tenant_context(desk.tenant):
        crm.consent_withdraw(student=child, actor=parent)
    with pytest.raises(ApplicationError) as excinfo:
        desk.request(parent, student=child)
    assert (excinfo.value.code, excinfo.value.status) == ("consent_required", 403)
    with tenant_context(desk.tenant):
        assert not Session.objects.exists()


def test_the_agency_cannot_book_a_child_without_consent_either(desk, owner, parent, child):
    with tenant_context(desk.tenant):
        crm.consent_withdraw(student=child, actor=parent)
    with pytest.raises(ApplicationError):
        desk.request(owner, student=child)


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_agency_staff_book_for_any_active_student(desk, member, owner, role):
    actor = owner if role == "owner" else member(desk.tenant, role)
    assert desk.request(actor).requested_by == actor.user


def test_tutors_cannot_request_sessions(desk, tutor):
    with pytest.raises(PermissionDenied):
        desk.request(tutor)


def test_a_member_of_another_tenant_cannot_request(desk, globex, member):
    with pytest.raises(PermissionDenied):
        desk.request(member(globex, Membership.Role.OWNER))


def test_a_student_cannot_book_for_another_student(desk, learner):
    other, _ = learner(first_name="Olive")
    with pytest.raises(ValidationError) as excinfo:
        desk.request(other)
    assert _fields(excinfo) == {"student"}


def test_a_parent_cannot_book_for_a_child_not_theirs(desk, member, child):
    stranger = member(desk.tenant, Membership.Role.PARENT)
    with pytest.raises(ValidationError) as excinfo:
        desk.request(stranger, student=child)
    assert _fields(excinfo) == {"student"}


def test_an_archived_student_cannot_be_booked(desk, owner):
    with tenant_context(desk.tenant):
        crm.student_archive(student=desk.student, actor=owner)
    with pytest.raises(ValidationError) as excinfo:
        desk.request(owner)
    assert _fields(excinfo) == {"student"}


def test_every_bad_field_is_reported_at_once(desk, student):
    with pytest.raises(ValidationError) as excinfo:
        desk.request(
            student,
            starts_at=timezone.make_naive(at(72), dt.UTC),
            duration_minutes=50,
            message="x" * 2001,
            subject=None,
        )
    assert _fields(excinfo) == {"starts_at", "duration_minutes", "message", "subject"}
    assert "time zone offset" in excinfo.value.message_dict["starts_at"][0]


@pytest.mark.parametrize("minutes", [0, 15, 50, 180, True, "60", None])
def test_only_the_offered_durations_are_accepted(desk, student, minutes):
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, duration_minutes=minutes)
    assert _fields(excinfo) == {"duration_minutes"}


@pytest.mark.parametrize(
    "starts_at",
    [at(-1), timezone.now(), at(24 * 365 * 4), "tomorrow", None],
    ids=["past", "now", "years-ahead", "text", "none"],
)
def test_the_start_must_be_an_aware_time_in_the_future(desk, student, starts_at):
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, starts_at=starts_at)
    assert _fields(excinfo) == {"starts_at"}


@pytest.mark.parametrize(
    "starts_at",
    [at(2), at(72) + dt.timedelta(minutes=10), at(24 * 61)],
    ids=["too-soon", "off-the-grid", "beyond-the-horizon"],
)
def test_a_time_that_is_not_a_free_slot_is_refused(desk, student, starts_at):
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, starts_at=starts_at)
    assert _fields(excinfo) == {"starts_at"}
    with tenant_context(desk.tenant):
        assert not Session.objects.exists()


def test_a_time_outside_the_tutors_availability_is_refused(desk, student):
    with tenant_context(desk.tenant):
        desk.tutor.availability_rules.exclude(weekday=at(72).weekday()).delete()
    desk.request(student, starts_at=at(72))
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, starts_at=at(72 + 24))
    assert excinfo.value.message_dict == {
        "starts_at": ["This time is outside the tutor's availability."]
    }


def test_an_hour_already_requested_cannot_be_requested_again(desk, student, learner, owner):
    desk.request(student)
    _, olive = learner(first_name="Olive")
    with pytest.raises(ValidationError) as excinfo:
        desk.request(owner, student=olive, starts_at=at(72) + dt.timedelta(minutes=30))
    assert _fields(excinfo) == {"starts_at"}


def test_the_tutors_buffer_is_kept(desk, student, learner, owner):
    desk.schedule(buffer_minutes=30)
    desk.request(student)
    _, olive = learner(first_name="Olive")
    with pytest.raises(ValidationError):
        desk.request(owner, student=olive, starts_at=at(73))
    assert desk.request(owner, student=olive, starts_at=at(73.5)).status == "requested"


def test_the_student_cannot_be_in_two_places_at_once(desk, student, second_tutor, owner):
    desk.request(student)
    _, other_tutor = second_tutor
    with pytest.raises(ValidationError) as excinfo:
        desk.request(owner, tutor=other_tutor, starts_at=at(72) + dt.timedelta(minutes=30))
    assert excinfo.value.message_dict == {
        "starts_at": ["The student already has a session at this time."]
    }


def test_the_tutor_must_teach_the_subject(desk, student):
    with tenant_context(desk.tenant):
        physics = Subject.objects.exclude(slug="mathematics").filter(is_active=True).first()
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, subject=physics)
    assert _fields(excinfo) == {"subject"}


def test_an_inactive_subject_is_refused(desk, student):
    with tenant_context(desk.tenant):
        Subject.objects.filter(pk=desk.subject.pk).update(is_active=False)
        desk.subject.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student)
    assert _fields(excinfo) == {"subject"}


def test_a_level_the_tutor_does_not_teach_is_refused(desk, student):
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, level="university")
    assert _fields(excinfo) == {"level"}
    assert desk.request(student, level="secondary").price_minor == 4000


def test_the_tutor_must_be_an_active_tutor_here(desk, student, tutor):
    tutor.is_active = False
    tutor.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student)
    assert _fields(excinfo) == {"tutor"}


def test_a_tutor_without_an_account_cannot_be_booked(desk, student):
    with tenant_context(desk.tenant):
        invited = TutorProfile.objects.create(invited_email="later@acme.test")
        TutorSubject.objects.create(
            profile=invited,
            subject=desk.subject,
            level="secondary",
            proficiency=4,
            hourly_rate_minor=3000,
            currency="GBP",
        )
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, tutor=invited)
    assert _fields(excinfo) == {"tutor"}


def test_a_missing_tutor_is_a_field_error(desk, student):
    with pytest.raises(ValidationError) as excinfo:
        desk.request(student, tutor=None)
    assert _fields(excinfo) == {"tutor"}
