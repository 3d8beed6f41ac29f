"""The private ICS feed: valid RFC 5545 with exact instants, secret, revocable, per tenant."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from scheduling.models import CalendarFeed, Session, SessionChange
from tests.access.conftest import error_code
from tests.scheduling.ics.conftest import events, feed_path, parse

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
HOUR = dt.timedelta(hours=1)


def next_date(month: int, day: int) -> dt.date:
    """The next ``month``/``day`` at least a week away (so within the feed's year ahead)."""
    soon = timezone.now().date() + dt.timedelta(days=7)
    candidate = dt.date(soon.year, month, day)
    return candidate if candidate >= soon else dt.date(soon.year + 1, month, day)


def london(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=LONDON)


def in_days(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def uid(session: Session) -> str:
    return f"session-{session.pk}@acme.localhost"


def test_a_tutors_feed_parses_as_rfc_5545_with_one_event_per_session(
    acme, tutor, book, feed_of, fetch
):
    session = book(
        in_days(3),
        tutor_notes="SECRET-TUTOR-NOTE",
        student_notes="SECRET-STUDENT-NOTE",
        summary="Shared summary",
    )
    response = fetch(acme, feed_of(acme, tutor.user))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    calendar = parse(response)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"]
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid(session)
    assert event.decoded("DTSTART") == session.starts_at
    assert event.decoded("DTEND") == session.ends_at
    assert event["DTSTAMP"]
    assert int(event["SEQUENCE"]) == 0
    assert str(event["SUMMARY"]) == "Mathematics with Sam Student"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == f"http://acme.localhost/scheduling/sessions/{session.pk}/"
    assert b"SECRET" not in response.content


def test_summer_and_winter_sessions_keep_their_london_wall_clock_time(
    acme, tutor, book, feed_of, fetch
):
    summer = book(london(next_date(7, 1), 17))
    winter = book(london(next_date(1, 14), 17))

    found = events(fetch(acme, feed_of(acme, tutor.user)))

    summer_start = found[uid(summer)].decoded("DTSTART")
    winter_start = found[uid(winter)].decoded("DTSTART")
    assert summer_start.utcoffset() == winter_start.utcoffset() == dt.timedelta(0)
    assert (summer_start.hour, winter_start.hour) == (16, 17)  # BST is UTC+1, GMT is UTC
    assert summer_start.astimezone(LONDON).hour == winter_start.astimezone(LONDON).hour == 17
    assert found[uid(summer)].decoded("DTEND") - summer_start == HOUR


def test_statuses_map_to_ical_and_recent_releases_are_cancelled_events(
    acme, tutor, book, feed_of, fetch
):
    requested = book(in_days(2), status="requested")
    completed = book(in_days(-2), status="completed")
    cancelled = book(in_days(4), status="cancelled")
    declined = book(in_days(5), status="declined")
    long_cancelled = book(in_days(6), status="cancelled")
    moved = book(in_days(7), reschedule_count=2)
    with tenant_context(acme):
        Session.objects.filter(pk=long_cancelled.pk).update(
            updated_at=timezone.now() - dt.timedelta(days=31)
        )

    found = events(fetch(acme, feed_of(acme, tutor.user)))

    assert {key: str(event["STATUS"]) for key, event in found.items()} == {
        uid(requested): "TENTATIVE",
        uid(completed): "CONFIRMED",
        uid(cancelled): "CANCELLED",
        uid(declined): "CANCELLED",
        uid(moved): "CONFIRMED",
    }
    assert str(found[uid(requested)]["SUMMARY"]).startswith("Requested: ")
    assert int(found[uid(moved)]["SEQUENCE"]) == 2
    assert int(found[uid(cancelled)]["SEQUENCE"]) == 1


def test_a_cancellation_recorded_lately_keeps_the_event_even_if_the_row_is_older(
    acme, tutor, book, feed_of, fetch
):
    session = book(in_days(3), status="cancelled")
    with tenant_context(acme):
        Session.objects.filter(pk=session.pk).update(
            updated_at=timezone.now() - dt.timedelta(days=60)
        )
        SessionChange.objects.create(
            session=session,
            kind="cancellation",
            party="tutor",
            previous_starts_at=session.starts_at,
            previous_ends_at=session.ends_at,
            notice_hours=72,
            within_free_window=True,
            currency="GBP",
        )
    found = events(fetch(acme, feed_of(acme, tutor.user)))
    assert str(found[uid(session)]["STATUS"]) == "CANCELLED"


def test_the_window_is_90_days_back_to_a_year_ahead(acme, tutor, book, feed_of, fetch):
    inside = [
        book(in_days(-89), status="completed"),
        book(in_days(364)),
    ]
    book(in_days(-91), status="completed")
    book(in_days(366))
    found = events(fetch(acme, feed_of(acme, tutor.user)))
    assert set(found) == {uid(s) for s in inside}


def test_each_person_sees_their_own_side(
    acme,
    teacher,
    tutor,
    tutor_profile,
    student,
    student_profile,
    parent,
    child,
    owner,
    booked,
    feed_of,
    fetch,
):
    adult = booked(tutor_profile, student_profile, in_days(3))
    kids = booked(tutor_profile, child, in_days(4))
    _, other_profile = teacher(acme, first_name="Olga", last_name="Other")
    theirs = booked(other_profile, student_profile, in_days(5))

    assert set(events(fetch(acme, feed_of(acme, tutor.user)))) == {uid(adult), uid(kids)}
    student_events = events(fetch(acme, feed_of(acme, student.user)))
    assert set(student_events) == {uid(adult), uid(theirs)}
    assert str(student_events[uid(theirs)]["SUMMARY"]) == "Mathematics with Olga Other"
    parent_events = events(fetch(acme, feed_of(acme, parent.user)))
    assert set(parent_events) == {uid(kids)}
    assert str(parent_events[uid(kids)]["SUMMARY"]) == "Mathematics: Kit with Theo Turner"
    # The agency's staff take part in no session: their feed is empty, not everyone's.
    assert events(fetch(acme, feed_of(acme, owner.user))) == {}


def test_only_a_hash_of_the_secret_is_stored(acme, tutor, feed_of):
    url = feed_of(acme, tutor.user)
    token = feed_path(url).rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43
    with tenant_context(acme):
        feed = CalendarFeed.objects.get()
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in feed.token_hash


def test_a_revoked_feed_is_gone(acme, api_client, tutor, feed_of, fetch):
    url = feed_of(acme, tutor.user)
    assert fetch(acme, url).status_code == 200
    client = api_client(acme, tutor.user)
    assert client.delete("/api/v1/scheduling/calendar-feed/").status_code == 204
    response = fetch(acme, url)
    assert response.status_code == 404
    assert b"BEGIN:VCALENDAR" not in response.content
    assert client.get("/api/v1/scheduling/calendar-feed/").json()["active"] is False
    assert AuditEntry.objects.filter(action="scheduling.calendar_feed.revoked").count() == 1


def test_rotating_the_feed_kills_the_old_url(acme, tutor, feed_of, fetch):
    first = feed_of(acme, tutor.user)
    second = feed_of(acme, tutor.user)
    assert first != second
    assert fetch(acme, first).status_code == 404
    assert fetch(acme, second).status_code == 200
    with tenant_context(acme):
        assert CalendarFeed.objects.filter(revoked_at__isnull=True).count() == 1
    assert AuditEntry.objects.filter(action="scheduling.calendar_feed.rotated").count() == 1


def test_unknown_tokens_open_nothing(acme, tutor, feed_of, fetch, web_client):
    url = feed_of(acme, tutor.user)
    for wrong in (url[:-6] + "x.ics", url.replace(".ics", "x.ics")):
        assert fetch(acme, wrong).status_code == 404
    assert web_client(acme).get("/scheduling/calendar/.ics").status_code == 404
    assert web_client(acme).post(feed_path(url)).status_code == 405


def test_another_tenants_token_on_this_host_is_not_found(acme, globex, teacher, feed_of, fetch):
    globex_tutor, _ = teacher(globex)
    globex_url = feed_of(globex, globex_tutor.user)
    assert fetch(globex, globex_url).status_code == 200
    assert fetch(acme, globex_url).status_code == 404


def test_a_member_who_left_the_tenant_gets_nothing(acme, tutor, feed_of, fetch):
    url = feed_of(acme, tutor.user)
    Membership.objects.filter(pk=tutor.pk).update(is_active=False)
    assert fetch(acme, url).status_code == 404


def test_a_fetch_is_stamped(acme, tutor, feed_of, fetch):
    fetch(acme, feed_of(acme, tutor.user))
    with tenant_context(acme):
        assert CalendarFeed.objects.get().last_fetched_at is not None


# Managing the feed --------------------------------------------------------------------------


def test_the_api_shows_the_url_only_when_it_is_made(acme, api_client, student):
    client = api_client(acme, student.user)
    assert client.get("/api/v1/scheduling/calendar-feed/").json() == {
        "active": False,
        "created_at": None,
        "last_fetched_at": None,
        "url": None,
    }
    made = client.post("/api/v1/scheduling/calendar-feed/").json()
    assert made["active"] is True
    assert made["url"].startswith("http://acme.localhost/scheduling/calendar/")
    assert made["url"].endswith(".ics")
    shown = client.get("/api/v1/scheduling/calendar-feed/").json()
    assert shown["active"] is True
    assert shown["url"] is None


def test_a_globex_token_manages_no_acme_feed(acme, globex, api_client, teacher, tutor):
    globex_tutor, _ = teacher(globex)
    client = api_client(globex, globex_tutor.user)
    client.defaults["HTTP_HOST"] = "acme.localhost"
    response = client.post("/api/v1/scheduling/calendar-feed/")
    assert response.status_code == 401
    assert error_code(response) == "wrong_tenant"
    with tenant_context(acme):
        assert not CalendarFeed.objects.exists()


def test_the_feed_page_shows_the_new_url_once_and_revokes_it(acme, web_client, tutor, fetch):
    browser = web_client(acme, tutor.user)
    page = browser.get("/scheduling/calendar-feed/")
    assert page.status_code == 200
    assert b"You have no calendar feed" in page.content
    assert b"Google Calendar" in page.content
    assert b"Outlook" in page.content

    made = browser.post("/scheduling/calendar-feed/", {"action": "issue"})
    assert made.status_code == 200
    url = made.context["url"]
    assert url.encode() in made.content
    assert fetch(acme, url).status_code == 200
    again = browser.get("/scheduling/calendar-feed/")
    assert url.encode() not in again.content
    assert b"A feed is active" in again.content

    revoked = browser.post("/scheduling/calendar-feed/", {"action": "revoke"})
    assert revoked.status_code == 302
    assert fetch(acme, url).status_code == 404
    assert browser.post("/scheduling/calendar-feed/", {"action": "other"}).status_code == 400
