"""Work after commit, in the tenant that asked for it.

A transaction may commit after the code that registered an ``on_commit`` callback has
left the tenant (a webhook handled in the public schema that switched into a tenant for
its writes): the callback would then queue its task, or read its rows, in the wrong
schema. ``on_commit_in_tenant`` remembers the schema the callback was registered in and
runs it there.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction
from django_tenants.utils import tenant_context

__all__ = ["on_commit_in_tenant"]


def on_commit_in_tenant(callback: Callable[[], object], *, robust: bool = False) -> None:
    tenant = getattr(connection, "tenant", None)

    def run() -> None:
        if tenant is None or connection.schema_name == tenant.schema_name:
            callback()
            return
        with tenant_context(tenant):
            callback()

    transaction.on_commit(run, robust=robust)
