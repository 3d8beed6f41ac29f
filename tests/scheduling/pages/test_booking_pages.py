"""Booking pages: choose a tutor, a subject and a free time in one's own zone, confirm."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import TutorProfile, TutorSubject
from scheduling.models import Session
from tests.scheduling.conftest import dob_for
from tests.scheduling.pages.conftest import upcoming

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def mornings(tutor_profile, weekly):
    """Theo teaches every morning, 09:00-12:00 London time."""
    for weekday in range(7):
        weekly(tutor_profile, weekday, "09:00", "12:00")
    return tutor_profile


@pytest.fixture
def new_yorker(student):
    student.user.time_zone = "America/New_York"
    student.user.save(update_fields=["time_zone"])
    return student


@pytest.fixture
def offer(acme, tutor_profile) -> TutorSubject:
    with tenant_context(acme):
        return TutorSubject.objects.get(profile=tutor_profile)


def _confirm_query(offer, student_profile, starts_at: dt.datetime, **extra) -> dict:
    return {
        "offer": offer.pk,
        "duration": 60,
        "student": student_profile.pk,
        "starts_at": starts_at.isoformat(),
        **extra,
    }


def _sessions(acme) -> list[Session]:
    with tenant_context(acme):
        return list(Session.objects.order_by("id"))


# Choosing a tutor --------------------------------------------------------------------------


def test_the_tutor_list_shows_who_teaches_what_and_at_what_rate(
    web_client, acme, student, mornings
):
    response = web_client(acme, student.user).get("/scheduling/book/")
    assert response.status_code == 200
    page = _text(response)
    assert "Theo Turner" in page
    assert "Mathematics (Secondary) · GBP 40.00 an hour" in page
    assert f'href="/scheduling/book/{mornings.pk}/"' in page


def test_tutors_without_an_account_or_a_subject_are_not_offered(web_client, given, mornings):
    acme = given.acme
    _, idle = given.teacher(acme, first_name="Idle")
    with tenant_context(acme):
        TutorSubject.objects.filter(profile=idle).delete()
        invited = TutorProfile.objects.create(
            invited_email="ivy@acme.test", invited_first_name="Ivy"
        )
        TutorSubject.objects.create(
            profile=invited, subject=given.maths, level="secondary", proficiency=4, currency="GBP"
        )
    client = web_client(acme, given.owner.user)
    page = _text(client.get("/scheduling/book/"))
    assert "Theo Turner" in page
    assert "Ivy" not in page
    assert "Idle" not in page
    assert client.get(f"/scheduling/book/{invited.pk}/").status_code == 404


def test_tutors_book_through_the_agency(web_client, acme, tutor, mornings):
    client = web_client(acme, tutor.user)
    assert client.get("/scheduling/book/").status_code == 403
    assert client.get(f"/scheduling/book/{mornings.pk}/").status_code == 403


def test_a_tutor_of_another_agency_is_not_found(web_client, globex, acme, mornings):
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    client = web_client(globex, globex_owner.user)
    assert client.get(f"/scheduling/book/{mornings.pk}/").status_code == 404
    assert client.get(f"/scheduling/book/{mornings.pk}/confirm/").status_code == 404


# Choosing a slot ---------------------------------------------------------------------------


def test_free_times_are_shown_in_the_students_own_time_zone(web_client, acme, new_yorker, mornings):
    london = upcoming(2, "10:00")  # a Wednesday, 10:00 in London
    local = london.astimezone(NEW_YORK)
    response = web_client(acme, new_yorker.user).get(
        f"/scheduling/book/{mornings.pk}/", {"week": local.date().isoformat()}
    )
    assert response.status_code == 200
    page = _text(response)
    assert '<strong data-testid="booking-time-zone">America/New_York</strong>' in page
    slot = re.search(
        rf'data-starts-at="{local.isoformat()}"[^>]*>([^<]+)</a>', page
    )  # the slot's instant, written in New York time
    assert slot is not None, page
    assert slot.group(1) == local.strftime("%H:%M")  # 05:00 (or 04:00 in March/November)
    assert local.strftime("%H:%M") != "10:00"
    assert f"{local:%A} {local.day} {local:%B}" in page


def test_the_week_starts_on_the_day_asked_and_moves_seven_days_at_a_time(
    web_client, acme, student, mornings
):
    day = upcoming(2, "10:00").date()
    page = _text(
        web_client(acme, student.user).get(f"/scheduling/book/{mornings.pk}/", {"week": day})
    )
    headings = re.findall(r'class="booking-day">([^<]+)<', page)
    assert len(headings) == 7
    assert headings[0] == f"{day:%A} {day.day} {day:%B}"
    assert f"week={day + dt.timedelta(days=7)}" in page
    assert f"week={day - dt.timedelta(days=7)}" in page


def test_a_week_in_the_past_starts_today_without_a_way_back(web_client, acme, student, mornings):
    today = timezone.now().astimezone(zoneinfo.ZoneInfo("Europe/London")).date()
    page = _text(
        web_client(acme, student.user).get(
            f"/scheduling/book/{mornings.pk}/", {"week": "2020-01-06"}
        )
    )
    headings = re.findall(r'class="booking-day">([^<]+)<', page)
    assert headings[0] == f"{today:%A} {today.day} {today:%B}"
    assert "Previous 7 days" not in page


def test_a_booked_time_is_not_offered(web_client, given, mornings):
    taken = upcoming(2, "10:00")
    given.booked(mornings, given.learner(first_name="Bea")[1], taken)
    page = _text(
        web_client(given.acme, given.student.user).get(
            f"/scheduling/book/{mornings.pk}/", {"week": taken.date()}
        )
    )
    offered = set(re.findall(r'data-starts-at="([^"]+)"', page))
    assert taken.isoformat() not in offered
    assert upcoming(2, "09:30").isoformat() not in offered  # 09:30-10:30 overlaps it
    assert upcoming(2, "10:30").isoformat() not in offered
    assert {upcoming(2, "09:00").isoformat(), upcoming(2, "11:00").isoformat()} <= offered


@pytest.mark.parametrize(
    "params",
    [{"duration": "17"}, {"offer": "999999"}, {"student": "999999"}, {"week": "2999-01-01"}],
)
def test_bad_choices_are_shown_as_errors(web_client, given, mornings, params):
    assert given.student_profile  # someone to book for
    client = web_client(given.acme, given.owner.user)
    response = client.get(f"/scheduling/book/{mornings.pk}/", params)
    assert response.status_code == 400
    assert 'class="field-error"' in _text(response)
    assert 'data-testid="slot"' not in _text(response)


def test_a_parent_chooses_among_their_own_children(web_client, given, mornings):
    child = given.child
    given.learner(first_name="Stranger")
    client = web_client(given.acme, given.parent.user)
    page = _text(client.get(f"/scheduling/book/{mornings.pk}/"))
    options = re.findall(r'<option value="(\d+)"[^>]*>([^<]+)</option>', page)
    assert (str(child.pk), "Kit Parent") in options
    assert not [name for _, name in options if "Stranger" in name]


def test_a_parent_without_linked_children_is_told_why_there_is_nothing_to_book(
    web_client, acme, member, mornings
):
    lonely = member(acme, Membership.Role.PARENT, first_name="Lone")
    page = _text(web_client(acme, lonely.user).get(f"/scheduling/book/{mornings.pk}/"))
    assert "No child is linked to your account yet" in page


# Confirming --------------------------------------------------------------------------------


def test_the_confirmation_shows_time_price_and_cancellation_policy(web_client, given, mornings):
    starts_at = upcoming(2, "10:00")
    response = web_client(given.acme, given.new_yorker.user).get(
        f"/scheduling/book/{mornings.pk}/confirm/",
        _confirm_query(given.offer, given.student_profile, starts_at, duration=90),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    page = _text(response)
    start, end = starts_at.astimezone(NEW_YORK), starts_at + dt.timedelta(minutes=90)
    assert f"{start:%H:%M}\N{EN DASH}{end.astimezone(NEW_YORK):%H:%M} (America/New_York)" in page
    assert '<dd data-testid="booking-price">GBP 60.00</dd>' in page  # 40.00 an hour, 90 min
    assert "Free cancellation up to 24 hours before the start." in page
    assert "Later cancellations cost 50 % of the price." in page
    assert "Send request" in page
    assert "<html" not in page  # the htmx partial


def test_confirming_sends_a_request_and_says_so(web_client, given, mornings):
    acme, starts_at = given.acme, upcoming(3, "09:30")
    client = web_client(acme, given.student.user)
    response = client.post(
        f"/scheduling/book/{mornings.pk}/confirm/",
        _confirm_query(given.offer, given.student_profile, starts_at, message="Quadratics please"),
    )
    assert response.status_code == 302
    [session] = _sessions(acme)
    assert response["Location"] == f"/scheduling/book/done/{session.pk}/"
    assert (session.status, session.starts_at, session.request_message) == (
        "requested",
        starts_at,
        "Quadratics please",
    )
    assert session.price_minor == 4000
    done = _text(client.get(response["Location"]))
    assert '<strong data-testid="booking-status">requested</strong>' in done


def test_with_instant_booking_the_session_is_confirmed_at_once(web_client, given, mornings):
    acme = given.acme
    given.schedule_set(mornings, instant_booking=True)
    client = web_client(acme, given.student.user)
    query = _confirm_query(given.offer, given.student_profile, upcoming(3, "10:00"))
    assert "Book now" in _text(client.get(f"/scheduling/book/{mornings.pk}/confirm/", query))
    response = client.post(f"/scheduling/book/{mornings.pk}/confirm/", query, follow=True)
    assert '<strong data-testid="booking-status">confirmed</strong>' in _text(response)
    assert [s.status for s in _sessions(acme)] == ["confirmed"]


def test_a_slot_taken_meanwhile_is_an_error_on_the_page(web_client, given, mornings):
    acme, starts_at = given.acme, upcoming(3, "10:00")
    client = web_client(acme, given.student.user)
    query = _confirm_query(given.offer, given.student_profile, starts_at)
    assert client.get(f"/scheduling/book/{mornings.pk}/confirm/", query).status_code == 200
    given.booked(mornings, given.learner(first_name="Quick")[1], starts_at)  # someone was faster
    response = client.post(f"/scheduling/book/{mornings.pk}/confirm/", query)
    assert response.status_code == 400
    page = _text(response)
    assert 'data-testid="booking-errors"' in page
    assert "too close to another session" in page
    assert "Choose another time" in page
    assert "Send request" not in page
    assert len(_sessions(acme)) == 1


def test_a_child_without_consent_cannot_be_booked_and_the_page_says_why(
    web_client, given, mornings
):
    acme, parent, offer = given.acme, given.parent, given.offer
    with tenant_context(acme):
        kid = crm.student_create(
            actor=given.owner,
            first_name="Nina",
            last_name="Parent",
            date_of_birth=dob_for(9),
            parents=[{"email": parent.user.email}],
        )
    client = web_client(acme, parent.user)
    query = _confirm_query(offer, kid, upcoming(3, "10:00"))
    shown = client.get(f"/scheduling/book/{mornings.pk}/confirm/", query)
    assert shown.status_code == 403
    assert "A parent must give consent" in _text(shown)
    response = client.post(f"/scheduling/book/{mornings.pk}/confirm/", query)
    assert response.status_code == 403
    assert "A parent must give consent" in _text(response)
    assert _sessions(acme) == []


def test_a_parent_books_for_their_child(web_client, given, mornings):
    acme, parent, child = given.acme, given.parent, given.child
    response = web_client(acme, parent.user).post(
        f"/scheduling/book/{mornings.pk}/confirm/",
        _confirm_query(given.offer, child, upcoming(4, "11:00")),
    )
    assert response.status_code == 302
    [session] = _sessions(acme)
    assert (session.student_id, session.requested_by_id) == (child.pk, parent.user_id)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"starts_at": "2030-06-05T10:00:00"}, "Choose a time from the list of free times."),
        ({"starts_at": "whenever"}, "Choose a time from the list of free times."),
        ({"duration": "17"}, "Select a valid choice."),
        ({"message": "x" * 2001}, "Ensure this value has at most 2000 characters"),
    ],
)
def test_bad_booking_input_is_shown_not_booked(web_client, given, mornings, change, message):
    query = _confirm_query(given.offer, given.student_profile, upcoming(3, "10:00")) | change
    response = web_client(given.acme, given.student.user).post(
        f"/scheduling/book/{mornings.pk}/confirm/", query
    )
    assert response.status_code == 400
    assert message in _text(response)
    assert _sessions(given.acme) == []


def test_a_time_outside_the_tutors_availability_is_refused(web_client, given, mornings):
    query = _confirm_query(given.offer, given.student_profile, upcoming(3, "15:00"))
    response = web_client(given.acme, given.student.user).post(
        f"/scheduling/book/{mornings.pk}/confirm/", query
    )
    assert response.status_code == 400
    assert "outside the tutor&#x27;s availability" in _text(response)
    assert _sessions(given.acme) == []


def test_a_student_cannot_book_for_someone_else(web_client, given, mornings):
    other = given.learner(first_name="Otto")[1]
    query = _confirm_query(given.offer, other, upcoming(3, "10:00"))
    response = web_client(given.acme, given.student.user).post(
        f"/scheduling/book/{mornings.pk}/confirm/", query
    )
    assert response.status_code == 400
    assert _sessions(given.acme) == []


def test_the_done_page_of_someone_elses_session_is_not_found(web_client, given, mornings):
    theirs = given.booked(mornings, given.learner(first_name="Otto")[1], upcoming(3, "10:00"))
    response = web_client(given.acme, given.student.user).get(f"/scheduling/book/done/{theirs.pk}/")
    assert response.status_code == 404


def test_confirm_links_from_the_slot_page_lead_to_a_bookable_confirmation(
    web_client, acme, student, mornings
):
    day = upcoming(2, "10:00").date()
    client = web_client(acme, student.user)
    page = _text(client.get(f"/scheduling/book/{mornings.pk}/", {"week": day}))
    link = re.search(r'href="(/scheduling/book/\d+/confirm/\?[^"]+)"', page).group(1)
    response = client.get(link.replace("&amp;", "&"))
    assert response.status_code == 200
    assert "Send request" in _text(response)
