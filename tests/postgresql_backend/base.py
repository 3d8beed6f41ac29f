"""PostgreSQL for the test suite: emptying the shared tables cascades into the template.

Committing tests (browser, Celery worker) end with Django's ``flush``, a ``TRUNCATE`` of
the public schema's tables. The migrated ``tenant_template`` schema, which new agencies
are cloned from, holds tables whose foreign keys point at ``public.accounts_user``, and
PostgreSQL refuses to truncate a table that other tables reference unless it cascades.
The template's referencing tables hold no rows, so cascading empties nothing real.
"""

from __future__ import annotations

from django.db.backends.postgresql import base


class DatabaseOperations(base.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=True)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
