"""Where each person lands after signing in, and which pages their role opens."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from accounts.models import Membership
from tests.access.conftest import error_code
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD_OF_ROLE = {
    "owner": "agency-dashboard",
    "admin": "agency-dashboard",
    "staff": "agency-dashboard",
    "tutor": "tutor-dashboard",
    "student": "student-dashboard",
    "parent": "parent-dashboard",
}


def sign_in(browser, email: str, password: str):
    return browser.post("/accounts/login/", {"email": email, "password": password}, follow=True)


@pytest.mark.parametrize("role", DASHBOARD_OF_ROLE)
def test_each_role_lands_on_its_own_dashboard_after_signing_in_on_the_agency_host(
    web_client, acme, member, password, role
):
    testid = DASHBOARD_OF_ROLE[role]
    person = member(acme, role).user
    response = sign_in(web_client(acme), person.email, password)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/dashboard/"
    assert f'data-testid="{testid}"'.encode() in response.content
    for other in set(DASHBOARD_OF_ROLE.values()) - {testid}:
        assert f'data-testid="{other}"'.encode() not in response.content


def test_the_agency_dashboard_counts_active_members_by_role(
    web_client, acme, globex, owner, member
):
    member(acme, "tutor")
    member(acme, "tutor")
    member(globex, "tutor")
    gone = member(acme, "student")
    gone.is_active = False
    gone.save()
    response = web_client(acme, owner.user).get("/dashboard/")
    assert response.context["member_counts"]["Tutors"] == 2
    assert response.context["member_counts"]["Owner"] == 1
    assert response.context["member_counts"]["Students"] == 0
    assert sum(response.context["member_counts"].values()) == 3
    assert b"<title>Agency dashboard \xc2\xb7 Acme Tutoring</title>" in response.content


def test_managers_see_the_team_link_on_their_dashboard_and_staff_do_not(
    web_client, acme, owner, member
):
    assert b'href="/team/"' in web_client(acme, owner.user).get("/dashboard/").content
    staff = member(acme, "staff").user
    assert b'href="/team/"' not in web_client(acme, staff).get("/dashboard/").content


def test_the_dashboard_needs_a_signed_in_member(web_client, acme):
    response = web_client(acme).get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_platform_staff_land_on_the_console_after_signing_in_on_the_root_domain(
    web_client, public_tenant, password
):
    staff = UserFactory(email="ops@educonnect.test", is_platform_staff=True)
    response = sign_in(web_client(None), staff.email, password)
    assert response.redirect_chain[-1][0] == "/console/"
    assert b'data-testid="console-dashboard"' in response.content


def test_the_console_lists_agencies_for_platform_staff(web_client, acme, globex):
    staff = UserFactory(is_platform_staff=True)
    response = web_client(None, staff).get("/console/")
    assert response.status_code == 200
    assert response.context["agency_count"] == 2
    assert b"Acme Tutoring" in response.content
    assert b"Globex Learning" in response.content


@pytest.mark.parametrize("role", ["owner", "admin", "student"])
def test_people_who_are_not_platform_staff_cannot_open_the_console(web_client, acme, member, role):
    person = member(acme, role).user
    response = web_client(None, person).get("/console/")
    assert response.status_code == 403
    assert b"Acme Tutoring" not in response.content


def test_the_console_is_not_served_on_an_agency_host(web_client, acme):
    staff = UserFactory(is_platform_staff=True)
    MembershipFactory(user=staff, tenant=acme, role="admin")
    assert web_client(acme, staff).get("/console/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in_for_the_console(web_client, public_tenant):
    response = web_client(None).get("/console/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_one_membership_is_handed_off_straight_to_that_agencys_dashboard(
    web_client, acme, member, password
):
    student = member(acme, "student").user
    browser = web_client(None)
    response = browser.post("/accounts/login/", {"email": student.email, "password": password})
    welcome = browser.get(response["Location"])
    assert welcome.status_code == 302
    target = urlsplit(welcome["Location"])
    assert target.hostname == "acme.localhost"
    assert target.path == "/accounts/handoff/"

    arrived = web_client(acme).get(f"{target.path}?{target.query}", follow=True)
    assert arrived.redirect_chain[-1][0] == "/dashboard/"
    assert b'data-testid="student-dashboard"' in arrived.content


def test_several_memberships_are_sent_to_the_chooser(web_client, acme, globex, member, password):
    student = member(acme, "student").user
    MembershipFactory(user=student, tenant=globex, role="parent")
    response = sign_in(web_client(None), student.email, password)
    assert response.redirect_chain[-1][0] == "/choose/"
    assert b"Acme Tutoring" in response.content
    assert b"Globex Learning" in response.content


def test_choosing_a_membership_signs_in_on_that_agencys_host(web_client, acme, globex, member):
    student = member(acme, "student").user
    at_globex = MembershipFactory(user=student, tenant=globex, role="parent")
    chosen = web_client(None, student).post("/choose/", {"membership": at_globex.pk})
    assert chosen.status_code == 302
    target = urlsplit(chosen["Location"])
    assert target.hostname == "globex.localhost"

    browser = web_client(globex)
    arrived = browser.get(f"{target.path}?{target.query}", follow=True)
    assert arrived.redirect_chain[-1][0] == "/dashboard/"
    assert b'data-testid="parent-dashboard"' in arrived.content
    assert arrived.wsgi_request.user == student
    assert browser.session["tenant_schema"] == "globex"


def test_nobody_can_choose_a_membership_that_is_not_theirs(web_client, acme, globex, member):
    student = member(acme, "student").user
    MembershipFactory(user=student, tenant=globex, role="parent")
    someone_elses = Membership.objects.get(tenant=globex, role="owner")
    response = web_client(None, student).post("/choose/", {"membership": someone_elses.pk})
    assert response.status_code == 403


def test_a_deactivated_membership_is_not_offered_in_the_chooser(web_client, acme, globex, member):
    student = member(acme, "student").user
    gone = MembershipFactory(user=student, tenant=globex, role="parent", is_active=False)
    browser = web_client(None, student)
    assert b"Globex Learning" not in browser.get("/choose/").content
    assert browser.post("/choose/", {"membership": gone.pk}).status_code == 403


def test_an_account_with_no_membership_goes_home_after_signing_in(
    web_client, public_tenant, password
):
    loner = UserFactory()
    response = sign_in(web_client(None), loner.email, password)
    assert response.redirect_chain[-1][0] == "/"
    assert b"isn't part of an agency yet" in response.content


# Managing the team is for owners and admins only -----------------------------------------

TEAM_PAGES = [("get", "/team/"), ("post", "/team/invite/")]
TEAM_API = [
    ("get", "/api/v1/team/members/"),
    ("get", "/api/v1/team/invitations/"),
    ("post", "/api/v1/team/invitations/"),
]


@pytest.mark.parametrize("role", ["staff", "tutor", "student", "parent"])
def test_non_managers_are_refused_the_team_pages_and_api(
    web_client, api_client, owner, member, role
):
    acme = owner.tenant
    person = member(acme, role).user
    browser = web_client(acme, person)
    for method, path in TEAM_PAGES:
        assert getattr(browser, method)(path).status_code == 403, path
    for action in ("role", "deactivate", "reactivate"):
        response = browser.post(f"/team/members/{owner.pk}/{action}/", {"role": "student"})
        assert response.status_code == 403, action

    client = api_client(acme, person)
    for method, path in [
        *TEAM_API,
        ("get", f"/api/v1/team/members/{owner.pk}/"),
        ("patch", f"/api/v1/team/members/{owner.pk}/"),
        ("post", f"/api/v1/team/members/{owner.pk}/deactivate/"),
    ]:
        response = getattr(client, method)(path, {"email": "x@acme.test", "role": "owner"})
        assert response.status_code == 403, path
        assert error_code(response) == "permission_denied"
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == ("owner", True)


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_open_the_team_page_and_api(web_client, api_client, acme, member, role):
    person = member(acme, role).user
    assert web_client(acme, person).get("/team/").status_code == 200
    assert api_client(acme, person).get("/api/v1/team/members/").status_code == 200


def test_every_member_can_read_their_own_membership(api_client, acme, member):
    student = member(acme, "student").user
    response = api_client(acme, student).get("/api/v1/me/membership/")
    assert response.status_code == 200
    assert response.json()["role"] == "student"
    assert response.json()["user"]["email"] == student.email


def test_the_root_domain_lists_the_callers_memberships(api_client, acme, globex, member):
    student = member(acme, "student").user
    MembershipFactory(user=student, tenant=globex, role="parent")
    body = api_client(None, student).get("/api/v1/me/memberships/").json()
    assert {(m["tenant"]["slug"], m["role"]) for m in body} == {
        ("acme", "student"),
        ("globex", "parent"),
    }
    assert body[0]["tenant"]["url"].startswith("http://acme.localhost")


@pytest.mark.parametrize("role", list(DASHBOARD_OF_ROLE))
def test_every_link_in_the_main_navigation_opens_for_that_role(web_client, acme, member, role):
    """The navigation offers each role only pages it may open (no link to a 403 or 404)."""
    person = Membership.objects.get(tenant=acme, role=role) if role == "owner" else None
    person = person or member(acme, role)
    client = web_client(acme, person.user)
    page = client.get("/dashboard/").content.decode()
    nav = page[page.index('<nav aria-label="Main">') : page.index("</nav>")]
    links = [href for href in re.findall(r'href="(/[^"]*)"', nav) if href != "/"]
    assert "/scheduling/calendar/" in links
    for href in links:
        assert client.get(href, follow=True).status_code == 200, href
