"""The root domain's marketplace and console operations, fuzzed against real objects.

The general fuzz test rarely guesses the id of an existing listing, so its requests mostly
end in 404s. Here every path parameter names a real object (a listed gig, its tutor, a
review, a freelancer and their credential), so the generated bodies and queries reach the
booking, moderation and verification code itself: still never a 500.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from crm.models import Credential
from listings.indexing import tutor_refresh
from listings.models import ListedReview, Listing
from tests.contract.test_openapi_fuzz import _fuzz, _operations
from tests.factories import UserFactory
from tests.listings.conftest import review_factory
from tests.marketplace.conftest import freelancer, freelancer_pair, freelancer_profile, gig_factory
from tests.scheduling.conftest import teacher, weekly

__all__ = [
    "freelancer",
    "freelancer_pair",
    "freelancer_profile",
    "gig_factory",
    "review_factory",
    "teacher",
    "weekly",
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def market(marketplace, freelancer_profile, gig_factory, review_factory):
    gig = gig_factory(freelancer_profile)
    review = review_factory(freelancer_profile, 4, gig=gig)
    with tenant_context(marketplace):
        credential = Credential.objects.create(
            profile=freelancer_profile,
            kind=Credential.Kind.IDENTITY,
            title="Passport",
            document=_document(freelancer_profile),
        )
    tutor_refresh(tenant=marketplace, profile_id=freelancer_profile.pk)
    listing = Listing.objects.get(tenant=marketplace, gig_id=gig.pk)
    return {
        "/api/v1/marketplace/listings/{id}": listing.pk,
        "/api/v1/marketplace/tutors/{id}": listing.tutor_id,
        "/api/v1/console/reviews/{id}": ListedReview.objects.get(review_id=review.pk).pk,
        "{profile_id}": freelancer_profile.pk,
        "{credential_id}": credential.pk,
    }


def _document(profile):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from crm.documents import document_create
    from crm.models import Document

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return document_create(
        file=SimpleUploadedFile("passport.pdf", pdf, content_type="application/pdf"),
        purpose=Document.Purpose.CREDENTIAL,
        uploaded_by=profile.user,
    )


def _real_ids(operation, ids: dict[str, int]):
    """The operation with its path parameters pinned to real objects (None: none known)."""
    pinned = {}
    for parameter in operation.path_parameters:
        name = parameter.name
        value = next(
            (
                pk
                for key, pk in ids.items()
                if key == f"{{{name}}}" or operation.path.startswith(f"{key}/")
            ),
            None,
        )
        if value is None:
            return None
        pinned[name] = value
    return pinned


def test_marketplace_and_console_operations_never_answer_a_server_error(
    api_client, public_tenant, market
):
    staff = UserFactory(is_platform_staff=True)
    clients = [api_client(), api_client(user=UserFactory()), api_client(user=staff)]
    operations = [
        operation
        for operation in _operations(clients[0], 0, 1)
        if operation.path.startswith(("/api/v1/marketplace/", "/api/v1/console/"))
        and operation.path_parameters
    ]
    assert len(operations) >= 8
    for operation in operations:
        pinned = _real_ids(operation, market)
        assert pinned, operation.path
        for client in clients:
            _fuzz(client, operation, path_parameters=pinned)
