"""The session pages: the list with its filters and export, one session with its notes,
files and actions (through the booking services), moving a session to a free slot.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from scheduling.models import Session, SessionChange, SessionStatus
from tests.scheduling.history.conftest import PDF, in_days, upload

pytestmark = pytest.mark.django_db


def page(session) -> str:
    return f"/scheduling/sessions/{session.pk}/"


def status_of(acme, session) -> str:
    with tenant_context(acme):
        return Session.objects.get(pk=session.pk).status


# The list ------------------------------------------------------------------------------------


def test_the_list_shows_the_viewers_sessions_with_filters_and_an_export_link(
    web_client, acme, cast
):
    response = web_client(acme, cast.tutor.user).get("/scheduling/sessions/")
    assert response.status_code == 200
    assert page(cast.session).encode() in response.content
    assert b"/scheduling/sessions/export.csv" in response.content
    assert b'name="tutor"' not in response.content  # a tutor's list is all theirs
    other = web_client(acme, cast.other_tutor.user).get("/scheduling/sessions/")
    assert page(cast.session).encode() not in other.content


def test_filters_update_the_results_through_htmx(web_client, acme, cast):
    browser = web_client(acme, cast.owner.user)
    partial = browser.get("/scheduling/sessions/", {"status": "cancelled"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert b"No sessions match." in partial.content
    found = browser.get("/scheduling/sessions/", {"status": "completed"}, HTTP_HX_REQUEST="true")
    assert page(cast.session).encode() in found.content
    assert b"export.csv?status=completed" in found.content
    bad = browser.get("/scheduling/sessions/", {"date_from": "soon"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 400
    assert b"From:" in bad.content


def test_the_page_export_is_a_csv_of_the_filtered_sessions(web_client, acme, cast):
    browser = web_client(acme, cast.student.user)
    response = browser.get("/scheduling/sessions/export.csv", {"status": "completed"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="acme-sessions.csv"'
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[0].endswith(",my_notes")
    assert len(text.splitlines()) == 2
    assert browser.get("/scheduling/sessions/export.csv", {"status": "x"}).status_code == 400


# One session ---------------------------------------------------------------------------------


def test_the_page_shows_the_session_in_the_viewers_zone_with_their_notes(web_client, acme, cast):
    with tenant_context(acme):
        Session.objects.filter(pk=cast.session.pk).update(
            tutor_notes="TUTOR-PRIVATE", student_notes="STUDENT-PRIVATE", summary="SHARED-SUM"
        )
    cast.tutor.user.time_zone = "Asia/Tokyo"
    cast.tutor.user.save(update_fields=["time_zone"])
    tokyo = cast.session.starts_at.astimezone(dt.timezone(dt.timedelta(hours=9)))

    tutor_page = web_client(acme, cast.tutor.user).get(page(cast.session))
    assert tutor_page.status_code == 200
    assert f"{tokyo:%H:%M}".encode() in tutor_page.content
    assert b"Asia/Tokyo" in tutor_page.content
    assert b"GBP 40.00" in tutor_page.content
    assert b"TUTOR-PRIVATE" in tutor_page.content
    assert b"STUDENT-PRIVATE" not in tutor_page.content

    staff_page = web_client(acme, cast.staff.user).get(page(cast.session))
    assert b"TUTOR-PRIVATE" not in staff_page.content
    assert b"STUDENT-PRIVATE" not in staff_page.content
    assert b"SHARED-SUM" in staff_page.content

    parent_page = web_client(acme, cast.parent.user).get(page(cast.session))
    assert b"STUDENT-PRIVATE" in parent_page.content
    assert b"TUTOR-PRIVATE" not in parent_page.content
    assert b"SHARED-SUM" in parent_page.content


@pytest.mark.parametrize("who", ["other_tutor", "outsider"])
def test_someone_elses_session_is_not_found(web_client, acme, cast, who):
    browser = web_client(acme, getattr(cast, who).user)
    assert browser.get(page(cast.session)).status_code == 404
    assert browser.post(page(cast.session) + "notes/", {"notes-summary": "x"}).status_code == 404


def test_notes_are_saved_with_htmx_and_bad_ones_come_back_with_errors(web_client, acme, cast):
    browser = web_client(acme, cast.tutor.user)
    saved = browser.post(
        page(cast.session) + "notes/",
        {"notes-tutor_notes": "Mine", "notes-summary": "Done", "notes-homework": "P. 4"},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    assert b"Saved." in saved.content
    with tenant_context(acme):
        session = Session.objects.get(pk=cast.session.pk)
    assert (session.tutor_notes, session.summary, session.homework) == ("Mine", "Done", "P. 4")
    too_long = browser.post(
        page(cast.session) + "notes/", {"notes-summary": "x" * 10_001}, HTTP_HX_REQUEST="true"
    )
    assert too_long.status_code == 400
    assert b"field-error" in too_long.content


def test_the_student_side_keeps_notes_without_touching_the_tutors(web_client, acme, cast):
    browser = web_client(acme, cast.student.user)
    response = browser.post(
        page(cast.session) + "notes/", {"notes-student_notes": "Ask", "notes-summary": "hack"}
    )
    assert response.status_code == 302
    with tenant_context(acme):
        session = Session.objects.get(pk=cast.session.pk)
    assert (session.student_notes, session.summary) == ("Ask", "")


def test_files_are_uploaded_downloaded_and_removed_from_the_page(web_client, acme, cast):
    browser = web_client(acme, cast.parent.user)
    response = browser.post(page(cast.session) + "attachments/", {"file": upload()})
    assert response.status_code == 302
    detail = browser.get(page(cast.session))
    assert b"worksheet.pdf" in detail.content
    assert b"data-upload-progress" in detail.content
    attachment = detail.context["attachments"][0]
    download = browser.get(f"/scheduling/session-attachments/{attachment.pk}/")
    assert b"".join(download.streaming_content) == PDF
    outsider = web_client(acme, cast.outsider.user)
    assert outsider.get(f"/scheduling/session-attachments/{attachment.pk}/").status_code == 404
    tutor = web_client(acme, cast.tutor.user)
    denied = tutor.post(f"/scheduling/session-attachments/{attachment.pk}/delete/")
    assert denied.status_code == 403
    removed = browser.post(f"/scheduling/session-attachments/{attachment.pk}/delete/")
    assert removed.status_code == 302
    assert list(browser.get(page(cast.session)).context["attachments"]) == []


def test_a_bad_upload_shows_the_error_on_the_page(web_client, acme, cast):
    browser = web_client(acme, cast.tutor.user)
    response = browser.post(
        page(cast.session) + "attachments/", {"file": upload("x.pdf", b"not a pdf")}
    )
    assert response.status_code == 400
    assert b"field-error" in response.content


# Actions through the booking services --------------------------------------------------------


def test_the_tutor_accepts_a_request_from_its_page(web_client, acme, cast, booked):
    request = booked(cast.tutor_profile, cast.student_profile, in_days(3), status="requested")
    browser = web_client(acme, cast.tutor.user)
    assert b'data-testid="accept"' in browser.get(page(request)).content
    assert (
        b'data-testid="accept"'
        not in web_client(acme, cast.student.user).get(page(request)).content
    )
    assert browser.post(page(request) + "accept/").status_code == 302
    assert status_of(acme, request) == SessionStatus.CONFIRMED


def test_declining_needs_a_reason(web_client, acme, cast, booked):
    request = booked(cast.tutor_profile, cast.student_profile, in_days(3), status="requested")
    browser = web_client(acme, cast.tutor.user)
    refused = browser.post(page(request) + "decline/", {"decline-reason": ""})
    assert refused.status_code == 400
    assert status_of(acme, request) == SessionStatus.REQUESTED
    done = browser.post(page(request) + "decline/", {"decline-reason": "Fully booked"})
    assert done.status_code == 302
    assert status_of(acme, request) == SessionStatus.DECLINED


def test_the_student_sees_the_late_fee_before_cancelling(web_client, acme, cast, booked):
    soon = booked(
        cast.tutor_profile,
        cast.student_profile,
        (timezone.now() + dt.timedelta(hours=5)).replace(microsecond=0),
    )
    browser = web_client(acme, cast.student.user)
    detail = browser.get(page(soon))
    assert b"late-cancellation fee of 50 % (GBP 20.00)" in detail.content
    response = browser.post(page(soon) + "cancel/", {"cancel-reason": "Ill"})
    assert response.status_code == 302
    assert status_of(acme, soon) == SessionStatus.CANCELLED
    with tenant_context(acme):
        change = SessionChange.objects.get(session=soon)
    assert (change.fee_minor, change.party) == (2000, "student")
    tutor_view = web_client(acme, cast.tutor.user).get(page(soon))
    assert b"GBP 20.00 (50 %)" in tutor_view.content


def test_a_tutor_cancelling_is_free_for_the_student(web_client, acme, cast, booked):
    later = booked(cast.tutor_profile, cast.student_profile, in_days(3))
    detail = web_client(acme, cast.tutor.user).get(page(later))
    assert b"Cancelling is free for the student" in detail.content


def test_the_tutor_marks_a_missed_session(web_client, acme, cast, booked):
    started = booked(
        cast.tutor_profile,
        cast.student_profile,
        (timezone.now() - dt.timedelta(minutes=30)).replace(microsecond=0),
    )
    browser = web_client(acme, cast.tutor.user)
    assert b'data-testid="no-show"' in browser.get(page(started)).content
    refused = browser.post(page(started) + "no-show/", {"noshow-absent": "tutor"})
    assert refused.status_code == 403
    assert browser.post(page(started) + "no-show/", {"noshow-absent": "student"}).status_code == 302
    assert status_of(acme, started) == SessionStatus.NO_SHOW


def test_a_session_is_moved_to_a_free_slot_picked_on_the_page(
    web_client, acme, cast, booked, weekly
):
    for weekday in range(7):
        weekly(cast.tutor_profile, weekday, "08:00", "20:00")
    session = booked(cast.tutor_profile, cast.student_profile, in_days(3))
    browser = web_client(acme, cast.tutor.user)
    listing = browser.get(page(session) + "reschedule/", {"from": in_days(4).date().isoformat()})
    assert listing.status_code == 200
    slots = [item for day in listing.context["days"] for item in day["slots"]]
    assert slots
    chosen = slots[0]["slot"]
    moved = browser.post(page(session) + "reschedule/", {"starts_at": chosen.starts_at.isoformat()})
    assert moved.status_code == 302
    with tenant_context(acme):
        session.refresh_from_db()
    assert (session.starts_at, session.reschedule_count) == (chosen.starts_at, 1)
    bad = browser.post(page(session) + "reschedule/", {"starts_at": "2031-01-01T10:00:00"})
    assert bad.status_code == 400


def test_a_finished_session_offers_no_actions(web_client, acme, cast):
    response = web_client(acme, cast.owner.user).get(page(cast.session))
    assert b'data-testid="session-actions"' not in response.content
    assert web_client(acme, cast.tutor.user).post(page(cast.session) + "cancel/").status_code == 409
