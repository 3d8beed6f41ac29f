"""Writes of a session's history: notes, summary and homework, and shared files.

Who writes what (``scheduling.selectors.history``): the session's tutor their private
``tutor_notes``, the student's side (the student, their linked parents) their private
``student_notes``, and the tutor or the agency's staff the shared ``summary`` and
``homework``. Anyone who sees the session may attach files (PDF, JPEG or PNG, checked
from their content, stored as protected crm documents); a student side's upload first
passes ``crm.minors.student_check`` (a child under 13 needs a parent's consent).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from accounts.models import Membership
from audit.services import audit_record
from config.errors import ApplicationError
from crm.documents import document_create, document_delete
from crm.guards import require_here
from crm.minors import student_check
from crm.models import Document
from crm.validation import UNSET
from scheduling.models import Session, SessionAttachment
from scheduling.selectors.history import NOTE_FIELDS, note_fields_editable
from scheduling.selectors.sessions import session_list, session_party

__all__ = [
    "MAX_ATTACHMENTS",
    "NOTE_LIMIT",
    "session_attachment_add",
    "session_attachment_delete",
    "session_notes_update",
]

NOTE_LIMIT = 10_000
MAX_ATTACHMENTS = 20

_NOTE_LABELS = {
    "tutor_notes": "the tutor's private notes",
    "student_notes": "the student's private notes",
    "summary": "the summary",
    "homework": "the homework",
}


def _visible_locked(actor: Membership, session: Session) -> Session:
    """The session, locked, if ``actor`` may see it; a 403 otherwise."""
    # A parent's list is DISTINCT, which FOR UPDATE refuses: lock through a subquery.
    visible = session_list(viewer=actor).filter(pk=session.pk).values("pk")
    found = (
        Session.objects.select_for_update(of=("self",))
        .select_related("tutor__user", "student", "subject")
        .filter(pk__in=visible)
        .first()
    )
    if found is None:
        raise PermissionDenied("You cannot see this session.")
    return found


def _note(errors: dict, field: str, value: Any) -> str:
    if not isinstance(value, str):
        errors[field] = ["Enter text."]
        return ""
    value = value.strip()
    if "\x00" in value:
        errors[field] = ["Null characters are not allowed."]
    elif len(value) > NOTE_LIMIT:
        errors[field] = [f"Use at most {NOTE_LIMIT} characters."]
    return value


@transaction.atomic
def session_notes_update(
    *,
    actor: Membership,
    session: Session,
    tutor_notes: str = UNSET,
    student_notes: str = UNSET,
    summary: str = UNSET,
    homework: str = UNSET,
    request=None,
) -> Session:
    """Change the note fields given; each viewer may write only their side's fields."""
    actor = require_here(actor)
    session = _visible_locked(actor, session)
    given = {
        field: value
        for field, value in zip(
            NOTE_FIELDS, (tutor_notes, student_notes, summary, homework), strict=True
        )
        if value is not UNSET
    }
    editable = note_fields_editable(session_party(viewer=actor, session=session))
    refused = [field for field in given if field not in editable]
    if refused:
        raise PermissionDenied(
            "You cannot write " + " or ".join(_NOTE_LABELS[field] for field in refused) + "."
        )
    errors: dict[str, list[str]] = {}
    cleaned = {field: _note(errors, field, value) for field, value in given.items()}
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in cleaned.items() if getattr(session, field) != value]
    if changed:
        for field in changed:
            setattr(session, field, cleaned[field])
        session.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="scheduling.session.notes_updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=session,
            data={"fields": sorted(changed)},
            request=request,
        )
    return session


@transaction.atomic
def session_attachment_add(
    *, actor: Membership, session: Session, file: UploadedFile | None, request=None
) -> SessionAttachment:
    """Share a file (PDF, JPEG or PNG, checked from its content, 20 MB) on ``session``."""
    actor = require_here(actor)
    session = _visible_locked(actor, session)
    party = session_party(viewer=actor, session=session)
    if party is None:
        raise PermissionDenied("You cannot add files to this session.")
    if party == "student":
        student_check(session.student, "upload")
    if session.attachments.count() >= MAX_ATTACHMENTS:
        raise ApplicationError(
            f"A session can hold at most {MAX_ATTACHMENTS} files; remove one first.",
            code="too_many_attachments",
            status=400,
        )
    document = document_create(file=file, purpose=Document.Purpose.STUDENT, uploaded_by=actor.user)
    attachment = SessionAttachment.objects.create(
        session=session, document=document, uploaded_by=actor.user
    )
    audit_record(
        action="scheduling.session.attachment_added",
        actor=actor.user,
        tenant=actor.tenant,
        target=attachment,
        data={
            "session": session.pk,
            "content_type": document.content_type,
            "size": document.size,
        },
        request=request,
    )
    return attachment


@transaction.atomic
def session_attachment_delete(
    *, actor: Membership, attachment: SessionAttachment, request=None
) -> None:
    """Remove a file: whoever shared it, or the agency's staff. The stored file goes once
    the transaction commits, so a rollback never leaves a row without its file.
    """
    actor = require_here(actor)
    _visible_locked(actor, attachment.session)
    if not actor.is_agency_staff and attachment.uploaded_by_id != actor.user_id:
        raise PermissionDenied("Only whoever shared this file, or the staff, can remove it.")
    document = attachment.document
    audit_record(
        action="scheduling.session.attachment_deleted",
        actor=actor.user,
        tenant=actor.tenant,
        target=attachment,
        data={"session": attachment.session_id, "name": document.original_name},
        request=request,
    )
    attachment.delete()
    document_delete(document)
