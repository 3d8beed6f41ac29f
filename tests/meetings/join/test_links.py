"""Join links: once a class's window opens, its people get the platform's join link, once."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import ParentLink
from meetings.jobs_join import JOIN_LINK_EVENT, join_links_dispatch, join_links_send
from meetings.models import Meeting, MeetingStatus
from meetings.services.lifecycle import meeting_sync
from notifications.models import Notification
from scheduling.models import Session
from tests.meetings.join.conftest import MINUTE, soon

pytestmark = pytest.mark.django_db


def send(tenant, now: dt.datetime) -> int:
    with tenant_context(tenant):
        return join_links_send(now=now)


def links_of(tenant) -> list[Notification]:
    with tenant_context(tenant):
        return list(Notification.objects.filter(event=JOIN_LINK_EVENT).order_by("user_id", "id"))


def page(session) -> str:
    return f"http://acme.localhost/meetings/sessions/{session.pk}/join/"


def test_links_go_to_the_tutor_and_the_student_once_the_window_opens(acme, lesson, tutor, student):
    session = lesson(soon(60))
    assert send(acme, session.starts_at - 16 * MINUTE) == 0
    assert send(acme, session.starts_at - 15 * MINUTE) == 1
    assert send(acme, session.starts_at - 14 * MINUTE) == 0
    assert send(acme, session.starts_at + 5 * MINUTE) == 0

    links = links_of(acme)
    assert [n.user_id for n in links] == sorted([tutor.user_id, student.user_id])
    for notice in links:
        assert notice.url == page(session)
        assert notice.in_app
        assert notice.email_status == Notification.EmailStatus.PENDING
        assert notice.context["join_url"] == page(session)
    titles = {n.user_id: n.title for n in links}
    assert titles[tutor.user_id].startswith("Join now: Mathematics with Sam Student, starting ")
    assert titles[student.user_id].startswith("Join now: Mathematics with Theo Turner, starting ")
    with tenant_context(acme):
        sent_at = Meeting.objects.get(session_id=session.pk).join_links_sent_at
    assert sent_at == session.starts_at - 15 * MINUTE


def test_the_email_carries_the_join_link(
    acme, lesson, mailoutbox, django_capture_on_commit_callbacks
):
    session = lesson(dt.datetime(2031, 7, 1, 16, 0, tzinfo=dt.UTC))
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        join_links_send(now=session.starts_at - 10 * MINUTE)
    assert len(mailoutbox) == 2
    for message in mailoutbox:
        assert page(session) in message.body
        assert "Tue 1 Jul 2031, 17:00 (Europe/London)" in message.body
        html, _ = message.alternatives[0]
        assert f'href="{page(session)}"' in html
        assert "Join the class" in html


def test_a_child_without_an_account_has_their_parent_sent_the_link(
    acme, lesson, tutor, parent, child
):
    session = lesson(soon(10), student=child)
    send(acme, session.starts_at - 15 * MINUTE)
    links = links_of(acme)
    assert [n.user_id for n in links] == sorted([tutor.user_id, parent.user_id])
    parents = [n for n in links if n.user_id == parent.user_id]
    assert parents[0].title.startswith("Join now: Kit's Mathematics with Theo Turner")


def test_parents_of_a_student_with_an_account_get_links_only_where_they_may_join(
    acme, lesson, parent, student_profile, policy
):
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    first = lesson(soon(10))
    send(acme, first.starts_at - 15 * MINUTE)
    assert parent.user_id not in {n.user_id for n in links_of(acme)}

    policy(parents_may_join=True)
    second = lesson(soon(100))
    send(acme, second.starts_at - 15 * MINUTE)
    assert parent.user_id in {n.user_id for n in links_of(acme)}


def test_a_deactivated_member_gets_no_link(acme, lesson, tutor, student):
    Membership.objects.filter(pk=student.pk).update(is_active=False)
    session = lesson(soon(10))
    send(acme, session.starts_at - 15 * MINUTE)
    assert [n.user_id for n in links_of(acme)] == [tutor.user_id]


@pytest.mark.parametrize(
    "status", [Session.Status.CANCELLED, Session.Status.REQUESTED, Session.Status.DECLINED]
)
def test_no_links_for_a_class_that_is_not_confirmed(acme, lesson, status):
    session = lesson(soon(10))
    with tenant_context(acme):
        Session.objects.filter(pk=session.pk).update(status=status)
    assert send(acme, session.starts_at - 15 * MINUTE) == 0
    assert links_of(acme) == []


def test_no_links_until_the_meeting_is_ready_nor_after_the_class(acme, lesson):
    session = lesson(soon(10), ready=False)
    assert send(acme, session.starts_at - 15 * MINUTE) == 0
    with tenant_context(acme):
        meeting_sync(session_id=session.pk)
    assert send(acme, session.ends_at) == 0  # over: nobody needs a link any more
    assert send(acme, session.starts_at - 5 * MINUTE) == 1


def test_a_class_moved_after_its_links_went_out_gets_them_again(acme, lesson):
    session = lesson(soon(60))
    send(acme, session.starts_at - 15 * MINUTE)
    later = session.starts_at + dt.timedelta(days=1)
    with tenant_context(acme):
        Session.objects.filter(pk=session.pk).update(
            starts_at=later, ends_at=later + dt.timedelta(hours=1)
        )
        assert meeting_sync(session_id=session.pk) == "moved"
    assert send(acme, session.starts_at) == 0
    assert send(acme, later - 15 * MINUTE) == 1
    assert len(links_of(acme)) == 4


def test_the_beat_entry_sends_the_links_of_every_agency(acme, globex, lesson, tutor, student):
    lesson(soon(5))
    assert join_links_dispatch() >= 2
    assert {n.user_id for n in links_of(acme)} == {tutor.user_id, student.user_id}
    with tenant_context(acme):
        assert Meeting.objects.get().status == MeetingStatus.READY
