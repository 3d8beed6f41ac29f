"""Remove stored files that no Document refers to (left by writes that rolled back).

Per tenant schema, files under ``PROTECTED_MEDIA_ROOT/<schema>/`` older than the grace
period (an upload in flight has its file before its row commits) and not named by any
``Document`` of that schema are deleted. ``--dry-run`` only lists them.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import get_tenant_model, schema_context

from crm.models import Document


def documents_orphaned(*, schema_name: str, older_than_seconds: int) -> list[Path]:
    """The files of ``schema_name`` that no Document refers to and are old enough."""
    root = Path(settings.PROTECTED_MEDIA_ROOT)
    folder = root / schema_name
    if not folder.is_dir():
        return []
    with schema_context(schema_name):
        referenced = set(Document.objects.values_list("file", flat=True))
    cutoff = time.time() - older_than_seconds
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.relative_to(root).as_posix() not in referenced
        and path.stat().st_mtime < cutoff
    )


class Command(BaseCommand):
    help = "Delete protected files that no document refers to, per tenant schema."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List, delete nothing.")
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=60,
            help="Leave files younger than this alone (default 60).",
        )

    def handle(self, *args, dry_run: bool = False, min_age_minutes: int = 60, **options):
        schemas = (
            get_tenant_model()
            .objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME)
            .values_list("schema_name", flat=True)
        )
        total = 0
        for schema_name in schemas:
            for path in documents_orphaned(
                schema_name=schema_name, older_than_seconds=min_age_minutes * 60
            ):
                total += 1
                self.stdout.write(f"{'would delete' if dry_run else 'deleted'} {path}")
                if not dry_run:
                    path.unlink(missing_ok=True)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{total} unreferenced file(s) {verb}.")
