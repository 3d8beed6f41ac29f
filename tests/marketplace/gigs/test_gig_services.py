"""The gig services called directly: the checks every caller gets, whatever the surface."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from config.errors import ApplicationError
from marketplace.models import Gig
from marketplace.services import gigs as services
from tests.marketplace.gigs.conftest import gig_in, payload

pytestmark = pytest.mark.django_db


def _fields(tenant) -> dict:
    fields = payload(tenant)
    fields.pop("packages")
    return fields


def test_a_member_of_another_tenant_is_refused(listed, globex, member, draft):
    stranger = member(globex, "tutor")
    with tenant_context(listed):
        with pytest.raises(PermissionDenied):
            services.gig_create(actor=stranger, **_fields(listed))
        for action in (services.gig_publish, services.gig_pause, services.gig_delete):
            with pytest.raises(PermissionDenied):
                action(gig=draft, actor=stranger)
        with pytest.raises(PermissionDenied):
            services.gig_update(gig=draft, actor=stranger, title="Taken")
    assert gig_in(listed, draft.pk).title == draft.title


def test_a_tutor_without_a_profile_is_told_to_make_one(listed, member):
    tutor = member(listed, "tutor")
    with tenant_context(listed), pytest.raises(ApplicationError) as refused:
        services.gig_create(actor=tutor, **_fields(listed))
    assert refused.value.code == "no_tutor_profile"


def test_the_opt_in_is_read_from_the_database_not_the_callers_copy(listed, theo):
    theo.tenant.marketplace_listed = True
    type(listed).objects.filter(pk=listed.pk).update(marketplace_listed=False)
    with tenant_context(listed), pytest.raises(ApplicationError) as refused:
        services.gig_create(actor=theo, **_fields(listed))
    assert refused.value.code == "marketplace_not_listed"


def test_a_deactivated_subject_cannot_be_published(listed, theo, theo_profile, draft, weekly):
    weekly(theo_profile, 1, "09:00", "10:00")
    with tenant_context(listed):
        draft.subject.is_active = False
        draft.subject.save(update_fields=["is_active"])
        with pytest.raises(ValidationError) as refused:
            services.gig_publish(gig=draft, actor=theo)
    assert "subject_id" in refused.value.message_dict
    assert gig_in(listed, draft.pk).status == Gig.Status.DRAFT
