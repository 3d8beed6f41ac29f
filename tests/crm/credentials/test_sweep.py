"""``documents_sweep``: files no document refers to are removed after an hour."""

from __future__ import annotations

import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.crm.credentials.conftest import stored

pytestmark = pytest.mark.django_db

HOUR = 3600


def _orphan(schema: str, name: str, age_seconds: int) -> Path:
    path = Path(settings.PROTECTED_MEDIA_ROOT) / schema / "credential" / "2026" / "01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"left behind")
    then = time.time() - age_seconds
    os.utime(path, (then, then))
    return path


def _sweep(*args: str) -> str:
    out = StringIO()
    call_command("documents_sweep", *args, stdout=out)
    return out.getvalue()


def test_old_unreferenced_files_go_and_everything_else_stays(acme, globex, tutor, credential_of):
    credential = credential_of(tutor)
    kept = stored(credential.document.file.name)
    os.utime(kept, (time.time() - 2 * HOUR,) * 2)  # old, but referenced
    old = _orphan(acme.schema_name, "old.pdf", 2 * HOUR)
    young = _orphan(acme.schema_name, "young.pdf", 60)
    other_tenant = _orphan(globex.schema_name, "globex.pdf", 2 * HOUR)
    # A file named like acme's referenced one but in globex's folder is globex's orphan.
    twin = (
        Path(settings.PROTECTED_MEDIA_ROOT)
        / globex.schema_name
        / Path(credential.document.file.name).relative_to(acme.schema_name)
    )
    twin.parent.mkdir(parents=True, exist_ok=True)
    twin.write_bytes(b"twin")
    os.utime(twin, (time.time() - 2 * HOUR,) * 2)

    output = _sweep()
    assert "3 unreferenced file(s) deleted." in output
    assert kept.exists()
    assert young.exists()
    assert not old.exists()
    assert not other_tenant.exists()
    assert not twin.exists()


def test_a_dry_run_lists_and_deletes_nothing(acme):
    old = _orphan(acme.schema_name, "old.pdf", 2 * HOUR)
    output = _sweep("--dry-run")
    assert f"would delete {old}" in output
    assert "1 unreferenced file(s) would be deleted." in output
    assert old.exists()


def test_the_grace_period_can_be_shortened(acme):
    recent = _orphan(acme.schema_name, "recent.pdf", 10 * 60)
    assert "0 unreferenced" in _sweep()
    assert "1 unreferenced" in _sweep("--min-age-minutes", "5")
    assert not recent.exists()


def test_the_daily_beat_task_sweeps_every_tenant(acme, globex):
    from crm.tasks import documents_sweep

    assert settings.CELERY_BEAT_SCHEDULE["crm-documents-sweep"]["task"] == documents_sweep.name
    old = _orphan(acme.schema_name, "old.pdf", 2 * HOUR)
    other_tenant = _orphan(globex.schema_name, "globex.pdf", 2 * HOUR)
    young = _orphan(acme.schema_name, "young.pdf", 60)

    documents_sweep.delay()

    assert not old.exists()
    assert not other_tenant.exists()
    assert young.exists()
