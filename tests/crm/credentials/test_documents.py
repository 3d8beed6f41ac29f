"""Protected files: streamed only to members allowed to see them, 404 for everyone else."""

from __future__ import annotations

import datetime

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services
from crm.documents import document_create
from crm.models import Document, ParentLink, StudentDocument, StudentProfile, TutorAssignment
from tests.crm.credentials.conftest import MP4, PDF, upload

pytestmark = pytest.mark.django_db


def _api(pk: int) -> str:
    return f"/api/v1/crm/documents/{pk}/"


def _page(pk: int) -> str:
    return f"/crm/documents/{pk}/"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def people(acme, owner, member, tutor):
    return {
        "owner": owner,
        "admin": member(acme, "admin"),
        "staff": member(acme, "staff"),
        "tutor": tutor,
        "other_tutor": member(acme, "tutor"),
        "student": member(acme, "student"),
        "parent": member(acme, "parent"),
    }


def test_a_credential_file_is_served_to_its_tutor_and_the_agency_staff_only(
    api_client, web_client, people, credential_of
):
    credential = credential_of(people["tutor"])
    pk = credential.document_id
    for name, person in people.items():
        allowed = name in {"owner", "admin", "staff", "tutor"}
        response = api_client(person.tenant, person.user).get(_api(pk))
        assert response.status_code == (200 if allowed else 404), name
        page = web_client(person.tenant, person.user).get(_page(pk))
        assert page.status_code == (200 if allowed else 404), name
        if allowed:
            assert _body(page) == PDF
            assert page["Content-Type"] == "application/pdf"
            assert page["X-Content-Type-Options"] == "nosniff"
            assert "private" in page["Cache-Control"]


def test_an_unknown_document_and_a_signed_out_visitor_get_nothing(
    api_client, web_client, acme, tutor, credential_of
):
    credential = credential_of(tutor)
    assert api_client(acme, tutor.user).get(_api(credential.document_id + 999)).status_code == 404
    assert api_client(acme).get(_api(credential.document_id)).status_code == 401
    response = web_client(acme).get(_page(credential.document_id))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_another_tenants_members_never_get_an_acme_file(
    api_client, web_client, globex, tutor, credential_of
):
    credential = credential_of(tutor)
    globex_owner = Membership.objects.get(tenant=globex, role="owner")
    assert (
        api_client(globex, globex_owner.user).get(_api(credential.document_id)).status_code == 404
    )
    assert (
        web_client(globex, globex_owner.user).get(_page(credential.document_id)).status_code == 404
    )


@pytest.mark.parametrize(
    ("visibility", "seen_by_others"), [("agency", True), ("public", True), ("private", False)]
)
def test_an_uploaded_intro_video_follows_the_bio_sections_visibility(
    api_client, people, profile_of, visibility, seen_by_others
):
    tutor = people["tutor"]
    profile = profile_of(tutor, visibility={"bio": visibility})
    with tenant_context(tutor.tenant):
        profile = services.tutor_intro_video_upload(
            profile=profile, actor=tutor, file=upload("me.mp4", MP4, "video/mp4")
        )
    pk = profile.intro_video_id
    for name, person in people.items():
        allowed = seen_by_others or name in {"owner", "admin", "staff", "tutor"}
        response = api_client(person.tenant, person.user).get(_api(pk))
        assert response.status_code == (200 if allowed else 404), (name, visibility)
        if allowed:
            assert response["Content-Type"] == "video/mp4"


@pytest.fixture
def student_file(acme, people):
    """A document on the student's profile; the tutor is assigned, the parent linked."""
    with tenant_context(acme):
        student = StudentProfile.objects.create(
            first_name="Sam",
            user=people["student"].user,
            date_of_birth=datetime.date(2010, 5, 1),
        )
        TutorAssignment.objects.create(
            student=student, tutor=people["tutor"].user, assigned_by=people["owner"].user
        )
        ParentLink.objects.create(
            student=student, parent=people["parent"].user, email=people["parent"].user.email
        )
        document = document_create(
            file=upload("homework.pdf"),
            purpose=Document.Purpose.STUDENT,
            uploaded_by=people["tutor"].user,
        )
        StudentDocument.objects.create(
            student=student,
            document=document,
            title="Homework",
            category="assignment",
            shared_by=people["tutor"].user,
        )
    return document


def test_a_student_document_is_served_to_whoever_may_see_the_student(
    api_client, web_client, people, student_file
):
    for name, person in people.items():
        allowed = name != "other_tutor"
        response = api_client(person.tenant, person.user).get(_api(student_file.pk))
        assert response.status_code == (200 if allowed else 404), name
        page = web_client(person.tenant, person.user).get(_page(student_file.pk))
        assert page.status_code == (200 if allowed else 404), name


def test_a_document_of_another_purpose_never_leaks_through_the_wrong_rule(
    api_client, people, student_file, credential_of
):
    # A credential's file is not made visible by being a student's document, and the
    # other way round: a student sees their file, not a tutor's credential.
    credential = credential_of(people["tutor"])
    client = api_client(people["student"].tenant, people["student"].user)
    assert client.get(_api(student_file.pk)).status_code == 200
    assert client.get(_api(credential.document_id)).status_code == 404
