"""The join page: the way into a class's meeting, or a clear page saying why not."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.http import HttpResponse
from django.utils import dateformat
from django_tenants.utils import tenant_context

from crm.models import ParentLink
from meetings import views_room
from meetings.models import Meeting
from meetings.providers.base import JoinTarget
from scheduling.models import Session
from tests.meetings.fake_provider import FAKE_URL, FakeProvider
from tests.meetings.join.conftest import MINUTE, soon

pytestmark = pytest.mark.django_db


def join_url(session) -> str:
    return f"/meetings/sessions/{session.pk}/join/"


def test_the_tutor_is_sent_on_to_the_meeting_as_moderator(web_client, acme, lesson, tutor):
    session = lesson()
    response = web_client(acme, tutor.user).get(join_url(session))
    assert response.status_code == 302
    assert response["Location"] == (
        f"{FAKE_URL}/j/fake-acme-{session.pk}?user={tutor.user_id}&role=moderator"
    )
    assert "no-store" in response["Cache-Control"]


def test_the_student_is_sent_on_as_participant_and_their_join_is_recorded(
    web_client, acme, lesson, student, attendance
):
    session = lesson()
    response = web_client(acme, student.user).get(join_url(session))
    assert response.status_code == 302
    assert response["Location"].endswith("&role=participant")
    assert attendance(session) == [(student.user_id, "student", 1)]


def test_the_embedded_meeting_page_gets_the_checked_person_and_their_credential(
    web_client, acme, lesson, tutor, monkeypatch
):
    embed = {"domain": "meet.example.test", "room": "room-1", "jwt": "token"}
    monkeypatch.setattr(
        FakeProvider,
        "join_target",
        lambda self, **kwargs: JoinTarget(embed=embed, expires_at=kwargs["not_after"]),
    )
    seen = {}

    def room_render(request, *, session, meeting, target, participant):
        seen.update(session=session.pk, meeting=meeting.pk, target=target, role=participant.role)
        return HttpResponse("the meeting page")

    monkeypatch.setattr(views_room, "room_render", room_render)
    session = lesson()

    response = web_client(acme, tutor.user).get(join_url(session))

    assert (response.status_code, response.content) == (200, b"the meeting page")
    assert "no-store" in response["Cache-Control"]
    assert seen["session"] == session.pk
    with tenant_context(acme):
        assert seen["meeting"] == Meeting.objects.get(session_id=session.pk).pk
    assert (seen["target"].embed, seen["role"]) == (embed, "moderator")


def test_another_student_of_the_agency_does_not_find_the_class(
    web_client, acme, lesson, learner, attendance
):
    other, _ = learner(first_name="Ola")
    session = lesson()
    assert web_client(acme, other.user).get(join_url(session)).status_code == 404
    assert attendance(session) == []


def test_someone_of_another_agency_does_not_find_the_class_on_either_host(
    web_client, acme, globex, member, lesson, attendance
):
    outsider = member(globex, "student")
    session = lesson()
    assert web_client(globex, outsider.user).get(join_url(session)).status_code == 404
    at_acme = web_client(acme, outsider.user).get(join_url(session))
    assert at_acme.status_code == 302
    assert at_acme["Location"].startswith("/accounts/login/")
    assert attendance(session) == []


def test_a_visitor_is_asked_to_sign_in_first(web_client, acme, lesson):
    session = lesson()
    response = web_client(acme).get(join_url(session))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={join_url(session)}"


def test_before_the_window_the_page_says_when_it_opens_in_the_viewers_zone(
    web_client, acme, lesson, learner
):
    new_yorker, profile = learner(first_name="Nia", time_zone="America/New_York")
    session = lesson(soon(120), student=profile)

    response = web_client(acme, new_yorker.user).get(join_url(session))

    assert response.status_code == 409
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    opens = (session.starts_at - 15 * MINUTE).astimezone(zoneinfo.ZoneInfo("America/New_York"))
    assert "This class is not open yet" in page
    assert f"opens for joining at {opens:%a} {opens.day} {opens:%b %Y}, {opens:%H:%M}" in page
    assert f"from {dateformat.format(opens, 'l j F Y, H:i')}" in page
    assert "(America/New_York)" in page
    assert f'href="/scheduling/sessions/{session.pk}/"' in page


def test_after_the_class_the_page_says_it_has_ended(web_client, acme, lesson, tutor):
    session = lesson(soon(-90), ready=False)
    response = web_client(acme, tutor.user).get(join_url(session))
    assert response.status_code == 409
    assert "This class has ended." in response.content.decode()


def test_a_cancelled_class_cannot_be_joined(web_client, acme, lesson, tutor):
    session = lesson()
    with tenant_context(acme):
        Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)
    response = web_client(acme, tutor.user).get(join_url(session))
    assert response.status_code == 409
    assert "This class was cancelled." in response.content.decode()


def test_a_parent_the_agency_does_not_let_in_is_told_why(
    web_client, acme, lesson, parent, student_profile
):
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    session = lesson()
    response = web_client(acme, parent.user).get(join_url(session))
    assert response.status_code == 403
    assert "Sam joins with their own account." in response.content.decode()


def test_a_meeting_being_set_up_asks_to_try_again(web_client, acme, lesson, tutor):
    session = lesson(ready=False)
    response = web_client(acme, tutor.user).get(join_url(session))
    assert response.status_code == 409
    assert response["Retry-After"] == "60"
    page = response.content.decode()
    assert "being set up; try again in a minute" in page
    assert 'data-testid="join-retry"' in page


def test_the_join_link_only_answers_get(web_client, acme, lesson, tutor):
    session = lesson()
    assert web_client(acme, tutor.user).post(join_url(session)).status_code == 405


def test_the_window_times_of_a_class_across_midnight_name_both_days(
    web_client, acme, lesson, tutor
):
    start = dt.datetime(2031, 3, 3, 23, 30, tzinfo=dt.UTC)
    session = lesson(start)
    page = web_client(acme, tutor.user).get(join_url(session)).content.decode()
    assert "from Monday 3 March 2031, 23:15 to Tuesday 4 March 2031, 00:45" in page


def test_with_jitsi_the_student_reaches_the_meeting_page_of_their_room(
    web_client, acme, lesson, student, policy
):
    policy(provider="jitsi")
    session = lesson()
    with tenant_context(acme):
        room = Meeting.objects.get(session_id=session.pk).room_name
    response = web_client(acme, student.user).get(join_url(session))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert 'data-testid="meeting-room"' in page
    assert room in page
