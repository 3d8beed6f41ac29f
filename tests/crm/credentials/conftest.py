"""Helpers for the credential tests: small real files of each kind, stored credentials."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from crm import services
from crm.models import Credential

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 50
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 100
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08"
    b"\x42\x82\x84webm\x42\x87\x81\x04\x42\x85\x81\x02" + b"\x00" * 100
)
ZIP = b"PK\x03\x04" + b"\x00" * 40


def upload(
    name: str = "degree.pdf", content: bytes = PDF, content_type: str = ""
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type or "application/pdf")


def stored(name: str) -> Path:
    return Path(settings.PROTECTED_MEDIA_ROOT) / name


@pytest.fixture(autouse=True)
def _own_protected_root(settings, tmp_path):
    """Each test stores its files in its own folder (rolled-back rows leave files behind)."""
    settings.PROTECTED_MEDIA_ROOT = str(tmp_path / "protected")


@pytest.fixture
def credential_of(profile_of):
    """``credential_of(tutor_membership, **fields)`` → a stored credential of that tutor."""

    def make(membership, **fields) -> Credential:
        profile = profile_of(membership)
        fields.setdefault("kind", Credential.Kind.DEGREE)
        fields.setdefault("title", "BSc Mathematics")
        fields.setdefault("file", upload())
        with tenant_context(membership.tenant):
            return services.credential_create(profile=profile, actor=membership, **fields)

    return make
