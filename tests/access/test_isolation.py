"""Tenant isolation: nothing of one tenant is reachable from another's token, session or host.

The route tables are read from the tenant URL conf itself, so an endpoint or page added
later is covered without touching these tests; routes that are public on purpose are
listed by name below and must stay harmless (no session, no data).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

import pytest
from django.conf import settings
from django.core.cache import caches
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import schema_context

from accounts.models import Invitation, Membership
from accounts.services.invitations import invitation_create
from notifications.services import notify
from tests.access.conftest import error_code, move_to
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Route:
    route: str
    name: str
    methods: tuple[str, ...]
    is_api: bool

    def __str__(self) -> str:
        return self.name


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            methods = (
                tuple(
                    m for m in ("get", "post", "put", "patch", "delete") if hasattr(view_class, m)
                )
                if view_class
                else ("get", "post")
            )
            yield Route(
                route=prefix + str(pattern.pattern),
                name=f"{namespace}:{pattern.name}",
                methods=methods,
                is_api=view_class is not None,
            )


TENANT_ROUTES = list(_walk(get_resolver("config.urls_tenant").url_patterns))

# Public on purpose: they take no bearer token (sign-in, refresh, logout, password reset).
# Refresh and logout check the token's tenant themselves (see test_tokens.py).
PUBLIC_API = {
    "api:token_obtain",
    "api:token_refresh",
    "api:token_logout",
    "api:password_reset",
    "api:password_reset_confirm",
}
# Pages anyone may open: they must still drop a session carried in from another tenant.
PUBLIC_PAGES = {
    "web:home",
    "web:healthz",
    "accounts:login",
    "accounts:login_second_factor",
    "accounts:logout",
    "accounts:handoff",
    "accounts:register",
    "accounts:verify_email",
    "accounts:verify_resend",
    "accounts:password_reset",
    "accounts:password_reset_confirm",
    "team:invitation_accept",
    # A calendar app fetches the ICS feed without a session: the secret in its URL is
    # the only key, and a wrong or revoked one is a 404 (tests/scheduling/ics).
    "scheduling:calendar_feed_ics",
}
# The API's own description: no tenant data, rendered as OpenAPI or HTML, not JSON errors.
API_DOCS = {"api:schema", "api:docs", "api:redoc"}
# Routes that are not tenant data (none at present; the outbox lives on the root domain).
NOT_TENANT_ROUTES: set[str] = set()

API_ROUTES = [r for r in TENANT_ROUTES if r.is_api and r.name not in PUBLIC_API]
PRIVATE_PAGES = [
    r for r in TENANT_ROUTES if not r.is_api and r.name not in PUBLIC_PAGES | NOT_TENANT_ROUTES
]
PUBLIC_PAGE_ROUTES = [r for r in TENANT_ROUTES if r.name in PUBLIC_PAGES]


def test_the_route_table_was_read_and_every_listed_exception_still_exists():
    names = {r.name for r in TENANT_ROUTES}
    assert {"api:members", "team:members", "web:dashboard"} <= names
    assert names >= PUBLIC_API | PUBLIC_PAGES
    assert len(API_ROUTES) >= 15
    assert len(PRIVATE_PAGES) >= 10
    # The sampled sweeps (see ``sweep``) take one route of each feature, not one in all.
    assert {"api crm", "api scheduling", "api team"} <= {_section(r) for r in API_ROUTES}
    assert {"crm", "scheduling", "team"} <= {_section(r) for r in PRIVATE_PAGES}


@pytest.fixture
def globex_data(globex, globex_owner, member):
    """Things only globex should ever show: a member, an invitation, a notification."""
    tutor = member(globex, "tutor", first_name="Gloria", last_name="Globex")
    with schema_context(globex.schema_name):
        invitation, token = invitation_create(
            tenant=globex, email="invitee@globex.test", role="student", actor=globex_owner
        )
        notify(user=globex_owner.user, event="test.secret", title="Globex secret", send_email=False)
    return {"tenant": globex, "member": tutor, "invitation": invitation, "token": token}


def _concrete(route: Route, data: dict) -> str:
    """The route with real globex ids and tokens in its parameters."""

    def fill(match: re.Match) -> str:
        if match.group("name") == "pk":
            if "invitations/" in route.route:
                return str(data["invitation"].pk)
            return str(data["member"].pk)
        if match.group("name") == "token" and route.name == "team:invitation_accept":
            return data["token"]
        return "x"

    return "/" + re.sub(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>", fill, route.route)


def _assert_nothing_changed(data: dict) -> None:
    member = Membership.objects.get(pk=data["member"].pk)
    assert (member.role, member.is_active) == ("tutor", True)
    invitation = Invitation.objects.get(pk=data["invitation"].pk)
    assert (invitation.revoked_at, invitation.accepted_at) == (None, None)


# With a bearer token from another tenant -------------------------------------------------


@pytest.fixture(params=["member_of_both", "member_of_acme_only"])
def acme_person(request, acme, globex, owner):
    """Someone signed in at acme. A member of both is also globex's owner: only the binding
    of their token or session to acme's host stands between them and globex's data."""
    if request.param == "member_of_both":
        MembershipFactory(user=owner.user, tenant=globex, role="owner")
    return owner.user


def _section(route: Route) -> str:
    """The feature a route belongs to: ``crm`` of ``crm/…`` pages and of ``api/v1/crm/…``."""
    return ("api " if route.is_api else "") + route.route.removeprefix("api/v1/").split("/")[0]


def _one_per_section(routes: list[Route]) -> list[Route]:
    first: dict[str, Route] = {}
    for route in routes:
        first.setdefault(_section(route), route)
    return list(first.values())


def _sweep(routes: list[Route], check: Callable[[Route], None]) -> None:
    """Run ``check`` for every route and report every route that failed, not just the first.

    One test walks the whole route table: the two agencies it needs are made once, which
    keeps the sweep fast as routes are added. The cache (rate-limit counters) is emptied
    between routes, as it is between tests.
    """
    failures = []
    for route in routes:
        caches["default"].clear()
        try:
            check(route)
        except AssertionError as error:
            failures.append(f"{route.name} ({route.route}): {error}")
    assert not failures, f"{len(failures)} route(s) failed:\n" + "\n".join(failures)


@pytest.fixture
def sweep(request, acme_person) -> Callable[[list[Route], Callable[[Route], None]], None]:
    """``sweep(routes, check)`` for the person at hand.

    A member of both tenants is the hardest case (membership would let them in; only the
    host binding refuses them), so every route is checked for them. A member of acme only
    meets the same check first (the binding is tested before membership, in the
    authentication class and in the middleware alike, for every route), so one route per
    section shows that it holds for them too.
    """
    every_route = request.node.callspec.params["acme_person"] == "member_of_both"

    def run(routes: list[Route], check: Callable[[Route], None]) -> None:
        _sweep(routes if every_route else _one_per_section(routes), check)

    return run


def test_an_acme_token_opens_no_api_endpoint_on_globexs_host(
    api_client, acme, acme_person, globex_data, sweep
):
    def check(route: Route) -> None:
        client = api_client(acme, acme_person)
        move_to(client, globex_data["tenant"])
        path = _concrete(route, globex_data)
        for method in route.methods:
            response = getattr(client, method)(path, {}, format="json")
            assert response.status_code == 401, (method, path, response.content)
            if route.name not in API_DOCS:
                assert error_code(response) == "wrong_tenant"
        _assert_nothing_changed(globex_data)

    sweep(API_ROUTES, check)


def test_the_same_globex_endpoints_do_answer_a_globex_token(
    api_client, globex, globex_owner, globex_data
):
    client = api_client(globex, globex_owner.user)
    assert client.get("/api/v1/team/members/").status_code == 200
    assert client.get(f"/api/v1/team/members/{globex_data['member'].pk}/").status_code == 200
    titles = [n["title"] for n in client.get("/api/v1/notifications/").json()["results"]]
    assert titles == ["Globex secret"]


# With a web session from another tenant --------------------------------------------------


@pytest.fixture
def acme_browser(web_client, acme, globex, acme_person, password):
    """``acme_browser()`` → a browser signed in on acme's host, then pointed at globex's
    host. A fresh session per call: visiting another tenant's host ends the session, so a
    reused browser would prove nothing after the first request.

    The person signs in once, through the real sign-in page. Each browser then gets a
    session of its own holding exactly what that sign-in stored, as signing in again
    would give it; one such copy is shown to open acme's dashboard first.
    """
    signed_in = web_client(acme)
    response = signed_in.post(
        "/accounts/login/", {"email": acme_person.email, "password": password}
    )
    assert response.status_code == 302, response.content
    assert signed_in.get("/dashboard/").status_code == 200
    stored = dict(signed_in.session.items())
    assert stored["_auth_user_id"] == str(acme_person.pk)
    session_store = import_module(settings.SESSION_ENGINE).SessionStore

    def signed_in_copy():
        browser = web_client(acme)
        for name, morsel in signed_in.cookies.items():
            browser.cookies[name] = morsel.value
        session = session_store()
        session.update(stored)
        session.save()
        browser.cookies[settings.SESSION_COOKIE_NAME] = session.session_key
        return browser

    assert signed_in_copy().get("/dashboard/").status_code == 200

    def make():
        browser = signed_in_copy()
        move_to(browser, globex)
        return browser

    return make


def test_an_acme_session_opens_no_page_on_globexs_host(acme_browser, globex_data, sweep):
    def check(route: Route) -> None:
        path = _concrete(route, globex_data)
        for method in route.methods:
            response = getattr(acme_browser(), method)(path)
            assert response.status_code == 302, (method, path, response.status_code)
            assert response["Location"].startswith("/accounts/login/"), response["Location"]
            assert not response.wsgi_request.user.is_authenticated
        _assert_nothing_changed(globex_data)

    sweep(PRIVATE_PAGES, check)


def test_public_pages_on_globexs_host_drop_an_acme_session_and_show_nothing_private(
    acme_browser, globex_data, sweep
):
    def check(route: Route) -> None:
        browser = acme_browser()
        path = _concrete(route, globex_data)
        response = browser.get(path)
        assert response.status_code in {200, 302, 400, 404, 405}, (path, response.status_code)
        assert not response.wsgi_request.user.is_authenticated
        assert b"owner@globex.test" not in response.content
        assert b"Globex secret" not in response.content
        assert "_auth_user_id" not in browser.session

    sweep(PUBLIC_PAGE_ROUTES, check)


def test_an_acme_session_opens_no_api_endpoint_on_globexs_host(acme_browser, globex_data, sweep):
    def check(route: Route) -> None:
        path = _concrete(route, globex_data)
        for method in route.methods:
            response = getattr(acme_browser(), method)(path, {}, content_type="application/json")
            assert not response.wsgi_request.user.is_authenticated
            if route.name in API_DOCS:
                continue
            assert response.status_code in {400, 401, 403}, (method, path, response.content)
            if response.status_code != 400:
                assert error_code(response) in {"not_authenticated", "permission_denied"}
        _assert_nothing_changed(globex_data)

    sweep(API_ROUTES, check)


def test_a_session_signed_in_on_acme_is_not_accepted_on_globex_even_for_a_member_of_both(
    web_client, acme, globex, owner, password
):
    MembershipFactory(user=owner.user, tenant=globex, role="owner")
    browser = web_client(acme)
    browser.post("/accounts/login/", {"email": owner.user.email, "password": password})
    move_to(browser, globex)
    response = browser.get("/team/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_session_signed_in_on_a_tenant_is_not_accepted_on_the_root_domain(
    web_client, public_tenant, acme, owner, password
):
    browser = web_client(acme)
    browser.post("/accounts/login/", {"email": owner.user.email, "password": password})
    move_to(browser, public_tenant)
    response = browser.get("/choose/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# From acme's own host, nothing of globex shows -------------------------------------------


def test_acmes_member_list_shows_only_acmes_members(api_client, acme, owner, member, globex_data):
    member(acme, "tutor")
    client = api_client(acme, owner.user)
    emails = {m["user"]["email"] for m in client.get("/api/v1/team/members/").json()["results"]}
    assert emails == {"owner@acme.test", "tutor@acme.test"}
    searched = client.get("/api/v1/team/members/", {"search": "globex"}).json()
    assert searched["count"] == 0


def test_acmes_invitations_do_not_include_globexs(api_client, acme, owner, globex_data):
    body = api_client(acme, owner.user).get("/api/v1/team/invitations/").json()
    assert body["count"] == 0


def test_notifications_made_in_globex_do_not_show_on_acme(
    api_client, web_client, globex, owner, globex_data
):
    acme = owner.tenant
    MembershipFactory(user=owner.user, tenant=globex, role="owner")
    with schema_context(globex.schema_name):
        notify(user=owner.user, event="test.secret", title="Only at Globex", send_email=False)

    body = api_client(acme, owner.user).get("/api/v1/notifications/").json()
    assert body["count"] == 0
    assert body["unread_count"] == 0
    browser = web_client(acme, owner.user)
    for page in ("/notifications/", "/dashboard/"):
        response = browser.get(page)
        assert response.status_code == 200
        assert b"Only at Globex" not in response.content

    at_globex = api_client(globex, owner.user).get("/api/v1/notifications/").json()
    assert [n["title"] for n in at_globex["results"]] == ["Only at Globex"]


def test_marking_everything_read_on_acme_leaves_globex_notifications_unread(
    api_client, acme, globex, owner
):
    MembershipFactory(user=owner.user, tenant=globex, role="owner")
    with schema_context(globex.schema_name):
        notify(user=owner.user, event="test.secret", title="Unread at Globex", send_email=False)
    assert api_client(acme, owner.user).post("/api/v1/notifications/read/", {}).json() == {
        "marked": 0
    }
    assert api_client(globex, owner.user).get("/api/v1/notifications/").json()["unread_count"] == 1


def test_acmes_team_page_shows_no_globex_member_or_invitation(web_client, acme, owner, globex_data):
    response = web_client(acme, owner.user).get("/team/")
    assert response.status_code == 200
    assert b"owner@acme.test" in response.content
    assert b"Gloria" not in response.content
    assert b"invitee@globex.test" not in response.content


# Object-level: a globex id on acme's host is simply not found ----------------------------


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("get", "/api/v1/team/members/{member}/"),
        ("patch", "/api/v1/team/members/{member}/"),
        ("post", "/api/v1/team/members/{member}/deactivate/"),
        ("post", "/api/v1/team/members/{member}/reactivate/"),
        ("post", "/api/v1/team/invitations/{invitation}/revoke/"),
    ],
)
def test_a_globex_id_on_acmes_api_is_not_found(api_client, owner, globex_data, method, template):
    acme = owner.tenant
    path = template.format(member=globex_data["member"].pk, invitation=globex_data["invitation"].pk)
    response = getattr(api_client(acme, owner.user), method)(path, {"role": "admin"})
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    _assert_nothing_changed(globex_data)


@pytest.mark.parametrize(
    "template",
    [
        "/team/members/{member}/role/",
        "/team/members/{member}/deactivate/",
        "/team/members/{member}/reactivate/",
        "/team/invitations/{invitation}/revoke/",
    ],
)
def test_a_globex_id_on_acmes_team_pages_is_not_found(
    web_client, acme, owner, globex_data, template
):
    path = template.format(member=globex_data["member"].pk, invitation=globex_data["invitation"].pk)
    response = web_client(acme, owner.user).post(path, {"role": "admin"})
    assert response.status_code == 404
    _assert_nothing_changed(globex_data)


def test_a_globex_invitation_link_does_not_work_on_acmes_host(
    web_client, api_client, acme, globex_data
):
    page = web_client(acme).get(f"/team/invitations/accept/{globex_data['token']}/")
    assert page.status_code == 404
    response = api_client(acme).post(
        "/api/v1/team/invitations/accept/",
        {"token": globex_data["token"], "first_name": "Ivy", "password": "Correct-Horse-9"},
    )
    assert response.status_code == 404
    assert error_code(response) == "invitation_invalid"
    _assert_nothing_changed(globex_data)
