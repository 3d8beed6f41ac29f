"""Documents shared on a student's profile: checked from their content, removed safely."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from crm.models import Document, StudentDocument
from crm.storage import protected_storage
from tests.access.conftest import error_code, field_errors
from tests.crm.progress.conftest import PNG, upload

pytestmark = pytest.mark.django_db


def docs_url(profile) -> str:
    return f"/api/v1/crm/students/{profile.pk}/documents/"


def doc_url(shared_id: int) -> str:
    return f"/api/v1/crm/student-documents/{shared_id}/"


def share(client, profile, **fields):
    data = {"title": "Worksheet 3", "category": "assignment", "file": upload(), **fields}
    return client.post(docs_url(profile), data, format="multipart")


@pytest.mark.parametrize("role", ["owner", "staff", "tutor", "parent", "student"])
def test_everyone_who_sees_the_student_can_share_a_document(api_client, acme, family, role):
    response = share(api_client(acme, getattr(family, role).user), family.profile)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["title"], body["category"], body["content_type"]) == (
        "Worksheet 3",
        "assignment",
        "application/pdf",
    )
    assert body["shared_by"]["id"] == getattr(family, role).user_id
    assert body["download_url"] == f"/api/v1/crm/documents/{body['document_id']}/"
    with tenant_context(acme):
        shared = StudentDocument.objects.select_related("document").get()
        assert shared.document.purpose == Document.Purpose.STUDENT
        assert protected_storage.exists(shared.document.file.name)
    assert AuditEntry.objects.filter(action="crm.student_document.shared").count() == 1
    listed = api_client(acme, family.student.user).get(docs_url(family.profile)).json()
    assert [d["id"] for d in listed["results"]] == [body["id"]]


def test_a_png_is_stored_as_what_its_content_is(api_client, acme, family):
    response = share(
        api_client(acme, family.tutor.user),
        family.profile,
        file=upload("diagram.pdf", PNG, "application/pdf"),
        category="resource",
    )
    assert response.status_code == 201, response.content
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"file": upload("essay.pdf", b"#!/bin/sh\nrm -rf /\n", "application/pdf")}, "file"),
        ({"file": upload("empty.pdf", b"", "application/pdf")}, "file"),
        ({"file": upload("cut.pdf", b"%PDF-1.4\n1 0 obj\n", "application/pdf")}, "file"),
        ({"category": "homework"}, "category"),
        ({"title": "   "}, "title"),
    ],
)
def test_bad_uploads_are_refused_with_field_errors(api_client, acme, family, fields, field):
    response = share(api_client(acme, family.tutor.user), family.profile, **fields)
    assert field in field_errors(response)
    with tenant_context(acme):
        assert not StudentDocument.objects.exists()
        assert not Document.objects.exists()


def test_every_problem_is_reported_at_once(api_client, acme, family):
    response = share(
        api_client(acme, family.tutor.user),
        family.profile,
        title=" ",
        file=upload("notes.pdf", b"plain text", "application/pdf"),
    )
    assert set(field_errors(response)) == {"title", "file"}


def test_a_missing_file_is_a_field_error(api_client, acme, family):
    response = api_client(acme, family.tutor.user).post(
        docs_url(family.profile), {"title": "x", "category": "other"}, format="multipart"
    )
    assert "file" in field_errors(response)


def test_a_child_under_13_uploads_only_with_a_parents_consent_in_force(
    api_client, acme, make_student, consent_for
):
    profile, student, parent = make_student(age=10, first_name="Mia")
    client = api_client(acme, student.user)
    refused = share(client, profile)
    assert refused.status_code == 403
    assert error_code(refused) == "consent_required"

    consent = consent_for(profile, parent)
    assert share(client, profile).status_code == 201

    with tenant_context(acme):
        consent.withdrawn_at = timezone.now()
        consent.save()
    assert error_code(share(client, profile)) == "consent_required"
    # The parent acts for the child without needing consent for themself.
    assert share(api_client(acme, parent.user), profile).status_code == 201
    with tenant_context(acme):
        assert StudentDocument.objects.count() == 2


@pytest.mark.parametrize("outsider", ["other_tutor", "other_student", "other_parent"])
def test_outsiders_cannot_list_share_or_remove(api_client, acme, family, outsider):
    shared = share(api_client(acme, family.tutor.user), family.profile).json()
    client = api_client(acme, getattr(family, outsider).user)
    assert client.get(docs_url(family.profile)).status_code == 404
    assert share(client, family.profile).status_code == 404
    response = client.delete(doc_url(shared["id"]))
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    with tenant_context(acme):
        assert StudentDocument.objects.count() == 1


def test_a_globex_token_cannot_touch_acme_documents(api_client, acme, globex, family, member):
    shared = share(api_client(acme, family.tutor.user), family.profile).json()
    client = api_client(globex, member(globex, "owner").user)
    assert client.get(docs_url(family.profile)).status_code == 404
    assert share(client, family.profile).status_code == 404
    assert client.delete(doc_url(shared["id"])).status_code == 404
    with tenant_context(acme):
        assert StudentDocument.objects.filter(pk=shared["id"]).exists()


def test_the_sharer_removes_a_document_and_its_file_goes_after_commit(
    api_client, acme, family, django_capture_on_commit_callbacks
):
    shared = share(api_client(acme, family.parent.user), family.profile).json()
    with tenant_context(acme):
        name = Document.objects.get().file.name
    # Someone else (not staff) may not remove it.
    assert api_client(acme, family.tutor.user).delete(doc_url(shared["id"])).status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client(acme, family.parent.user).delete(doc_url(shared["id"]))
    assert response.status_code == 204
    assert protected_storage.exists(name)  # not before the commit
    for callback in callbacks:
        callback()
    assert not protected_storage.exists(name)
    with tenant_context(acme):
        assert not StudentDocument.objects.exists()
        assert not Document.objects.exists()
    assert AuditEntry.objects.filter(action="crm.student_document.deleted").count() == 1


def test_staff_remove_anyones_document(
    api_client, acme, family, django_capture_on_commit_callbacks
):
    shared = share(api_client(acme, family.student.user), family.profile).json()
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client(acme, family.staff.user).delete(doc_url(shared["id"])).status_code == 204
    with tenant_context(acme):
        assert not StudentDocument.objects.exists()
