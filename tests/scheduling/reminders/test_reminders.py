"""Reminders 24 hours and 1 hour before a session: once, to the right people, in their zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import ParentLink
from notifications.models import Notification
from scheduling.jobs_reminders import reminders_send, session_reminders_send
from scheduling.models import Session, SessionReminder
from tests.scheduling.conftest import dob_for
from tests.scheduling.reminders.conftest import START, backdate, reminders_of

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def run(tenant, now: dt.datetime) -> int:
    with tenant_context(tenant):
        return reminders_send(now=now)


def test_the_day_before_reminder_goes_to_the_tutor_and_the_student_once(
    acme, confirmed, tutor, student
):
    session = confirmed()

    assert run(acme, START - 23 * HOUR) == 1
    assert run(acme, START - 23 * HOUR) == 0
    assert run(acme, START - 22 * HOUR) == 0

    sent = reminders_of(acme)
    assert sorted(n.user_id for n in sent) == sorted([tutor.user_id, student.user_id])
    for notification in sent:
        assert notification.title.startswith("Reminder: Mathematics with ")
        assert notification.url == f"http://acme.localhost/scheduling/sessions/{session.pk}/"
        assert notification.in_app
        assert notification.email_status != Notification.EmailStatus.NOT_REQUESTED
        assert notification.context == {"session": session.pk, "kind": "24h"}
    with tenant_context(acme):
        reminder = SessionReminder.objects.get()
    assert (reminder.session_id, reminder.kind, reminder.starts_at) == (session.pk, "24h", START)


def test_the_hour_before_reminder_follows_the_day_before_one(acme, confirmed):
    confirmed()
    assert run(acme, START - 24 * HOUR) == 1
    assert run(acme, START - 2 * HOUR) == 0
    assert run(acme, START - 55 * dt.timedelta(minutes=1)) == 1
    assert run(acme, START - 30 * dt.timedelta(minutes=1)) == 0
    titles = [n.title for n in reminders_of(acme)]
    assert sum(t.startswith("Reminder:") for t in titles) == 2
    assert sum(t.startswith("Starting soon:") for t in titles) == 2


def test_the_reminder_email_is_sent_with_the_session_page_link(
    acme, confirmed, mailoutbox, django_capture_on_commit_callbacks
):
    session = confirmed()
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        reminders_send(now=START - 23 * HOUR)
    assert len(mailoutbox) == 2
    assert all(f"/scheduling/sessions/{session.pk}/" in m.body for m in mailoutbox)


def test_times_are_written_in_each_recipients_own_zone_across_dst(
    acme, booked, tutor_profile, learner
):
    new_yorker, profile = learner(time_zone="America/New_York")
    summer = dt.datetime(2031, 7, 1, 16, 0, tzinfo=dt.UTC)
    winter = dt.datetime(2031, 1, 14, 16, 0, tzinfo=dt.UTC)
    for start in (winter, summer):
        backdate(booked(tutor_profile, profile, start), days=3)
        run(acme, start - 23 * HOUR)

    by_user: dict[int, list[str]] = {}
    for notification in reminders_of(acme):
        by_user.setdefault(notification.user_id, []).append(notification.body)
    tutor_bodies = by_user[tutor_profile.user_id]
    student_bodies = by_user[new_yorker.user_id]
    assert "Tuesday 14 January 2031, 16:00 to 17:00 GMT (Europe/London)" in tutor_bodies[0]
    assert "Tuesday 1 July 2031, 17:00 to 18:00 BST (Europe/London)" in tutor_bodies[1]
    assert "Tuesday 14 January 2031, 11:00 to 12:00 EST (America/New_York)" in student_bodies[0]
    assert "Tuesday 1 July 2031, 12:00 to 13:00 EDT (America/New_York)" in student_bodies[1]


def test_a_session_moved_later_is_reminded_again_for_its_new_start(acme, confirmed):
    session = confirmed()
    assert run(acme, START - 23 * HOUR) == 1
    later = START + dt.timedelta(days=2)
    with tenant_context(acme):
        Session.objects.filter(pk=session.pk).update(
            starts_at=later, ends_at=later + HOUR, reschedule_count=1
        )
    assert run(acme, later - 23 * HOUR) == 1
    assert run(acme, later - 23 * HOUR) == 0
    with tenant_context(acme):
        assert sorted(SessionReminder.objects.values_list("starts_at", flat=True)) == [
            START,
            later,
        ]
    assert len(reminders_of(acme)) == 4


def test_a_session_rescheduled_through_the_booking_service_is_reminded_for_its_new_time(
    acme, booked, weekly, tutor_profile, student_profile, tutor
):
    from scheduling.services.bookings import session_reschedule

    for weekday in range(7):
        weekly(tutor_profile, weekday, "06:00", "22:00")
    today = dt.datetime.now(dt.UTC).replace(hour=10, minute=0, second=0, microsecond=0)
    old, new = today + dt.timedelta(days=3), today + dt.timedelta(days=5)
    session = backdate(booked(tutor_profile, student_profile, old), days=7)
    assert run(acme, old - 23 * HOUR) == 1
    with tenant_context(acme):
        session_reschedule(actor=tutor, session=session, starts_at=new)
    assert run(acme, old - 22 * HOUR) == 0  # nothing is due at the old time any more
    assert run(acme, new - 23 * HOUR) == 1
    assert run(acme, new - 50 * dt.timedelta(minutes=1)) == 1
    with tenant_context(acme):
        sent = sorted(SessionReminder.objects.values_list("kind", "starts_at"))
    assert sent == sorted([("24h", old), ("24h", new), ("1h", new)])


def test_a_cancelled_or_unconfirmed_session_gets_no_reminder(acme, confirmed):
    confirmed(status=Session.Status.CANCELLED)
    confirmed(START + 2 * HOUR, status=Session.Status.REQUESTED)
    confirmed(START + 4 * HOUR, status=Session.Status.DECLINED)
    assert run(acme, START - 23 * HOUR) == 0
    assert reminders_of(acme) == []


def test_a_session_cancelled_through_the_booking_service_is_not_reminded(
    acme, booked, tutor_profile, student_profile, tutor
):
    from scheduling.services.bookings import session_cancel

    start = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    session = backdate(booked(tutor_profile, student_profile, start), days=7)
    with tenant_context(acme):
        session_cancel(actor=tutor, session=session, reason="Ill")
    assert run(acme, start - 23 * HOUR) == 0


def test_a_session_booked_less_than_a_day_ahead_gets_only_the_hour_reminder(
    acme, booked, tutor_profile, student_profile
):
    backdate(booked(tutor_profile, student_profile, START), hours=5)
    assert run(acme, START - 4 * HOUR) == 0
    assert run(acme, START - 50 * dt.timedelta(minutes=1)) == 1
    assert [n.title.split(":")[0] for n in reminders_of(acme)] == ["Starting soon"] * 2


def test_a_session_accepted_after_the_reminder_was_due_skips_it(acme, confirmed):
    session = confirmed()
    with tenant_context(acme):
        Session.objects.filter(pk=session.pk).update(decided_at=START - 20 * HOUR)
    assert run(acme, START - 19 * HOUR) == 0
    assert run(acme, START - 50 * dt.timedelta(minutes=1)) == 1


def test_a_session_booked_half_an_hour_ahead_gets_no_reminder(
    acme, booked, tutor_profile, student_profile
):
    backdate(booked(tutor_profile, student_profile, START), minutes=30)
    assert run(acme, START - 25 * dt.timedelta(minutes=1)) == 0


def test_a_late_scheduler_sends_no_stale_reminder(acme, confirmed):
    confirmed()
    assert run(acme, START - 11 * HOUR) == 0  # the day-before window closed 12 hours ahead
    assert run(acme, START - 5 * dt.timedelta(minutes=1)) == 0  # too late for "soon"
    assert reminders_of(acme) == []


def test_a_childs_parents_are_reminded_and_an_adults_are_not(
    acme, owner, booked, tutor_profile, parent, child, student_profile, student
):
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    backdate(booked(tutor_profile, child, START), days=3)
    backdate(booked(tutor_profile, student_profile, START + HOUR), days=3)
    run(acme, START - 23 * HOUR)
    reminded = {(n.user_id, n.context["session"]) for n in reminders_of(acme)}
    with tenant_context(acme):
        child_session, adult_session = Session.objects.order_by("starts_at")
    assert reminded == {
        (tutor_profile.user_id, child_session.pk),
        (parent.user_id, child_session.pk),
        (tutor_profile.user_id, adult_session.pk),
        (student.user_id, adult_session.pk),
    }
    parent_titles = [n.title for n in reminders_of(acme) if n.user_id == parent.user_id]
    assert parent_titles[0].startswith("Reminder: Kit's Mathematics with Theo Turner")


def test_a_minor_with_an_account_and_their_parent_are_both_reminded(
    acme, owner, member, booked, tutor_profile, parent
):
    teen = member(acme, Membership.Role.STUDENT, first_name="Tia")
    with tenant_context(acme):
        profile = crm.student_create(
            actor=owner,
            first_name="Tia",
            last_name="Teen",
            email=teen.user.email,
            date_of_birth=dob_for(15),
            parents=[{"email": parent.user.email}],
        )
        ParentLink.objects.filter(student=profile).update(parent=parent.user)
    backdate(booked(tutor_profile, profile, START), days=3)
    run(acme, START - 23 * HOUR)
    assert {n.user_id for n in reminders_of(acme)} == {
        tutor_profile.user_id,
        teen.user_id,
        parent.user_id,
    }


def test_a_deactivated_member_is_not_reminded(acme, confirmed, tutor, student):
    confirmed()
    Membership.objects.filter(pk=student.pk).update(is_active=False)
    assert run(acme, START - 23 * HOUR) == 1
    assert [n.user_id for n in reminders_of(acme)] == [tutor.user_id]


def test_reminders_stay_in_their_tenant(acme, globex, confirmed, teacher):
    confirmed()
    assert run(globex, START - 23 * HOUR) == 0
    assert reminders_of(globex) == []
    assert run(acme, START - 23 * HOUR) == 1


def test_the_task_does_nothing_in_the_public_schema(acme, confirmed):
    confirmed()
    assert session_reminders_send.apply().get() == 0
    assert reminders_of(acme) == []
