"""django-tenants' migrate_schemas, which also keeps the template schema current.

New tenants are cloned from ``TENANT_BASE_SCHEMA`` with their migrations marked as
applied, so the template must be migrated whenever every tenant is: a stale template
would give new agencies tables that miss the latest migrations.
"""

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.utils import schema_exists


class Command(MigrateSchemasCommand):
    def handle(self, *args, **options):
        migrating_every_tenant = not options.get("schema_name") and not options.get("shared")
        super().handle(*args, **options)
        if migrating_every_tenant:
            template = settings.TENANT_BASE_SCHEMA
            if not schema_exists(template):
                with connection.cursor() as cursor:
                    cursor.execute(f'CREATE SCHEMA "{template}"')
            call_command(
                "migrate_schemas",
                schema_name=template,
                tenant=True,
                interactive=False,
                verbosity=options.get("verbosity", 1),
                database=options.get("database", "default"),
            )
