"""Helpers for the verification tests: platform staff, and credentials of any tutor."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from crm import services as crm
from crm.models import Credential
from tests.crm.credentials.conftest import upload
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _own_protected_root(settings, tmp_path):
    """Each test stores its files in its own folder (rolled-back rows leave files behind)."""
    settings.PROTECTED_MEDIA_ROOT = str(tmp_path / "protected")


@pytest.fixture
def staff() -> User:
    return UserFactory(
        email="olive@platform.test", first_name="Olive", last_name="Ops", is_platform_staff=True
    )


@pytest.fixture
def credential_of():
    """``credential_of(tutor_membership, kind="identity", **fields)`` → their new credential,
    uploaded by the tutor through crm (pending review)."""

    def make(membership: Membership, kind: str = Credential.Kind.IDENTITY, **fields) -> Credential:
        fields.setdefault("title", "Passport" if kind == Credential.Kind.IDENTITY else "BSc")
        fields.setdefault("file", upload("passport.pdf"))
        with tenant_context(membership.tenant):
            profile = crm.tutor_profile_ensure(actor=membership)
            return crm.credential_create(profile=profile, actor=membership, kind=kind, **fields)

    return make


@pytest.fixture
def identity(freelancer, credential_of) -> Credential:
    """Fay Freeman's passport, pending review."""
    return credential_of(freelancer)
