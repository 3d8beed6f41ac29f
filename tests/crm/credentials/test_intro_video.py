"""The introduction video: an uploaded MP4/WebM or a link; replacing and removing tidy up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from crm import selectors, services
from crm.models import Document, TutorProfile
from tests.access.conftest import field_errors
from tests.crm.credentials.conftest import MP4, PDF, WEBM, stored, upload

pytestmark = pytest.mark.django_db

VIDEO = "/api/v1/crm/tutors/me/intro-video/"
ME = "/api/v1/crm/tutors/me/"


def _profile(tenant, tutor) -> TutorProfile:
    with tenant_context(tenant):
        return TutorProfile.objects.select_related("intro_video").get(user=tutor.user)


def test_a_tutor_uploads_a_video_and_the_profile_points_at_the_protected_route(
    api_client, acme, tutor
):
    client = api_client(acme, tutor.user)
    response = client.put(
        VIDEO, {"file": upload("hello.mp4", MP4, "video/mp4")}, format="multipart"
    )
    assert response.status_code == 200, response.content
    profile = _profile(acme, tutor)
    assert profile.intro_video.purpose == Document.Purpose.INTRO_VIDEO
    assert profile.intro_video.content_type == "video/mp4"
    bio = response.json()["bio"]
    assert bio["intro_video_document_url"] == f"/api/v1/crm/documents/{profile.intro_video_id}/"
    assert bio["intro_video_url"] == ""
    assert response.json()["completion"]["sections"]["intro_video"] is True
    assert client.get(bio["intro_video_document_url"]).status_code == 200
    assert AuditEntry.objects.filter(action="crm.tutor_profile.intro_video_uploaded").exists()


def test_a_new_video_replaces_the_old_one_whose_file_goes_after_commit(
    api_client, acme, tutor, django_capture_on_commit_callbacks
):
    client = api_client(acme, tutor.user)
    client.put(VIDEO, {"file": upload("one.mp4", MP4)}, format="multipart")
    first = _profile(acme, tutor).intro_video
    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(VIDEO, {"file": upload("two.webm", WEBM)}, format="multipart")
    assert response.status_code == 200, response.content
    second = _profile(acme, tutor).intro_video
    assert second.content_type == "video/webm"
    assert not stored(first.file.name).exists()
    assert stored(second.file.name).exists()
    with tenant_context(acme):
        assert list(Document.objects.values_list("pk", flat=True)) == [second.pk]


@pytest.mark.parametrize(("name", "content"), [("talk.mp4", PDF), ("talk.mp4", b"x" * 100)])
def test_only_mp4_and_webm_content_is_accepted(api_client, acme, tutor, name, content):
    response = api_client(acme, tutor.user).put(
        VIDEO, {"file": upload(name, content, "video/mp4")}, format="multipart"
    )
    assert "file" in field_errors(response)
    with tenant_context(acme):
        assert not Document.objects.exists()


def test_a_video_over_200_mb_is_refused(acme, tutor, profile_of):
    # The real limit, without writing 200 MB: the upload reports one byte more.
    profile = profile_of(tutor)
    file = upload("big.mp4", MP4)
    file.size = 200 * 1024 * 1024 + 1
    with tenant_context(acme), pytest.raises(ValidationError, match="limit is 200 MB"):
        services.tutor_intro_video_upload(profile=profile, actor=tutor, file=file)
    with tenant_context(acme):
        assert not Document.objects.exists()


def test_removing_the_upload_keeps_the_link_and_deletes_the_file(
    api_client, acme, tutor, django_capture_on_commit_callbacks
):
    client = api_client(acme, tutor.user)
    client.patch(ME, {"intro_video_url": "https://video.example/me"}, format="json")
    client.put(VIDEO, {"file": upload("one.mp4", MP4)}, format="multipart")
    name = _profile(acme, tutor).intro_video.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(VIDEO).status_code == 204
    profile = _profile(acme, tutor)
    assert profile.intro_video_id is None
    assert profile.intro_video_url == "https://video.example/me"
    assert not stored(name).exists()
    assert client.get(ME).json()["bio"]["intro_video_document_url"] is None
    assert client.delete(VIDEO).status_code == 204  # nothing left to remove: still fine


def test_the_link_alone_completes_the_video_step(api_client, acme, tutor):
    client = api_client(acme, tutor.user)
    client.patch(ME, {"intro_video_url": "https://video.example/me"}, format="json")
    profile = _profile(acme, tutor)
    with tenant_context(acme):
        assert selectors.tutor_profile_completion(profile=profile).sections["intro_video"]


@pytest.mark.parametrize("role", ["owner", "staff", "student", "parent"])
def test_only_tutors_upload_an_intro_video(as_role, role):
    client = as_role(role)
    assert client.put(VIDEO, {"file": upload("a.mp4", MP4)}, format="multipart").status_code == 403
    assert client.delete(VIDEO).status_code == 403
