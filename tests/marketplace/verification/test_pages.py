"""The console's verification pages on the root domain, and the protected document stream."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import Credential, TutorProfile
from marketplace.services.verification import credential_verify
from notifications.models import Notification
from tests.crm.credentials.conftest import MP4, PDF, upload

pytestmark = pytest.mark.django_db

QUEUE = "/console/verification/"


def tutor_page(pk: int) -> str:
    return f"{QUEUE}{pk}/"


def document_page(pk: int) -> str:
    return f"{QUEUE}documents/{pk}/"


@pytest.fixture
def ops(web_client, staff):
    return web_client(None, staff)


def test_the_console_links_to_the_queue_which_lists_freelancers(
    ops, marketplace, freelancer_profile, identity
):
    assert f'href="{QUEUE}"'.encode() in ops.get("/console/").content
    response = ops.get(QUEUE)
    assert response.status_code == 200
    assert f'href="{tutor_page(freelancer_profile.pk)}"'.encode() in response.content
    assert b"Fay Freeman" in response.content
    assert b"1 pending" in response.content
    filtered = ops.get(QUEUE, {"status": "verified"})
    assert b"Fay Freeman" not in filtered.content
    assert b"Fay Freeman" in ops.get(QUEUE, {"q": "fay@freelance"}).content
    assert ops.get(QUEUE, {"status": "approved"}).status_code == 400


def test_the_tutor_page_shows_credentials_with_their_files_and_decision_forms(
    ops, marketplace, freelancer_profile, identity
):
    response = ops.get(tutor_page(freelancer_profile.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Passport" in body
    assert f'href="{document_page(identity.document_id)}"' in body
    assert f'action="{QUEUE}credentials/{identity.pk}/decision/"' in body
    assert f'action="{tutor_page(freelancer_profile.pk)}decision/"' in body
    assert "identity documents before granting the badge" in body


def test_staff_decide_through_the_pages_and_see_the_history(
    ops, marketplace, freelancer, freelancer_profile, identity
):
    credential_form = f"credential-{identity.pk}"
    refused = ops.post(
        f"{QUEUE}credentials/{identity.pk}/decision/", {f"{credential_form}-status": "rejected"}
    )
    assert refused.status_code == 400
    assert b"Give the reason for the rejection" in refused.content

    done = ops.post(
        f"{QUEUE}credentials/{identity.pk}/decision/", {f"{credential_form}-status": "verified"}
    )
    assert done.status_code == 302
    assert done["Location"] == tutor_page(freelancer_profile.pk)

    badge = f"{tutor_page(freelancer_profile.pk)}decision/"
    assert ops.post(badge, {"badge-status": "verified"}).status_code == 302
    revoked = ops.post(
        badge, {"badge-status": "rejected", "badge-reason": "Reported stolen"}, follow=True
    )
    assert b"has no verified badge" in revoked.content
    page = revoked.content.decode()
    assert "Revoked" in page
    assert "Reported stolen" in page
    with tenant_context(marketplace):
        profile = TutorProfile.objects.get(pk=freelancer_profile.pk)
        assert profile.verification_status == "rejected"
        assert Notification.objects.filter(user=freelancer.user).count() == 3


def test_granting_without_a_verified_identity_shows_the_field_error(
    ops, marketplace, freelancer_profile, identity
):
    badge = f"{tutor_page(freelancer_profile.pk)}decision/"
    response = ops.post(badge, {"badge-status": "verified"})
    assert response.status_code == 400
    assert b'id="id_badge-status_error"' in response.content
    with tenant_context(marketplace):
        assert TutorProfile.objects.get(pk=freelancer_profile.pk).verification_status == "pending"


def test_the_document_is_streamed_to_staff_with_protective_headers(ops, marketplace, identity):
    response = ops.get(document_page(identity.document_id))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Security-Policy"].startswith("sandbox")


@pytest.mark.parametrize("who", ["agency owner", "marketplace owner", "freelancer"])
def test_nobody_but_platform_staff_opens_the_pages_or_the_document(
    web_client, marketplace, owner, member, freelancer, freelancer_profile, identity, who
):
    person = {
        "agency owner": owner.user,
        "marketplace owner": member(marketplace, Membership.Role.OWNER).user,
        "freelancer": freelancer.user,
    }[who]
    client = web_client(None, person)
    for response in (
        client.get(QUEUE),
        client.get(tutor_page(freelancer_profile.pk)),
        client.get(document_page(identity.document_id)),
        client.post(f"{tutor_page(freelancer_profile.pk)}decision/", {"badge-status": "verified"}),
        client.post(
            f"{QUEUE}credentials/{identity.pk}/decision/",
            {f"credential-{identity.pk}-status": "verified"},
        ),
    ):
        assert response.status_code == 403
        assert b"Freeman" not in response.content
    with tenant_context(marketplace):
        assert Credential.objects.get(pk=identity.pk).status == "pending"


def test_anonymous_visitors_are_sent_to_sign_in(web_client, marketplace, identity):
    for url in (QUEUE, document_page(identity.document_id)):
        response = web_client(None).get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_ids_and_other_kinds_of_document_are_not_found(
    ops, marketplace, staff, freelancer, freelancer_profile, identity
):
    assert ops.get(tutor_page(10**6)).status_code == 404
    assert ops.get(document_page(10**6)).status_code == 404
    assert ops.post(f"{QUEUE}credentials/10000/decision/", {}).status_code == 404
    assert ops.post(f"{tutor_page(10**6)}decision/", {}).status_code == 404
    with tenant_context(marketplace):
        profile = crm.tutor_intro_video_upload(
            profile=freelancer_profile, actor=freelancer, file=upload("intro.mp4", MP4, "video/mp4")
        )
    assert ops.get(document_page(profile.intro_video_id)).status_code == 404


def test_staff_see_no_decision_forms_on_their_own_profile(
    web_client, marketplace, staff, credential_of
):
    own = Membership.objects.create(user=staff, tenant=marketplace, role=Membership.Role.TUTOR)
    passport = credential_of(own)
    page = web_client(None, staff).get(tutor_page(passport.profile_id)).content.decode()
    assert "another member of the platform staff decides" in page
    assert f"credentials/{passport.pk}/decision/" not in page
    response = web_client(None, staff).post(
        f"{QUEUE}credentials/{passport.pk}/decision/",
        {f"credential-{passport.pk}-status": "verified"},
    )
    assert response.status_code == 403


def test_times_show_in_the_viewers_zone(ops, marketplace, staff, identity):
    staff.time_zone = "Asia/Tokyo"
    staff.save()
    credential_verify(staff=staff, credential_id=identity.pk, status="verified")
    page = ops.get(tutor_page(identity.profile_id)).content.decode()
    assert "JST" in page
