"""Student pages: the list with htmx filters, adding, the profile and its actions."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services
from crm.models import ParentalConsent, ParentLink, StudentProfile, TutorAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_browser(web_client, acme, member):
    return web_client(acme, member(acme, Membership.Role.STAFF).user)


def test_the_list_filters_with_htmx_returning_only_the_results(staff_browser, make_student):
    make_student(age=20, first_name="Alice", parents=[])
    make_student(age=20, first_name="Bob", parents=[])
    full = staff_browser.get(reverse("crm:student_list"))
    assert full.status_code == 200
    assert b'hx-get="/crm/students/"' in full.content
    partial = staff_browser.get(reverse("crm:student_list") + "?q=ali", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert b"Alice Student" in partial.content
    assert b"Bob Student" not in partial.content


def test_bad_filters_show_field_errors_not_a_crash(staff_browser):
    response = staff_browser.get(reverse("crm:student_list") + "?sort=shoe&subject=abc")
    assert response.status_code == 200
    assert b"field-error" in response.content


def test_the_tutor_sees_my_students_and_the_parent_my_children(web_client, acme, member):
    tutor = member(acme, Membership.Role.TUTOR)
    parent = member(acme, Membership.Role.PARENT)
    assert b"My students" in web_client(acme, tutor.user).get("/crm/students/").content
    assert b"My children" in web_client(acme, parent.user).get("/crm/students/").content


def test_staff_add_a_student_with_a_parent(staff_browser, acme):
    response = staff_browser.post(
        reverse("crm:student_create"),
        {
            "first_name": "Nia",
            "date_of_birth": "2016-05-04",
            "parent1_email": "nia.mum@example.test",
            "parent1_relationship": "mother",
        },
    )
    assert response.status_code == 302, response.content
    with tenant_context(acme):
        student = StudentProfile.objects.get(first_name="Nia")
        assert ParentLink.objects.get(student=student).relationship == "mother"
    assert response["Location"] == reverse("crm:student_detail", kwargs={"pk": student.pk})


def test_adding_a_minor_without_a_parent_shows_the_error_next_to_the_parent(staff_browser, acme):
    response = staff_browser.post(
        reverse("crm:student_create"), {"first_name": "Nia", "date_of_birth": "2016-05-04"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_parent1_email_error"' in html
    assert "needs a parent or guardian" in html
    with tenant_context(acme):
        assert not StudentProfile.objects.exists()


def test_bad_dates_and_emails_are_field_errors(staff_browser):
    response = staff_browser.post(
        reverse("crm:student_create"),
        {"first_name": "", "date_of_birth": "soon", "email": "nope"},
    )
    html = response.content.decode()
    for field in ("first_name", "date_of_birth"):
        assert f'id="id_{field}_error"' in html


@pytest.mark.parametrize("role", ["tutor", "student", "parent"])
def test_only_staff_open_the_add_form(web_client, acme, member, role):
    assert web_client(acme, member(acme, role).user).get("/crm/students/new/").status_code == 403


def test_the_detail_page_shows_parents_consent_tutors_and_staff_actions(
    staff_browser, acme, owner, member, make_student
):
    tutor = member(acme, Membership.Role.TUTOR, first_name="Tess", last_name="Tutor")
    student = make_student(age=10, first_name="Kai")
    with tenant_context(acme):
        services.tutor_assign(student=student, actor=owner, tutor_id=tutor.user_id)
    html = staff_browser.get(reverse("crm:student_detail", kwargs={"pk": student.pk})).content
    html = html.decode()
    for text in ("guardian@example.test", "Invited", "Consent needed", "Tess Tutor"):
        assert text in html
    for action in ("student_archive", "student_parent_add", "student_tutor_assign"):
        assert reverse(f"crm:{action}", kwargs={"pk": student.pk}) in html
    assert "Record consent" not in html  # the only parent has no account yet


def test_staff_assign_and_unassign_a_tutor_on_the_page(staff_browser, acme, member, make_student):
    tutor = member(acme, Membership.Role.TUTOR)
    student = make_student(age=15)
    url = reverse("crm:student_tutor_assign", kwargs={"pk": student.pk})
    assert staff_browser.post(url, {"tutor": tutor.user_id}).status_code == 302
    again = staff_browser.post(url, {"tutor": tutor.user_id})
    assert again.status_code == 200
    assert b"already assigned" in again.content
    with tenant_context(acme):
        assignment = TutorAssignment.objects.get()
    remove = reverse("crm:tutor_assignment_remove", kwargs={"pk": assignment.pk})
    assert staff_browser.post(remove).status_code == 302
    with tenant_context(acme):
        assert not TutorAssignment.objects.exists()


def test_removing_the_last_parent_on_the_page_says_why(staff_browser, acme, make_student):
    student = make_student(age=15)
    with tenant_context(acme):
        link = ParentLink.objects.get(student=student)
    response = staff_browser.post(
        reverse("crm:parent_link_remove", kwargs={"pk": link.pk}), follow=True
    )
    assert b"link another one" in response.content
    with tenant_context(acme):
        assert ParentLink.objects.filter(pk=link.pk).exists()


def test_a_parent_gives_and_withdraws_consent_on_the_page(web_client, acme, parent, child_of):
    child = child_of(parent)
    browser = web_client(acme, parent.user)
    detail = reverse("crm:student_detail", kwargs={"pk": child.pk})
    html = browser.get(detail).content.decode()
    assert "Give consent" in html
    assert f"I am a parent or legal guardian of {child.full_name}" in html
    give = reverse("crm:student_consent_give", kwargs={"pk": child.pk})
    unticked = browser.post(give, {})
    assert unticked.status_code == 200
    assert b'id="id_agree_error"' in unticked.content
    assert browser.post(give, {"agree": "on"}).status_code == 302
    with tenant_context(acme):
        consent = ParentalConsent.objects.get(student=child)
    assert consent.method == "online"
    assert child.full_name in consent.statement
    html = browser.get(detail).content.decode()
    assert "Consent given by" in html
    assert "Withdraw consent" in html
    browser.post(reverse("crm:student_consent_withdraw", kwargs={"pk": child.pk}))
    with tenant_context(acme):
        assert ParentalConsent.objects.get(student=child).withdrawn_at is not None


def test_staff_record_a_verbal_consent_on_the_page(staff_browser, acme, parent, child_of):
    child = child_of(parent)
    with tenant_context(acme):
        link = ParentLink.objects.get(student=child)
    url = reverse("crm:student_consent_record", kwargs={"pk": child.pk})
    bad = staff_browser.post(url, {"parent_link": link.pk, "method": "online", "statement": ""})
    assert bad.status_code == 200
    assert b'id="id_method_error"' in bad.content
    ok = staff_browser.post(
        url, {"parent_link": link.pk, "method": "verbal", "statement": "Said yes on the phone"}
    )
    assert ok.status_code == 302
    with tenant_context(acme):
        assert ParentalConsent.objects.get(student=child).method == "verbal"


def test_a_student_edits_their_preferences_but_not_their_name(
    web_client, acme, member, make_student
):
    me = member(acme, Membership.Role.STUDENT)
    student = make_student(age=20, email=me.user.email, parents=[])
    browser = web_client(acme, me.user)
    url = reverse("crm:student_edit", kwargs={"pk": student.pk})
    form = browser.get(url).content.decode()
    assert 'name="preferences"' in form
    assert 'name="first_name"' not in form
    bad = browser.post(url, {"preferred_session_minutes": "5"})
    assert b'id="id_preferred_session_minutes_error"' in bad.content
    browser.post(url, {"preferences": "Quiet room", "first_name": "Hacker"})
    with tenant_context(acme):
        fresh = StudentProfile.objects.get(pk=student.pk)
    assert (fresh.preferences, fresh.first_name) == ("Quiet room", "Sam")


def test_the_student_dashboard_links_to_their_own_profile(web_client, acme, member, make_student):
    me = member(acme, Membership.Role.STUDENT)
    student = make_student(age=20, email=me.user.email, parents=[])
    browser = web_client(acme, me.user)
    assert reverse("crm:student_me").encode() in browser.get("/dashboard/").content
    response = browser.get(reverse("crm:student_me"))
    assert response["Location"] == reverse("crm:student_detail", kwargs={"pk": student.pk})


def test_the_parent_dashboard_loads_my_children(web_client, acme, parent, child_of):
    child = child_of(parent, first_name="Dot")
    parent_browser = web_client(acme, parent.user)
    dashboard = parent_browser.get("/dashboard/").content.decode()
    assert "My children" in dashboard
    assert 'hx-get="/crm/students/"' in dashboard
    children = parent_browser.get("/crm/students/", HTTP_HX_REQUEST="true").content.decode()
    assert reverse("crm:student_detail", kwargs={"pk": child.pk}) in children


def test_the_own_profile_link_is_for_students_only(web_client, acme, parent):
    assert web_client(acme, parent.user).get(reverse("crm:student_me")).status_code == 403
