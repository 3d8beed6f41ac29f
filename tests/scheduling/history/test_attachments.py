"""Files shared on a session: checked from their content, protected, removed safely."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from crm import services as crm
from crm.models import Document
from crm.storage import protected_storage
from scheduling.models import SessionAttachment
from tests.access.conftest import error_code, field_errors
from tests.scheduling.conftest import dob_for
from tests.scheduling.history.conftest import PDF, in_days, upload

pytestmark = pytest.mark.django_db


def files_url(session) -> str:
    return f"/api/v1/scheduling/sessions/{session.pk}/attachments/"


def share(client, session, file=None):
    return client.post(files_url(session), {"file": file or upload()}, format="multipart")


@pytest.mark.parametrize("who", ["tutor", "student", "parent", "staff"])
def test_everyone_on_the_session_shares_and_sees_files(api_client, acme, cast, who):
    response = share(api_client(acme, getattr(cast, who).user), cast.session)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["original_name"], body["content_type"], body["size"]) == (
        "worksheet.pdf",
        "application/pdf",
        len(PDF),
    )
    assert body["uploaded_by"]["id"] == getattr(cast, who).user_id
    assert body["download_url"] == (
        f"/api/v1/scheduling/sessions/{cast.session.pk}/attachments/{body['id']}/"
    )
    with tenant_context(acme):
        attachment = SessionAttachment.objects.select_related("document").get()
        assert protected_storage.exists(attachment.document.file.name)
    for viewer in ("tutor", "student", "parent", "owner"):
        listed = api_client(acme, getattr(cast, viewer).user).get(files_url(cast.session)).json()
        assert [item["id"] for item in listed["results"]] == [body["id"]]
    download = api_client(acme, cast.parent.user).get(body["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEntry.objects.filter(action="scheduling.session.attachment_added").count() == 1


@pytest.mark.parametrize("who", ["other_tutor", "outsider"])
def test_people_off_the_session_neither_see_nor_share_files(api_client, acme, cast, who):
    shared = share(api_client(acme, cast.tutor.user), cast.session).json()
    client = api_client(acme, getattr(cast, who).user)
    assert client.get(files_url(cast.session)).status_code == 404
    assert share(client, cast.session).status_code == 404
    assert client.get(shared["download_url"]).status_code == 404
    assert client.delete(shared["download_url"]).status_code == 404


def test_a_file_is_found_only_under_its_own_session(api_client, acme, cast, booked):
    other = booked(cast.tutor_profile, cast.student_profile, in_days(-3), status="completed")
    shared = share(api_client(acme, cast.tutor.user), cast.session).json()
    client = api_client(acme, cast.tutor.user)
    wrong = f"/api/v1/scheduling/sessions/{other.pk}/attachments/{shared['id']}/"
    assert client.get(wrong).status_code == 404
    assert (
        client.get(f"/api/v1/scheduling/sessions/x/attachments/{shared['id']}/").status_code == 404
    )


@pytest.mark.parametrize(
    "file",
    [
        upload("essay.pdf", b"#!/bin/sh\nrm -rf /\n"),
        upload("empty.pdf", b""),
        upload("cut.pdf", b"%PDF-1.4\n1 0 obj\n"),
    ],
)
def test_bad_files_are_refused_with_a_field_error(api_client, acme, cast, file):
    response = share(api_client(acme, cast.tutor.user), cast.session, file)
    assert "file" in field_errors(response)
    with tenant_context(acme):
        assert not SessionAttachment.objects.exists()
        assert not Document.objects.exists()


def test_a_missing_file_is_a_field_error(api_client, acme, cast):
    response = api_client(acme, cast.tutor.user).post(
        files_url(cast.session), {}, format="multipart"
    )
    assert "file" in field_errors(response)


def test_a_child_without_consent_cannot_upload(
    api_client, acme, owner, member, booked, tutor_profile, parent
):
    kid = member(acme, "student", first_name="Kim")
    with tenant_context(acme):
        profile = crm.student_create(
            actor=owner,
            first_name="Kim",
            last_name="Kid",
            email=kid.user.email,
            date_of_birth=dob_for(11),
            parents=[{"email": parent.user.email}],
        )
    session = booked(tutor_profile, profile, in_days(2))
    for who in (kid, parent):
        response = share(api_client(acme, who.user), session)
        assert response.status_code == 403
        assert error_code(response) == "consent_required"
    assert share(api_client(acme, tutor_profile.user), session).status_code == 201


def test_the_sharer_or_the_staff_remove_a_file_and_its_stored_copy(
    api_client, acme, cast, django_capture_on_commit_callbacks
):
    shared = share(api_client(acme, cast.student.user), cast.session).json()
    url = shared["download_url"]
    assert api_client(acme, cast.tutor.user).delete(url).status_code == 403
    assert api_client(acme, cast.parent.user).delete(url).status_code == 403
    with tenant_context(acme):
        name = SessionAttachment.objects.get().document.file.name
    assert protected_storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(acme, cast.staff.user).delete(url)
    assert response.status_code == 204
    with tenant_context(acme):
        assert not SessionAttachment.objects.exists()
        assert not Document.objects.exists()
    assert not protected_storage.exists(name)
    assert AuditEntry.objects.filter(action="scheduling.session.attachment_deleted").count() == 1


def test_a_session_holds_at_most_twenty_files(api_client, acme, cast):
    client = api_client(acme, cast.tutor.user)
    for _ in range(20):
        assert share(client, cast.session).status_code == 201
    response = share(client, cast.session)
    assert response.status_code == 400
    assert error_code(response) == "too_many_attachments"
