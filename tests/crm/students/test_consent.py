"""Consent for children under 13: given by a linked parent, recorded by staff, withdrawn;
and the rules ``minors.student_check`` applies for other domains."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Membership
from audit.models import AuditEntry
from config.errors import ApplicationError
from crm import minors, services
from crm.models import ParentalConsent, ParentLink, StudentProfile
from notifications.models import Notification
from tests.access.conftest import error_code, field_errors
from tests.crm.students.conftest import student_url

pytestmark = pytest.mark.django_db

STATEMENT = "I consent to my child using the service."


def _consents(acme, student) -> list[ParentalConsent]:
    with tenant_context(acme):
        return list(ParentalConsent.objects.filter(student=student).order_by("id"))


def test_a_linked_parent_gives_consent_online_and_it_is_recorded(
    api_client, acme, parent, child_of
):
    child = child_of(parent)
    client = api_client(acme, parent.user)
    response = client.post(
        student_url(child, "consent/"),
        {"statement": STATEMENT},
        format="json",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["method"] == "online"
    assert body["parent"]["id"] == parent.user_id
    assert body["recorded_by"]["id"] == parent.user_id
    assert body["ip_address"] == "203.0.113.9"
    assert body["statement"] == STATEMENT
    profile = client.get(student_url(child)).json()
    assert profile["consent"]["status"] == "given"
    assert profile["restrictions"] == []
    assert AuditEntry.objects.filter(action="crm.consent.given").exists()


def test_the_parent_withdraws_consent_and_the_record_stays(api_client, acme, parent, child_of):
    child = child_of(parent)
    client = api_client(acme, parent.user)
    client.post(student_url(child, "consent/"), {"statement": STATEMENT}, format="json")
    response = client.post(student_url(child, "consent/withdraw/"))
    assert response.status_code == 200, response.content
    assert response.json()["withdrawn_by"]["id"] == parent.user_id
    assert client.get(student_url(child)).json()["consent"]["status"] == "needed"
    history = client.get(student_url(child, "consent/")).json()
    assert history["count"] == 1
    assert history["results"][0]["withdrawn_at"] is not None
    again = client.post(student_url(child, "consent/withdraw/"))
    assert (again.status_code, error_code(again)) == (409, "no_consent")


def test_consent_can_be_given_again_after_withdrawal(api_client, acme, parent, child_of):
    child = child_of(parent)
    client = api_client(acme, parent.user)
    for _ in range(2):
        assert (
            client.post(
                student_url(child, "consent/"), {"statement": STATEMENT}, "json"
            ).status_code
            == 201
        )
        assert client.post(student_url(child, "consent/withdraw/")).status_code == 200
    assert len(_consents(acme, child)) == 2


def test_only_one_consent_is_in_force(api_client, acme, parent, child_of):
    child = child_of(parent)
    client = api_client(acme, parent.user)
    client.post(student_url(child, "consent/"), {"statement": STATEMENT}, format="json")
    response = client.post(student_url(child, "consent/"), {"statement": STATEMENT}, "json")
    assert (response.status_code, error_code(response)) == (409, "consent_already_given")
    assert len(_consents(acme, child)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_parents_consenting_at_once_record_one_consent(tenant_factory, member):
    tenant = tenant_factory("racing")
    owner = Membership.objects.get(tenant=tenant, role="owner")
    mum = member(tenant, Membership.Role.PARENT)
    dad = member(tenant, Membership.Role.PARENT)
    with tenant_context(tenant):
        from tests.crm.students.conftest import dob_for

        child = services.student_create(
            actor=owner,
            first_name="Kim",
            date_of_birth=dob_for(8),
            parents=[{"email": mum.user.email}, {"email": dad.user.email}],
        )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def consent(who: Membership) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait()
                services.consent_give(student=child, actor=who, statement=STATEMENT)
                outcomes.append("given")
        except ApplicationError as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=consent, args=(who,)) for who in (mum, dad)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["consent_already_given", "given"]
    with tenant_context(tenant):
        assert ParentalConsent.objects.filter(student=child, withdrawn_at=None).count() == 1


@pytest.mark.parametrize("body", [{"statement": ""}, {}, {"statement": "x" * 2001}])
def test_a_consent_needs_its_statement(api_client, acme, parent, child_of, body):
    child = child_of(parent)
    response = api_client(acme, parent.user).post(student_url(child, "consent/"), body, "json")
    assert "statement" in field_errors(response)
    assert _consents(acme, child) == []


def test_consent_is_not_taken_for_a_child_of_13_or_more(api_client, acme, parent, child_of):
    child = child_of(parent, age=13)
    response = api_client(acme, parent.user).post(
        student_url(child, "consent/"), {"statement": STATEMENT}, format="json"
    )
    assert (response.status_code, error_code(response)) == (400, "consent_not_required")


def test_an_unlinked_parent_can_neither_give_nor_see_consent(
    api_client, acme, member, parent, child_of
):
    child = child_of(parent)
    stranger = api_client(acme, member(acme, Membership.Role.PARENT).user)
    response = stranger.post(student_url(child, "consent/"), {"statement": STATEMENT}, "json")
    assert response.status_code == 404
    assert stranger.get(student_url(child, "consent/")).status_code == 404


@pytest.mark.parametrize("role", ["tutor", "student"])
def test_tutors_and_students_cannot_give_consent_or_read_its_history(
    api_client, acme, member, child_of, role
):
    child = child_of()
    person = member(acme, role)
    owner = Membership.objects.get(tenant=acme, role="owner")
    with tenant_context(acme):
        if role == "tutor":
            services.tutor_assign(student=child, actor=owner, tutor_id=person.user_id)
        else:
            StudentProfile.objects.filter(pk=child.pk).update(user=person.user)
    client = api_client(acme, person.user)
    assert client.get(student_url(child)).status_code == 200
    assert (
        client.post(student_url(child, "consent/"), {"statement": STATEMENT}, "json").status_code
        == 403
    )
    assert client.get(student_url(child, "consent/")).status_code == 403
    assert client.post(student_url(child, "consent/withdraw/")).status_code == 403


def test_staff_record_a_paper_consent_for_a_named_parent_who_is_told(
    as_role, api_client, acme, parent, child_of
):
    child = child_of(parent)
    with tenant_context(acme):
        link = ParentLink.objects.get(student=child)
    response = as_role("staff").post(
        student_url(child, "consent/"),
        {"statement": "Signed form 12", "parent_link_id": link.pk, "method": "paper_form"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["method"], body["parent"]["id"], body["ip_address"]) == (
        "paper_form",
        parent.user_id,
        None,
    )
    assert body["recorded_by"]["id"] != parent.user_id
    with tenant_context(acme):
        assert Notification.objects.filter(user=parent.user, event="crm.consent_given").exists()
    history = api_client(acme, parent.user).get(student_url(child, "consent/")).json()
    assert [c["method"] for c in history["results"]] == ["paper_form"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"method": "paper_form"}, "parent_link_id"),
        ({"parent_link_id": "LINK", "method": "online"}, "method"),
        ({"parent_link_id": "LINK"}, "method"),
        ({"parent_link_id": 999999, "method": "verbal"}, "parent_link_id"),
        ({"parent_link_id": "INVITED", "method": "verbal"}, "parent_link_id"),
    ],
)
def test_bad_recorded_consent_is_a_field_error(as_role, parent, make_student, body, field):
    acme = parent.tenant
    child = make_student(
        age=9, parents=[{"email": parent.user.email}, {"email": "invited@example.test"}]
    )
    with tenant_context(acme):
        links = {
            "LINK": ParentLink.objects.get(student=child, parent=parent.user).pk,
            "INVITED": ParentLink.objects.get(student=child, parent=None).pk,
        }
    body = {key: links.get(value, value) for key, value in body.items()}
    response = as_role("owner").post(
        student_url(child, "consent/"), {"statement": "Form", **body}, format="json"
    )
    assert field in field_errors(response)
    assert _consents(acme, child) == []


def test_staff_withdraw_consent_on_a_parents_word(as_role, acme, parent, child_of):
    child = child_of(parent)
    with tenant_context(acme):
        services.consent_give(student=child, actor=parent, statement=STATEMENT)
    response = as_role("admin").post(student_url(child, "consent/withdraw/"))
    assert response.status_code == 200, response.content
    with tenant_context(acme):
        assert Notification.objects.filter(user=parent.user, event="crm.consent_withdrawn").exists()


# The rules other domains rely on -----------------------------------------------------------


ACTIONS = ["upload", "book", "message"]


def _check(acme, student, action: str) -> str | None:
    """The code ``student_check`` refuses ``action`` with (always a 403), or None."""
    with tenant_context(acme):
        fresh = StudentProfile.objects.get(pk=student.pk)
        try:
            minors.student_check(fresh, action)
        except ApplicationError as error:
            refused = error
        else:
            return None
    assert refused.status == 403
    return refused.code


@pytest.mark.parametrize("action", ACTIONS)
def test_an_under_13_acts_only_while_consent_is_in_force(acme, parent, child_of, action):
    child = child_of(parent, age=12)
    assert _check(acme, child, action) == "consent_required"
    with tenant_context(acme):
        services.consent_give(student=child, actor=parent, statement=STATEMENT)
    assert _check(acme, child, action) is None
    with tenant_context(acme):
        services.consent_withdraw(student=child, actor=parent)
    assert _check(acme, child, action) == "consent_required"


@pytest.mark.parametrize("action", ACTIONS)
def test_a_teenager_needs_a_parent_link_only(acme, owner, make_student, action):
    teen = make_student(age=13, parents=[{"email": "a@example.test"}, {"email": "b@example.test"}])
    assert _check(acme, teen, action) is None
    with tenant_context(acme):
        ParentLink.objects.filter(student=teen).delete()  # e.g. a data import gone wrong
    assert _check(acme, teen, action) == "parent_required"


@pytest.mark.parametrize("action", ACTIONS)
def test_an_adult_acts_freely(acme, make_student, action):
    assert _check(acme, make_student(age=18, parents=[]), action) is None


def test_an_unknown_action_is_a_programming_error(acme, make_student):
    student = make_student(age=20)
    with tenant_context(acme), pytest.raises(ValueError, match="Unknown guarded action"):
        minors.student_check(student, "dance")


def test_the_api_refuses_a_guarded_action_with_a_403_consent_required(acme, parent, child_of, rf):
    from api.errors import exception_handler

    child = child_of(parent, age=10)
    with tenant_context(acme), pytest.raises(ApplicationError) as refused:
        minors.student_check(child, "book")
    response = exception_handler(refused.value, {})
    assert response.status_code == 403
    assert response.data["error"]["code"] == "consent_required"


@pytest.mark.parametrize(
    ("born", "today", "age"),
    [
        (dt.date(2013, 6, 15), dt.date(2026, 6, 15), 13),  # turns 13 today
        (dt.date(2013, 6, 16), dt.date(2026, 6, 15), 12),  # turns 13 tomorrow
        (dt.date(2012, 2, 29), dt.date(2025, 2, 28), 12),  # leapling, common year: not yet
        (dt.date(2012, 2, 29), dt.date(2025, 3, 1), 13),  # ... a year older on 1 March
        (dt.date(2012, 2, 29), dt.date(2028, 2, 29), 16),  # ... and on 29 February itself
    ],
)
def test_ages_count_birthdays_including_29_february(born, today, age):
    assert minors.age_on(born, today) == age
    assert born <= minors.born_by(age, today)
    assert born > minors.born_by(age + 1, today)


def test_a_child_turning_13_today_no_longer_needs_consent(acme, parent, child_of):
    with tenant_context(acme):
        today = minors.tenant_today()
    child = child_of(parent, date_of_birth=minors.born_by(13, today))
    assert _check(acme, child, "book") is None
    day_before = child_of(
        parent, first_name="Younger", date_of_birth=minors.born_by(13, today) + dt.timedelta(1)
    )
    assert _check(acme, day_before, "book") == "consent_required"


def test_the_consent_filter_counts_a_birthday_today(as_role, parent, child_of, acme):
    with tenant_context(acme):
        today = minors.tenant_today()
    child_of(parent, first_name="Thirteen", date_of_birth=minors.born_by(13, today))
    child_of(parent, first_name="Twelve", date_of_birth=minors.born_by(13, today) + dt.timedelta(1))
    needed = as_role("owner").get("/api/v1/crm/students/?consent=needed").json()["results"]
    assert [s["first_name"] for s in needed] == ["Twelve"]
