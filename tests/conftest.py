"""The tenant test harness: tenants, hosts, people per role, and clients bound to a host.

Tenants made in a test are created inside its transaction (schema included: DDL is
transactional in PostgreSQL), so they vanish with the rollback. Tests that commit
(``transactional_db``: browser and Celery-worker tests) drop the schemas they made.

The schemas of the tenants nearly every test makes (``acme``, ``globex``, the marketplace)
are cloned once per test session instead (see ``SchemaPool``): provisioning finds the
schema already there and does everything else as usual, inside the test's transaction.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django_tenants.utils import schema_exists
from rest_framework.test import APIClient

from accounts.models import Membership, User
from accounts.services.tokens import token_pair_issue
from tenants.models import Tenant
from tenants.selectors import host_for_slug
from tenants.services import agency_provision, marketplace_tenant_ensure, public_tenant_ensure
from tenants.validators import schema_name_for_slug
from tests.factories import PASSWORD, MembershipFactory, UserFactory

ROLES = [role.value for role in Membership.Role]


class SchemaPool:
    """Committed clones of the template for the tenants nearly every test provisions.

    Cloning a schema (and marking its migrations applied) is most of what making an agency
    costs, and almost every test makes one or two. ``Tenant.save`` clones only when the
    schema does not exist yet, so with these in place ``agency_provision`` and
    ``marketplace_tenant_ensure`` still run in full (tenant, domain, owner, audit) inside
    the test's transaction, and the rollback leaves the schema as cloned. Sequences are
    the one thing a rollback does not restore: every test starts with them rewound to
    the values a fresh clone has. Tests that commit get no pool: it is dropped before
    them (their agencies are cloned as they always were) and cloned again after them.
    Provisioning itself (cloning included) is proven by tests that use other slugs.
    """

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = names
        self.built = False
        self.sequences: list[tuple[str, int, bool]] = []

    def build(self) -> None:
        self.drop()
        for name in self.names:
            Tenant(schema_name=name).create_schema(verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT format('%%I.%%I', schemaname, sequencename),"
                " coalesce(last_value, start_value), last_value IS NOT NULL"
                " FROM pg_sequences WHERE schemaname = ANY(%s)",
                [list(self.names)],
            )
            self.sequences = cursor.fetchall()
        self.built = True

    def drop(self) -> None:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            for name in self.names:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        self.built = False

    def rewind(self) -> None:
        """Sequences as cloned (``setval`` is not undone by a rollback, so tests move them)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(setval(name::regclass, value, called))"
                " FROM unnest(%s::text[], %s::bigint[], %s::bool[]) AS s(name, value, called)",
                [[row[column] for row in self.sequences] for column in range(3)],
            )


SCHEMA_POOL = SchemaPool(
    tuple(schema_name_for_slug(slug) for slug in ("acme", "globex", "marketplace"))
)


def _commits(request) -> bool:
    """Whether the test runs outside a transaction (its writes are committed)."""
    marker = request.node.get_closest_marker("django_db")
    return (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or (marker is not None and marker.kwargs.get("transaction", False))
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database as ``make run`` has it: with the migrated template schema.

    Test-database creation runs ``migrate``, which does not build the template that new
    agencies are cloned from; without it every provisioning would run every migration.
    Then the schema pool is cloned from that template.
    """
    with django_db_blocker.unblock():
        template = settings.TENANT_BASE_SCHEMA
        if not schema_exists(template):
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA "{template}"')
        call_command(
            "migrate_schemas", schema_name=template, tenant=True, interactive=False, verbosity=0
        )
        SCHEMA_POOL.build()


@pytest.fixture(autouse=True)
def _schema_pool(request, django_db_blocker):
    """Pooled schemas as freshly cloned for each test; none at all for tests that commit."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    )
    if not uses_db:
        yield
        return
    request.getfixturevalue("django_db_setup")  # the pool is built before anything drops it
    commits = _commits(request)
    with django_db_blocker.unblock():
        if commits:
            SCHEMA_POOL.drop()
        elif SCHEMA_POOL.built:
            SCHEMA_POOL.rewind()
    yield
    if commits:
        with django_db_blocker.unblock():
            SCHEMA_POOL.build()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Start every test on a fresh database connection.

    A PostgreSQL backend keeps catalog cache entries for every relation it creates, even
    in transactions that roll back: one connection provisioning agencies test after test
    grew past a gigabyte and slowed each clone tenfold (see docs/architecture.md).
    """
    result = yield
    for conn in connections.all(initialized_only=True):
        if not conn.in_atomic_block:
            conn.close()
    return result


@pytest.fixture(autouse=True)
def _clean_caches():
    """Rate-limit counters and cached values never leak from one test into another."""
    for alias in settings.CACHES:
        caches[alias].clear()


@pytest.fixture(autouse=True)
def _public_schema():
    """Every test starts (and ends) in the public schema."""
    connection.set_schema_to_public()
    yield
    connection.set_schema_to_public()


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def public_tenant(db) -> Tenant:
    return public_tenant_ensure()


@pytest.fixture
def tenant_factory(request, public_tenant) -> Callable[..., Tenant]:
    """Make agencies; in committing tests, drop their schemas afterwards."""
    made: list[Tenant] = []

    def make(
        slug: str = "acme",
        name: str | None = None,
        owner: User | None = None,
        time_zone: str = "Europe/London",
    ) -> Tenant:
        owner = owner or UserFactory(email=f"owner@{slug}.test")
        tenant = agency_provision(
            name=name or slug.title(), slug=slug, owner=owner, time_zone=time_zone
        )
        made.append(tenant)
        return tenant

    yield make
    if _commits(request):
        connection.set_schema_to_public()
        for tenant in made:
            if Tenant.objects.filter(pk=tenant.pk).exists():
                tenant.delete(force_drop=True)


@pytest.fixture
def acme(tenant_factory) -> Tenant:
    return tenant_factory("acme", "Acme Tutoring")


@pytest.fixture
def globex(tenant_factory) -> Tenant:
    return tenant_factory("globex", "Globex Learning", time_zone="America/New_York")


@pytest.fixture
def marketplace(public_tenant) -> Tenant:
    return marketplace_tenant_ensure()


@pytest.fixture
def member() -> Callable[..., Membership]:
    """``member(tenant, "tutor")`` → a verified user with that role in that tenant."""

    def make(tenant: Tenant, role: str = Membership.Role.STUDENT, **user_fields) -> Membership:
        existing = Membership.objects.filter(tenant=tenant, role=role).count()
        user_fields.setdefault("email", f"{role}{existing or ''}@{tenant.slug}.test")
        if role == Membership.Role.OWNER and existing:
            return Membership.objects.get(tenant=tenant, role=role)
        return MembershipFactory(tenant=tenant, role=role, user=UserFactory(**user_fields))

    return make


@pytest.fixture
def owner(acme) -> Membership:
    return Membership.objects.select_related("user", "tenant").get(tenant=acme, role="owner")


def host_of(tenant: Tenant | None) -> str:
    if tenant is None or tenant.is_public:
        return settings.ROOT_DOMAIN
    return host_for_slug(tenant.slug)


@pytest.fixture
def web_client() -> Callable[..., Client]:
    """``web_client(tenant, user=None)`` → a browser-like client on that tenant's host."""

    def make(tenant: Tenant | None = None, user: User | None = None) -> Client:
        client = Client(HTTP_HOST=host_of(tenant))
        if user is not None:
            client.force_login(user, backend="accounts.backends.EmailBackend")
        return client

    return make


@pytest.fixture
def api_client() -> Callable[..., APIClient]:
    """``api_client(tenant, user=None)`` → an API client on that host, with a bearer token."""

    def make(tenant: Tenant | None = None, user: User | None = None) -> APIClient:
        client = APIClient(HTTP_HOST=host_of(tenant))
        if user is not None:
            target = tenant or public_tenant_ensure()
            client.tokens = token_pair_issue(user=user, tenant=target)
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {client.tokens['access']}")
        return client

    return make
