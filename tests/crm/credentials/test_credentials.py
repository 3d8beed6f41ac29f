"""Credentials: a tutor uploads, changes and deletes their own; files are checked and tidy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from crm import services
from crm.models import Credential, Document
from tests.access.conftest import field_errors
from tests.crm.credentials.conftest import JPEG, PDF, PNG, ZIP, stored, upload

pytestmark = pytest.mark.django_db

MINE = "/api/v1/crm/tutors/me/credentials/"


def _one(pk: int) -> str:
    return f"/api/v1/crm/credentials/{pk}/"


def _form(**fields):
    data = {"kind": "degree", "title": "BSc Mathematics", "issuer": "University of Leeds"}
    data.update(fields)
    data.setdefault("file", upload())
    return data


def _counts(tenant) -> tuple[int, int]:
    with tenant_context(tenant):
        return Credential.objects.count(), Document.objects.count()


def test_a_tutor_uploads_a_pdf_credential_that_waits_for_review(api_client, acme, tutor):
    response = api_client(acme, tutor.user).post(
        MINE, _form(issued_on="2019-07-01", expires_on="2029-07-01"), format="multipart"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["document"]["content_type"] == "application/pdf"
    assert body["document"]["original_name"] == "degree.pdf"
    assert body["document"]["url"] == f"/api/v1/crm/documents/{body['document']['id']}/"
    with tenant_context(acme):
        credential = Credential.objects.select_related("document").get(pk=body["id"])
        assert credential.document.purpose == Document.Purpose.CREDENTIAL
        assert credential.document.file.name.startswith(f"{acme.schema_name}/credential/")
        assert stored(credential.document.file.name).read_bytes() == PDF
    assert AuditEntry.objects.filter(action="crm.credential.added", actor=tutor.user).exists()
    listed = api_client(acme, tutor.user).get(MINE).json()
    assert [item["id"] for item in listed["results"]] == [body["id"]]


@pytest.mark.parametrize(("name", "content"), [("id.png", PNG), ("id.jpg", JPEG)])
def test_images_are_accepted_and_typed_from_their_content(api_client, acme, tutor, name, content):
    response = api_client(acme, tutor.user).post(
        MINE, _form(file=upload(name, content, "application/octet-stream")), format="multipart"
    )
    assert response.status_code == 201, response.content
    assert response.json()["document"]["content_type"].startswith("image/")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cv.pdf", b"<script>alert(1)</script>" * 10),  # a .pdf name, not PDF content
        ("archive.pdf", ZIP),  # a recognised type, but not one allowed
        ("cut.pdf", PDF[:-7]),  # a truncated PDF: no %%EOF
        ("empty.pdf", b""),
    ],
)
def test_files_whose_content_is_not_an_allowed_type_are_refused_and_nothing_stays(
    api_client, acme, tutor, name, content
):
    response = api_client(acme, tutor.user).post(
        MINE, _form(file=upload(name, content)), format="multipart"
    )
    assert "file" in field_errors(response)
    assert _counts(acme) == (0, 0)


def test_an_oversized_file_is_refused(api_client, acme, tutor):
    big = PDF[:-6] + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n"
    response = api_client(acme, tutor.user).post(
        MINE, _form(file=upload("big.pdf", big)), format="multipart"
    )
    assert "limit is 10 MB" in field_errors(response)["file"][0]
    assert _counts(acme) == (0, 0)


def test_every_field_error_is_reported_at_once(tutor, profile_of, acme):
    profile = profile_of(tutor)
    with tenant_context(acme), pytest.raises(ValidationError) as raised:
        services.credential_create(
            profile=profile,
            actor=tutor,
            kind="diploma-mill",
            title=" ",
            issuer="x" * 201,
            issued_on="2020-02-30",
            expires_on="2019-01-01",
            file=upload("cv.pdf", b"not a pdf"),
        )
    assert set(raised.value.message_dict) == {"kind", "title", "issuer", "issued_on", "file"}
    assert _counts(acme) == (0, 0)


def test_expiry_before_issue_and_future_issue_dates_are_refused(api_client, acme, tutor):
    client = api_client(acme, tutor.user)
    response = client.post(
        MINE, _form(issued_on="2020-01-01", expires_on="2019-01-01"), format="multipart"
    )
    assert "expires_on" in field_errors(response)
    response = client.post(MINE, _form(issued_on="2999-01-01"), format="multipart")
    assert "issued_on" in field_errors(response)
    assert _counts(acme) == (0, 0)


def test_a_database_failure_leaves_no_row_and_no_file(
    api_client, acme, tutor, profile_of, monkeypatch
):
    profile = profile_of(tutor)

    def broken(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr("crm.services.credentials.audit_record", broken)
    with tenant_context(acme), pytest.raises(RuntimeError):
        services.credential_create(
            profile=profile, actor=tutor, kind="degree", title="BSc", file=upload()
        )
    assert _counts(acme) == (0, 0)
    assert not list((stored(acme.schema_name)).rglob("*.pdf"))


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "student", "parent"])
def test_only_tutors_add_credentials(as_role, role):
    response = as_role(role).post(MINE, _form(), format="multipart")
    assert response.status_code == 403


def test_replacing_the_file_sends_it_back_to_review_and_deletes_the_old_file(
    api_client, owner, tutor, credential_of, django_capture_on_commit_callbacks
):
    acme = tutor.tenant
    credential = credential_of(tutor)
    with tenant_context(acme):
        services.credential_review(credential=credential, actor=owner, status="verified")
    old_name = credential.document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(acme, tutor.user).patch(
            _one(credential.pk), {"file": upload("new.png", PNG)}, format="multipart"
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["document"]["content_type"]) == ("pending", "image/png")
    assert not stored(old_name).exists()
    with tenant_context(acme):
        assert Document.objects.count() == 1
        credential.refresh_from_db()
        assert credential.reviewed_by_id is None
        assert stored(credential.document.file.name).exists()


def test_editing_the_details_also_sends_it_back_to_review(
    api_client, acme, owner, tutor, credential_of
):
    credential = credential_of(tutor)
    with tenant_context(acme):
        services.credential_review(
            credential=credential, actor=owner, status="rejected", reason="Blurry"
        )
    response = api_client(acme, tutor.user).patch(
        _one(credential.pk), {"title": "MSc Mathematics"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("pending", "")


def test_a_bad_replacement_keeps_the_credential_and_its_file(
    api_client, acme, tutor, credential_of
):
    credential = credential_of(tutor)
    response = api_client(acme, tutor.user).patch(
        _one(credential.pk), {"file": upload("x.pdf", b"nope")}, format="multipart"
    )
    assert "file" in field_errors(response)
    with tenant_context(acme):
        credential.refresh_from_db()
        assert Document.objects.count() == 1
    assert stored(credential.document.file.name).exists()


def test_deleting_a_credential_removes_its_document_and_file_after_commit(
    api_client, acme, tutor, credential_of, django_capture_on_commit_callbacks
):
    credential = credential_of(tutor)
    name = credential.document.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = api_client(acme, tutor.user).delete(_one(credential.pk))
    assert response.status_code == 204
    assert stored(name).exists()  # not before the commit
    for callback in callbacks:
        callback()
    assert not stored(name).exists()
    assert _counts(acme) == (0, 0)
    assert AuditEntry.objects.filter(action="crm.credential.deleted").exists()


def test_another_tutor_can_neither_read_change_nor_delete_it(
    api_client, acme, tutor, member, credential_of
):
    credential = credential_of(tutor)
    other = api_client(acme, member(acme, "tutor").user)
    assert other.get(_one(credential.pk)).status_code == 404
    assert other.patch(_one(credential.pk), {"title": "Mine"}, format="json").status_code == 404
    assert other.delete(_one(credential.pk)).status_code == 404
    assert other.get(MINE).json()["count"] == 0
    assert _counts(acme) == (1, 1)


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("admin", 200), ("staff", 200), ("student", 404), ("parent", 404)],
)
def test_the_agency_staff_read_credentials_and_nobody_else(
    as_role, tutor, credential_of, role, status
):
    credential = credential_of(tutor)
    client = as_role(role)
    assert client.get(_one(credential.pk)).status_code == status
    if role in {"owner", "admin", "staff"}:
        # Reading is not managing: only the tutor changes or deletes it.
        assert client.patch(_one(credential.pk), {"title": "X"}, format="json").status_code == 403
        assert client.delete(_one(credential.pk)).status_code == 403


def test_a_member_of_another_tenant_reaches_no_acme_credential(
    api_client, globex, member, tutor, credential_of
):
    credential = credential_of(tutor)
    client = api_client(globex, member(globex, "owner").user)
    assert client.get(_one(credential.pk)).status_code == 404
    assert client.delete(_one(credential.pk)).status_code == 404
    assert (
        client.post(
            f"{_one(credential.pk)}review/", {"status": "verified"}, format="json"
        ).status_code
        == 404
    )
