"""What the brief keys per tenant: cache entries, stored files and log lines."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_tenants.utils import tenant_context

pytestmark = pytest.mark.django_db


def test_cache_entries_are_private_to_their_tenant(acme, globex):
    with tenant_context(acme):
        cache.set("weekly-report", "acme numbers")
    with tenant_context(globex):
        assert cache.get("weekly-report") is None
        cache.set("weekly-report", "globex numbers")
    with tenant_context(acme):
        assert cache.get("weekly-report") == "acme numbers"


def test_uploaded_files_are_stored_in_a_folder_per_tenant(acme, globex, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with tenant_context(acme):
        name = default_storage.save("credentials/degree.pdf", ContentFile(b"%PDF-1.4 acme"))
        acme_path = default_storage.path(name)
    with tenant_context(globex):
        assert not default_storage.exists(name)
    assert acme_path.startswith(str(tmp_path / acme.schema_name))


def test_log_lines_carry_the_tenant_schema(acme, caplog):
    from django_tenants.log import TenantContextFilter

    record = logging.LogRecord("educonnect", logging.INFO, __file__, 1, "hello", None, None)
    with tenant_context(acme):
        TenantContextFilter().filter(record)
    assert record.schema_name == "acme"
