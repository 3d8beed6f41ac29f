"""Rebuild the marketplace's listing index from the tenants (all of them, or one)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from listings.indexing import rebuild_all, tenant_refresh
from tenants.selectors import tenant_get_by_slug


class Command(BaseCommand):
    help = "Recompute the marketplace's listing index from the tenants' gigs and reviews."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--tenant", metavar="SLUG", help="Only this tenant.")

    def handle(self, *args, tenant: str | None = None, **options) -> None:
        if tenant:
            found = tenant_get_by_slug(tenant)
            if found is None or found.is_public:
                raise CommandError(f"No tenant {tenant!r}.")
            listed = tenant_refresh(found)
            where = f"in {found.slug}"
        else:
            listed = rebuild_all()
            where = "in all tenants"
        self.stdout.write(f"{listed} tutor(s) listed {where}.")
