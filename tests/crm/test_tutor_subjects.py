"""Subjects on a tutor's profile: level, difficulty, proficiency and a rate in minor units."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from crm.models import TutorSubject
from tests.access.conftest import field_errors

pytestmark = pytest.mark.django_db

URL = "/api/v1/crm/tutors/me/subjects/"


@pytest.fixture
def tutor_client(api_client, acme, tutor):
    acme.default_currency = "GBP"
    acme.save(update_fields=["default_currency"])
    tutor.tenant.refresh_from_db()
    return api_client(acme, tutor.user)


def _add(client, subject, **fields):
    body = {"subject_id": subject.pk, "level": "secondary", "proficiency": 4, **fields}
    return client.post(URL, body, format="json")


def test_a_tutor_adds_a_subject_priced_in_the_agencys_currency(
    tutor_client, acme, subject_in, tutor
):
    response = _add(tutor_client, subject_in(acme), hourly_rate_minor=4550, difficulty="advanced")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["subject"]["slug"] == "mathematics"
    assert (body["level"], body["difficulty"], body["proficiency"]) == ("secondary", "advanced", 4)
    assert (body["hourly_rate_minor"], body["currency"]) == (4550, "GBP")
    assert AuditEntry.objects.filter(action="crm.tutor_subject.added", actor=tutor.user).exists()


def test_the_same_subject_at_two_levels_is_two_entries_but_not_twice_at_one(
    tutor_client, acme, subject_in
):
    maths = subject_in(acme)
    assert _add(tutor_client, maths, level="primary").status_code == 201
    assert _add(tutor_client, maths, level="university").status_code == 201
    response = _add(tutor_client, maths, level="primary")
    assert field_errors(response) == {"level": ["You already teach this subject at this level."]}
    with tenant_context(acme):
        assert TutorSubject.objects.count() == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"hourly_rate_minor": 0}, "hourly_rate_minor"),
        ({"hourly_rate_minor": -100}, "hourly_rate_minor"),
        ({"hourly_rate_minor": 100000_01}, "hourly_rate_minor"),
        ({"hourly_rate_minor": 45.5}, "hourly_rate_minor"),
        ({"hourly_rate_minor": "45.50"}, "hourly_rate_minor"),
        ({"hourly_rate_minor": 2**80}, "hourly_rate_minor"),
        ({"currency": "gbp"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "EU"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"proficiency": 0}, "proficiency"),
        ({"proficiency": 6}, "proficiency"),
        ({"level": "kindergarten"}, "level"),
        ({"difficulty": "expert"}, "difficulty"),
        ({"subject_id": 2**40}, "subject_id"),
        ({"subject_id": "maths"}, "subject_id"),
    ],
)
def test_bad_subject_input_is_a_field_error_and_adds_nothing(
    tutor_client, acme, subject_in, fields, field
):
    response = _add(tutor_client, subject_in(acme), **fields)
    assert field in field_errors(response)
    with tenant_context(acme):
        assert not TutorSubject.objects.exists()


def test_the_highest_rate_allowed_is_100000_00(tutor_client, acme, subject_in):
    response = _add(tutor_client, subject_in(acme), hourly_rate_minor=100000_00, currency="JPY")
    assert response.status_code == 201, response.content


def test_an_inactive_subject_cannot_be_added(tutor_client, acme, subject_in):
    maths = subject_in(acme)
    with tenant_context(acme):
        maths.is_active = False
        maths.save()
    assert "subject_id" in field_errors(_add(tutor_client, maths))


def test_a_globex_subject_id_cannot_be_added_on_acme(tutor_client, acme, globex):
    from crm.models import Subject

    with tenant_context(globex):
        latin = Subject.objects.create(name="Latin", slug="latin")
    assert "subject_id" in field_errors(_add(tutor_client, latin))


def test_a_tutor_changes_the_rate_and_level_of_their_subject(tutor_client, acme, subject_in):
    added = _add(tutor_client, subject_in(acme)).json()
    assert added["hourly_rate_minor"] is None
    response = tutor_client.patch(
        f"{URL}{added['id']}/",
        {"hourly_rate_minor": 6000, "currency": "EUR", "level": "exam_prep"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["hourly_rate_minor"], body["currency"], body["level"]) == (
        6000,
        "EUR",
        "exam_prep",
    )
    bad = tutor_client.patch(f"{URL}{added['id']}/", {"hourly_rate_minor": 0}, format="json")
    assert "hourly_rate_minor" in field_errors(bad)


def test_moving_a_subject_onto_a_level_already_taught_is_refused(tutor_client, acme, subject_in):
    maths = subject_in(acme)
    _add(tutor_client, maths, level="primary")
    second = _add(tutor_client, maths, level="adult").json()
    response = tutor_client.patch(f"{URL}{second['id']}/", {"level": "primary"}, format="json")
    assert "level" in field_errors(response)


def test_a_tutor_removes_their_subject(tutor_client, acme, subject_in):
    added = _add(tutor_client, subject_in(acme)).json()
    assert tutor_client.delete(f"{URL}{added['id']}/").status_code == 204
    with tenant_context(acme):
        assert not TutorSubject.objects.exists()
    assert AuditEntry.objects.filter(action="crm.tutor_subject.removed").exists()


def test_another_tutors_subject_is_not_found(api_client, acme, member, tutor_client, subject_in):
    added = _add(tutor_client, subject_in(acme), hourly_rate_minor=1000).json()
    other = api_client(acme, member(acme, Membership.Role.TUTOR).user)
    assert other.patch(f"{URL}{added['id']}/", {"hourly_rate_minor": 1}).status_code == 404
    assert other.delete(f"{URL}{added['id']}/").status_code == 404
    with tenant_context(acme):
        assert TutorSubject.objects.get(pk=added["id"]).hourly_rate_minor == 1000
