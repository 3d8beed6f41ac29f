"""The requests inbox: tutors (and owners and admins) accept or decline with htmx."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from scheduling.models import Session
from tests.scheduling.pages.conftest import upcoming

pytestmark = pytest.mark.django_db

INBOX = "/scheduling/requests/"
HTMX = {"HTTP_HX_REQUEST": "true"}


def _text(response) -> str:
    return response.content.decode()


def _status(acme, session: Session) -> str:
    with tenant_context(acme):
        return Session.objects.get(pk=session.pk).status


@pytest.fixture
def asked(given):
    """Sam asks Theo for Thursday 10:00 London time; the request expires in a day."""
    return given.booked(
        given.tutor_profile,
        given.student_profile,
        upcoming(3, "10:00"),
        status="requested",
        requested_by=given.student.user,
        request_message="Help with vectors",
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )


@pytest.fixture
def olgas(given):
    """A request to another tutor, Olga, from Bea."""
    _, olga = given.teacher(given.acme, first_name="Olga", last_name="Other")
    bea = given.learner(first_name="Bea")[1]
    return given.booked(
        olga,
        bea,
        upcoming(4, "10:00"),
        status="requested",
        expires_at=timezone.now() + dt.timedelta(hours=24),
    )


def test_a_tutor_sees_their_pending_requests_in_their_own_zone(web_client, given, asked, olgas):
    tutor = given.tutor
    tutor.user.time_zone = "Asia/Tokyo"
    tutor.user.save(update_fields=["time_zone"])
    response = web_client(given.acme, tutor.user).get(INBOX)
    assert response.status_code == 200
    page = _text(response)
    local = asked.starts_at.astimezone(dt.timezone(dt.timedelta(hours=9)))
    assert f"{local:%a} {local.day} {local:%b %Y, %H:%M}" in page
    assert "Sam Student" in page
    assert "Help with vectors" in page
    assert "Asia/Tokyo" in page
    assert "Bea" not in page  # Olga's request
    assert page.count('data-testid="request-row"') == 1


def test_the_tutor_accepts_with_htmx_and_gets_the_inbox_back(web_client, given, asked):
    client = web_client(given.acme, given.tutor.user)
    response = client.post(f"{INBOX}{asked.pk}/accept/", **HTMX)
    assert response.status_code == 200
    page = _text(response)
    assert "<html" not in page
    assert "Accepted: Mathematics with Sam Student." in page
    assert 'data-testid="requests-empty"' in page
    assert _status(given.acme, asked) == "confirmed"


def test_declining_needs_a_reason(web_client, given, asked):
    client = web_client(given.acme, given.tutor.user)
    url = f"{INBOX}{asked.pk}/decline/"
    response = client.post(url, {f"session-{asked.pk}-reason": "  "}, **HTMX)
    assert response.status_code == 400
    assert "This field is required." in _text(response)
    assert _status(given.acme, asked) == "requested"

    response = client.post(url, {f"session-{asked.pk}-reason": "Away that week"}, **HTMX)
    assert response.status_code == 200
    assert "Declined: Mathematics with Sam Student." in _text(response)
    with tenant_context(given.acme):
        declined = Session.objects.get(pk=asked.pk)
    assert (declined.status, declined.decline_reason) == ("declined", "Away that week")


def test_without_htmx_the_answer_redirects_back_to_the_inbox(web_client, given, asked):
    client = web_client(given.acme, given.tutor.user)
    response = client.post(f"{INBOX}{asked.pk}/accept/")
    assert response.status_code == 302
    assert response["Location"] == INBOX
    assert "Accepted" in _text(client.get(INBOX))


def test_an_answered_request_cannot_be_answered_again(web_client, given, asked):
    client = web_client(given.acme, given.tutor.user)
    assert client.post(f"{INBOX}{asked.pk}/accept/", **HTMX).status_code == 200
    response = client.post(
        f"{INBOX}{asked.pk}/decline/", {f"session-{asked.pk}-reason": "Oops"}, **HTMX
    )
    assert response.status_code == 409
    assert _status(given.acme, asked) == "confirmed"


def test_an_expired_request_is_not_listed_and_cannot_be_accepted(web_client, given, asked):
    with tenant_context(given.acme):
        Session.objects.filter(pk=asked.pk).update(
            expires_at=timezone.now() - dt.timedelta(minutes=1)
        )
    client = web_client(given.acme, given.tutor.user)
    assert 'data-testid="requests-empty"' in _text(client.get(INBOX))
    response = client.post(f"{INBOX}{asked.pk}/accept/")
    assert response.status_code == 302
    assert "expired" in _text(client.get(INBOX))
    assert _status(given.acme, asked) == "expired"


def test_a_tutor_cannot_answer_another_tutors_request(web_client, given, olgas):
    client = web_client(given.acme, given.tutor.user)
    assert client.post(f"{INBOX}{olgas.pk}/accept/").status_code == 404
    assert client.post(f"{INBOX}{olgas.pk}/decline/", {"reason": "No"}).status_code == 404
    assert _status(given.acme, olgas) == "requested"


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_see_and_answer_every_tutors_requests(
    web_client, given, asked, olgas, role
):
    manager = given.member(given.acme, role)
    client = web_client(given.acme, manager.user)
    page = _text(client.get(INBOX))
    assert "Theo Turner" in page
    assert "Olga Other" in page
    assert client.post(f"{INBOX}{olgas.pk}/accept/", **HTMX).status_code == 200
    assert _status(given.acme, olgas) == "confirmed"


@pytest.mark.parametrize("role", ["staff", "student", "parent"])
def test_others_cannot_open_or_use_the_inbox(web_client, given, asked, role):
    client = web_client(given.acme, given.member(given.acme, role).user)
    assert client.get(INBOX).status_code == 403
    assert client.post(f"{INBOX}{asked.pk}/accept/").status_code == 403
    assert _status(given.acme, asked) == "requested"


def test_accepting_needs_a_post(web_client, given, asked):
    response = web_client(given.acme, given.tutor.user).get(f"{INBOX}{asked.pk}/accept/")
    assert response.status_code == 405


def test_a_request_of_another_agency_is_not_found(web_client, given, asked):
    globex_owner = Membership.objects.get(tenant=given.globex, role="owner")
    client = web_client(given.globex, globex_owner.user)
    assert client.post(f"{INBOX}{asked.pk}/accept/").status_code == 404
    assert _status(given.acme, asked) == "requested"
