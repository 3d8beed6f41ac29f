"""The meeting panel on the session page: what each viewer sees and may do."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import tenant_context

from meetings.models import Attendance, Recording, RecordingConsent
from scheduling.models import Session
from tests.conftest import host_of

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def panel_url(session) -> str:
    return f"/meetings/sessions/{session.pk}/panel/"


def action_url(session, action: str) -> str:
    return f"/meetings/sessions/{session.pk}/{action}/"


def panel(web_client, desk, person, session, **extra):
    response = web_client(desk.tenant, person.user).get(panel_url(session), **extra)
    assert response.status_code == 200, response.content
    return response.content.decode()


def test_the_session_page_loads_the_panel_with_htmx(web_client, desk, cast):
    session = desk.session(60)
    page = web_client(desk.tenant, cast.tutor.user).get(f"/scheduling/sessions/{session.pk}/")
    assert page.status_code == 200
    assert f'hx-get="{panel_url(session)}"' in page.content.decode()


def test_the_panel_alone_is_a_partial_and_without_htmx_a_page(web_client, desk, cast):
    session = desk.session(60)
    partial = panel(web_client, desk, cast.tutor, session, **HTMX)
    assert partial.lstrip().startswith('<section id="meeting-panel"')
    full = panel(web_client, desk, cast.tutor, session)
    assert "<html" in full
    assert 'id="meeting-panel"' in full


def test_a_confirmed_class_without_a_meeting_shows_not_set_up(web_client, desk, cast):
    html = panel(web_client, desk, cast.student, desk.session(60), **HTMX)
    assert "Not set up" in html
    assert "Nobody has joined yet." in html
    assert "Not started yet" in html
    assert 'data-testid="completion-confirm"' not in html


def test_the_join_link_shows_while_the_window_is_open(web_client, desk, cast):
    session = desk.session(10)
    desk.meeting(session)
    for person in (cast.tutor, cast.student):
        html = panel(web_client, desk, person, session, **HTMX)
        assert f'href="/meetings/sessions/{session.pk}/join/"' in html
        assert "Fake provider (tests)" in html
    later = desk.session(24 * 60)
    desk.meeting(later)
    html = panel(web_client, desk, cast.student, later, **HTMX)
    assert "/join/" not in html
    assert "opens for joining" in html


def test_a_parent_gets_the_join_link_only_where_parents_may_join(web_client, desk, cast):
    session = desk.session(10)
    desk.meeting(session)
    assert "/join/" not in panel(web_client, desk, cast.parent, session, **HTMX)
    desk.policy(parents_may_join=True)
    assert "/join/" in panel(web_client, desk, cast.parent, session, **HTMX)


def test_staff_observe_where_allowed(web_client, desk, cast):
    session = desk.session(10)
    desk.meeting(session)
    assert "/join/" in panel(web_client, desk, cast.staff, session, **HTMX)
    desk.policy(staff_may_observe=False)
    assert "/join/" not in panel(web_client, desk, cast.staff, session, **HTMX)


def test_only_staff_see_why_a_meeting_failed(web_client, desk, cast):
    session = desk.session(60)
    desk.meeting(session, status="failed", last_error="Zoom said: user does not exist")
    assert "user does not exist" in panel(web_client, desk, cast.staff, session, **HTMX)
    student_view = panel(web_client, desk, cast.student, session, **HTMX)
    assert "Could not be set up" in student_view
    assert "user does not exist" not in student_view


def test_the_panel_offers_each_viewer_their_own_actions(web_client, desk, cast):
    session = desk.session(-30)
    tutor = panel(web_client, desk, cast.tutor, session, **HTMX)
    assert 'data-testid="completion-mark-held"' in tutor
    assert 'data-testid="completion-confirm"' not in tutor
    assert 'data-testid="completion-report-problem"' not in tutor
    for person in (cast.student, cast.parent):
        html = panel(web_client, desk, person, session, **HTMX)
        assert 'data-testid="completion-mark-held"' not in html
        assert 'data-testid="completion-confirm"' in html
        assert 'data-testid="completion-report-problem"' in html
    staff = panel(web_client, desk, cast.staff, session, **HTMX)
    assert 'data-testid="completion-mark-held"' in staff
    assert 'data-testid="completion-confirm"' in staff
    assert 'data-testid="completion-report-problem"' not in staff


def test_attendance_is_listed_with_how_it_was_seen(web_client, desk, cast):
    session = desk.session(-30)
    desk.attend(session, cast.tutor.user, Attendance.Role.TUTOR)
    html = panel(web_client, desk, cast.student, session, **HTMX)
    assert cast.tutor.user.get_full_name() in html
    assert "Platform" in html


def test_the_student_confirms_from_the_panel(web_client, desk, cast):
    session = desk.session(-90)
    client = web_client(desk.tenant, cast.student.user)

    response = client.post(action_url(session, "confirm"), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Class confirmed. Thank you." in html
    assert "Confirmed by the student" in html
    assert desk.reload(session).status == Session.Status.COMPLETED

    again = client.post(action_url(session, "confirm"), **HTMX)
    assert again.status_code == 409
    assert "already been confirmed" in again.content.decode()


def test_without_htmx_an_action_returns_to_the_session_page(web_client, desk, cast):
    session = desk.session(-90)
    response = web_client(desk.tenant, cast.tutor.user).post(action_url(session, "held"))
    assert response.status_code == 302
    assert response["Location"] == f"/scheduling/sessions/{session.pk}/"
    assert desk.completion(session).held_marked_by == cast.tutor.user


def test_a_refused_action_shows_why_with_its_status(web_client, desk, cast):
    session = desk.session(-90)
    response = web_client(desk.tenant, cast.tutor.user).post(action_url(session, "confirm"), **HTMX)
    assert response.status_code == 403
    assert 'data-testid="meeting-error"' in response.content.decode()
    early = desk.session(60)
    response = web_client(desk.tenant, cast.tutor.user).post(action_url(early, "held"))
    assert response.status_code == 409
    assert "has not started yet" in response.content.decode()


def test_reporting_a_problem_needs_a_reason(web_client, desk, cast):
    session = desk.session(-90)
    client = web_client(desk.tenant, cast.parent.user)
    empty = client.post(action_url(session, "problem"), {"problem-reason": ""}, **HTMX)
    assert empty.status_code == 400
    assert "field-error" in empty.content.decode()
    done = client.post(
        action_url(session, "problem"), {"problem-reason": "We could not hear the tutor."}, **HTMX
    )
    assert done.status_code == 200
    assert "We could not hear the tutor." in done.content.decode()
    assert desk.completion(session).problem_reported_by == cast.parent.user


def test_actions_need_the_csrf_token(desk, cast):
    session = desk.session(-90)
    client = Client(HTTP_HOST=host_of(desk.tenant), enforce_csrf_checks=True)
    client.force_login(cast.student.user, backend="accounts.backends.EmailBackend")
    for action in ("confirm", "held", "problem", "recording-consent", "recording-consent/withdraw"):
        assert client.post(action_url(session, action)).status_code == 403
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_consent_is_offered_to_an_adult_student_and_recorded_with_the_address(
    web_client, desk, cast
):
    desk.policy(recordings_enabled=True)
    session = desk.session(120)
    client = web_client(desk.tenant, cast.student.user)
    assert 'data-testid="consent-give"' in panel(web_client, desk, cast.student, session, **HTMX)
    assert 'data-testid="consent-give"' not in panel(web_client, desk, cast.tutor, session, **HTMX)

    response = client.post(
        action_url(session, "recording-consent"), REMOTE_ADDR="198.51.100.4", **HTMX
    )

    assert response.status_code == 200
    assert 'data-testid="consent-withdraw"' in response.content.decode()
    [consent] = desk.consents(session)
    assert consent.ip_address == "198.51.100.4"
    withdrawn = client.post(action_url(session, "recording-consent/withdraw"), **HTMX)
    assert withdrawn.status_code == 200
    assert desk.consents(session)[0].withdrawn_at is not None


def test_nothing_about_recording_shows_where_the_agency_does_not_record(web_client, desk, cast):
    html = panel(web_client, desk, cast.student, desk.session(120), **HTMX)
    assert "consent" not in html.lower()


def test_recordings_are_listed_to_the_parties_and_staff(web_client, desk, cast):
    desk.policy(recordings_enabled=True)
    session = desk.session(-90)
    meeting = desk.meeting(session)
    with tenant_context(desk.tenant):
        RecordingConsent.objects.create(
            session=session, given_by=cast.student.user, given_at=session.starts_at
        )
        Recording.objects.create(
            meeting=meeting,
            external_id="rec-1",
            recording_type="shared_screen_with_speaker_view",
            file_type="MP4",
            play_url="https://fake-meetings.example.test/rec/play/rec-1",
        )
    for person in (cast.tutor, cast.student, cast.parent, cast.staff):
        html = panel(web_client, desk, person, session, **HTMX)
        assert "https://fake-meetings.example.test/rec/play/rec-1" in html, person.role


@pytest.mark.parametrize("who", ["other_student", "other_parent", "other_tutor"])
def test_people_who_cannot_see_the_session_get_404(web_client, desk, cast, who):
    session = desk.session(-90)
    client = web_client(desk.tenant, getattr(cast, who).user)
    assert client.get(panel_url(session)).status_code == 404
    for action in ("confirm", "held", "problem", "recording-consent", "recording-consent/withdraw"):
        assert client.post(action_url(session, action), {"problem-reason": "x"}).status_code == 404
    assert desk.reload(session).status == Session.Status.CONFIRMED


def test_another_agencys_people_are_sent_to_sign_in(web_client, desk, globex, member):
    session = desk.session(-90)
    outsider = member(globex, "student")
    client = web_client(globex, outsider.user)
    client.defaults["HTTP_HOST"] = host_of(desk.tenant)
    response = client.get(panel_url(session))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert client.post(action_url(session, "confirm")).status_code == 302
    assert desk.reload(session).status == Session.Status.CONFIRMED
