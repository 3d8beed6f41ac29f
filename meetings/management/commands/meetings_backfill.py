"""Queue the making of meetings for upcoming confirmed sessions that have none ready.

For sessions confirmed before meetings existed, demo data, or meetings that failed: per
tenant (every active agency, or those named with ``--schema``), each confirmed session
that has not ended and has no ready meeting gets a sync queued. Running it again is
harmless: a sync of a meeting already in line does nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import get_public_schema_name, tenant_context

from meetings.services.lifecycle import meetings_backfill_queue
from tenants.models import Tenant


class Command(BaseCommand):
    help = "Queue meeting syncs for upcoming confirmed sessions without a ready meeting."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--schema",
            action="append",
            dest="schemas",
            metavar="SCHEMA",
            help="Only this tenant's schema (repeatable; default: every active tenant).",
        )

    def handle(self, *args, schemas: list[str] | None = None, **options):
        tenants = Tenant.objects.exclude(schema_name=get_public_schema_name()).order_by("pk")
        if schemas:
            tenants = tenants.filter(schema_name__in=schemas)
            unknown = set(schemas) - set(tenants.values_list("schema_name", flat=True))
            if unknown:
                raise CommandError(f"No tenant with schema {', '.join(sorted(unknown))}.")
        else:
            tenants = tenants.filter(is_active=True)
        total = 0
        for tenant in tenants:
            with tenant_context(tenant):
                queued = meetings_backfill_queue()
            total += queued
            self.stdout.write(f"{tenant.schema_name}: {queued} session(s) queued")
        self.stdout.write(f"{total} meeting sync(s) queued.")
