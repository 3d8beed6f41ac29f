"""Reads of the crm domain: tutors' credentials, and who may open which stored document."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership
from crm.models import Credential, Document, StudentDocument, TutorProfile
from crm.selectors.students import student_list
from crm.selectors.tutors import tutor_profile_list, tutor_profile_visible_sections

__all__ = [
    "credential_get",
    "credential_list",
    "document_can_view",
    "document_get",
]


def credential_list(*, viewer: Membership, profile: TutorProfile | None = None) -> QuerySet:
    """Credentials ``viewer`` may read: a tutor their own, the agency's staff everyone's.

    Credentials carry identity documents and background checks, so nobody else (other
    tutors, students, parents) reads them, whatever the profile's visibility says.
    """
    credentials = Credential.objects.select_related("profile__user", "document", "reviewed_by")
    if profile is not None:
        credentials = credentials.filter(profile=profile)
    if viewer.is_agency_staff:
        return credentials
    if viewer.role == Membership.Role.TUTOR:
        return credentials.filter(profile__user_id=viewer.user_id)
    return credentials.none()


def credential_get(*, viewer: Membership, pk: int) -> Credential | None:
    """One credential ``viewer`` may read (by the rules of ``credential_list``), or None."""
    return credential_list(viewer=viewer).filter(pk=pk).first()


def document_get(*, viewer: Membership, pk: int) -> Document | None:
    """A stored document ``viewer`` may open, or None (whether it exists or not)."""
    document = Document.objects.filter(pk=pk).first()
    if document is None or not document_can_view(viewer=viewer, document=document):
        return None
    return document


def document_can_view(*, viewer: Membership, document: Document) -> bool:
    """Whether ``viewer`` may open ``document``.

    - a credential's file: the tutor it belongs to and the agency's staff;
    - an introduction video: whoever may see the bio section of the tutor's profile;
    - a student document: whoever may see that student (``student_list``).
    """
    if document.purpose == Document.Purpose.CREDENTIAL:
        return credential_list(viewer=viewer).filter(document=document).exists()
    if document.purpose == Document.Purpose.INTRO_VIDEO:
        profile = tutor_profile_list(viewer=viewer).filter(intro_video=document).first()
        return profile is not None and "bio" in tutor_profile_visible_sections(
            profile=profile, viewer=viewer
        )
    if document.purpose == Document.Purpose.STUDENT:
        student_ids = StudentDocument.objects.filter(document=document).values("student_id")
        return student_list(viewer=viewer).filter(pk__in=student_ids).exists()
    return False
