"""Writes of the crm domain: learning goals, progress entries and students' documents.

Agency staff and the student's assigned tutors set goals and record progress; the
student and their linked parents read them and are told of new progress. Anyone who may
see a student (staff, assigned tutors, linked parents, the student) may share documents
on their profile; a child under 13 needs a parent's consent first (``crm.minors``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, User
from audit.services import audit_record
from crm.documents import document_create
from crm.guards import require_here
from crm.minors import student_check, tenant_today
from crm.models import (
    Document,
    LearningGoal,
    ProgressEntry,
    StudentDocument,
    StudentProfile,
    Subject,
)
from crm.selectors.progress import progress_editor_is
from crm.selectors.students import student_list
from crm.validation import UNSET, text_validate
from notifications.services import notify

__all__ = [
    "goal_create",
    "goal_delete",
    "goal_update",
    "progress_entry_delete",
    "progress_entry_record",
    "student_document_delete",
    "student_document_share",
]

TITLE_LIMIT = 200
DESCRIPTION_LIMIT = 5000
NOTE_LIMIT = 2000
TENANT_URLCONF = settings.ROOT_URLCONF  # pages of a tenant's host, also outside a request


def _require_editor(actor: Membership | None, student: StudentProfile) -> Membership:
    actor = require_here(actor)
    if not progress_editor_is(viewer=actor, student=student):
        raise PermissionDenied("Only the agency's staff and the student's tutors can do this.")
    return actor


def _require_viewer(actor: Membership | None, student: StudentProfile) -> Membership:
    actor = require_here(actor)
    if not student_list(viewer=actor).filter(pk=student.pk).exists():
        raise PermissionDenied("You cannot see this student.")
    return actor


def _text(errors: dict, field: str, value: Any, *, limit: int, required: bool = False) -> str:
    value = text_validate(errors, field, value)
    if field in errors:
        return value
    if required and not value:
        errors[field] = ["This field is required."]
    elif len(value) > limit:
        errors[field] = [f"Use at most {limit} characters."]
    return value


def _date(errors: dict, field: str, value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    errors[field] = ["Enter a date as YYYY-MM-DD."]
    return None


def _subject(errors: dict, value: Any) -> Subject | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors["subject_id"] = ["Send a subject id."]
        return None
    subject = Subject.objects.filter(pk=value, is_active=True).first()
    if subject is None:
        errors["subject_id"] = ["Choose an active subject from the catalogue."]
    return subject


def _status(errors: dict, value: Any) -> str:
    if value not in LearningGoal.Status.values:
        errors["status"] = [f"Choose one of: {', '.join(LearningGoal.Status.values)}."]
    return value


@transaction.atomic
def goal_create(
    *,
    actor: Membership,
    student: StudentProfile,
    title: str,
    description: str = "",
    subject_id: int | None = None,
    target_date: dt.date | str | None = None,
    status: str = LearningGoal.Status.NOT_STARTED,
    request=None,
) -> LearningGoal:
    """Set a learning goal for ``student``; its target date may not be in the past."""
    actor = _require_editor(actor, student)
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title, limit=TITLE_LIMIT, required=True)
    description = _text(errors, "description", description, limit=DESCRIPTION_LIMIT)
    subject = _subject(errors, subject_id)
    target = _date(errors, "target_date", target_date)
    if target is not None and target < tenant_today():
        errors["target_date"] = ["The target date cannot be in the past."]
    status = _status(errors, status)
    if errors:
        raise ValidationError(errors)
    goal = LearningGoal.objects.create(
        student=student,
        title=title,
        description=description,
        subject=subject,
        target_date=target,
        status=status,
        created_by=actor.user,
    )
    audit_record(
        action="crm.goal.created",
        actor=actor.user,
        tenant=actor.tenant,
        target=goal,
        data={"student": student.pk, "status": status},
        request=request,
    )
    return goal


@transaction.atomic
def goal_update(
    *,
    actor: Membership,
    goal: LearningGoal,
    title: str = UNSET,
    description: str = UNSET,
    subject_id: int | None = UNSET,
    target_date: dt.date | str | None = UNSET,
    status: str = UNSET,
    request=None,
) -> LearningGoal:
    """Change a goal; a new target date may not be in the past (an old one may stay)."""
    goal = (
        LearningGoal.objects.select_for_update(of=("self",))
        .select_related("student")
        .get(pk=goal.pk)
    )
    actor = _require_editor(actor, goal.student)
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if title is not UNSET:
        changes["title"] = _text(errors, "title", title, limit=TITLE_LIMIT, required=True)
    if description is not UNSET:
        changes["description"] = _text(errors, "description", description, limit=DESCRIPTION_LIMIT)
    if subject_id is not UNSET:
        subject = _subject(errors, subject_id)
        # A subject deactivated since may stay on the goal it was set on.
        if subject_id == goal.subject_id and subject_id is not None:
            errors.pop("subject_id", None)
            subject = goal.subject
        changes["subject"] = subject
    if target_date is not UNSET:
        target = _date(errors, "target_date", target_date)
        if target is not None and target != goal.target_date and target < tenant_today():
            errors["target_date"] = ["The target date cannot be in the past."]
        changes["target_date"] = target
    if status is not UNSET:
        changes["status"] = _status(errors, status)
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in changes.items() if getattr(goal, field) != value]
    if changed:
        for field in changed:
            setattr(goal, field, changes[field])
        goal.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="crm.goal.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=goal,
            data={"student": goal.student_id, "fields": sorted(changed), "status": goal.status},
            request=request,
        )
    return goal


@transaction.atomic
def goal_delete(*, actor: Membership, goal: LearningGoal, request=None) -> None:
    """Remove a goal and the progress recorded against it."""
    actor = _require_editor(actor, goal.student)
    audit_record(
        action="crm.goal.deleted",
        actor=actor.user,
        tenant=actor.tenant,
        target=goal,
        data={"student": goal.student_id, "title": goal.title},
        request=request,
    )
    goal.delete()


def _progress_notify(*, entry: ProgressEntry, student: StudentProfile, actor: Membership) -> None:
    """Tell the student and their linked parents (never the author) of new progress."""
    recipients = {student.user_id} if student.user_id else set()
    parents = student.parent_links.filter(parent__isnull=False)
    recipients |= set(parents.values_list("parent_id", flat=True))
    recipients.discard(actor.user_id)
    if not recipients:
        return
    page = reverse("crm:student_progress", kwargs={"pk": student.pk}, urlconf=TENANT_URLCONF)
    url = actor.tenant.absolute_url(page)
    title = f"New progress on “{entry.goal.title}”: {entry.progress} %"
    for user in User.objects.filter(pk__in=recipients, is_active=True):
        notify(
            user=user,
            event="crm.progress.recorded",
            title=title[:200],
            body=entry.note,
            url=url,
            context={"student": student.full_name, "goal": entry.goal.title},
        )


@transaction.atomic
def progress_entry_record(
    *,
    actor: Membership,
    goal: LearningGoal,
    progress: int,
    recorded_on: dt.date | str | None = None,
    note: str = "",
    request=None,
) -> ProgressEntry:
    """Record how far the student has come (0-100 %) on a day that is not in the future.

    A goal not yet started moves to in progress. Reaching 100 % does not mark it achieved:
    the tutor does that (``goal_update``); readers are shown the suggestion.
    """
    goal = (
        LearningGoal.objects.select_for_update(of=("self",))
        .select_related("student")
        .get(pk=goal.pk)
    )
    actor = _require_editor(actor, goal.student)
    errors: dict[str, list[str]] = {}
    today = tenant_today()
    day = today if recorded_on is None else _date(errors, "recorded_on", recorded_on)
    if recorded_on == "":
        errors["recorded_on"] = ["Enter a date as YYYY-MM-DD."]
    if day is not None and day > today:
        errors["recorded_on"] = ["Progress cannot be recorded for a day in the future."]
    if isinstance(progress, bool) or not isinstance(progress, int) or not 0 <= progress <= 100:
        errors["progress"] = ["Enter a whole percentage from 0 to 100."]
    note = _text(errors, "note", note, limit=NOTE_LIMIT)
    if errors:
        raise ValidationError(errors)
    entry = ProgressEntry.objects.create(
        goal=goal, recorded_by=actor.user, recorded_on=day, progress=progress, note=note
    )
    if goal.status == LearningGoal.Status.NOT_STARTED:
        goal.status = LearningGoal.Status.IN_PROGRESS
        goal.save(update_fields=["status", "updated_at"])
    audit_record(
        action="crm.progress.recorded",
        actor=actor.user,
        tenant=actor.tenant,
        target=entry,
        data={"student": goal.student_id, "goal": goal.pk, "progress": progress},
        request=request,
    )
    _progress_notify(entry=entry, student=goal.student, actor=actor)
    return entry


@transaction.atomic
def progress_entry_delete(*, actor: Membership, entry: ProgressEntry, request=None) -> None:
    """Remove an entry: its author (while still the student's tutor) or the agency's staff."""
    actor = require_here(actor)
    student = entry.goal.student
    if not actor.is_agency_staff and not (
        entry.recorded_by_id == actor.user_id and progress_editor_is(viewer=actor, student=student)
    ):
        raise PermissionDenied("Only whoever recorded this progress, or the staff, can remove it.")
    audit_record(
        action="crm.progress.deleted",
        actor=actor.user,
        tenant=actor.tenant,
        target=entry,
        data={"student": student.pk, "goal": entry.goal_id, "progress": entry.progress},
        request=request,
    )
    entry.delete()


@transaction.atomic
def student_document_share(
    *,
    actor: Membership,
    student: StudentProfile,
    title: str,
    category: str,
    file: UploadedFile | None,
    request=None,
) -> StudentDocument:
    """Store an assignment or resource (PDF, JPEG or PNG, checked from its content) on
    ``student``'s profile.
    """
    actor = _require_viewer(actor, student)
    if actor.user_id is not None and actor.user_id == student.user_id:
        student_check(student, "upload")
    errors: dict[str, list[str]] = {}
    title = _text(errors, "title", title, limit=TITLE_LIMIT, required=True)
    if category not in StudentDocument.Category.values:
        errors["category"] = [f"Choose one of: {', '.join(StudentDocument.Category.values)}."]
    try:
        document = document_create(
            file=file, purpose=Document.Purpose.STUDENT, uploaded_by=actor.user
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    shared = StudentDocument.objects.create(
        student=student, document=document, title=title, category=category, shared_by=actor.user
    )
    audit_record(
        action="crm.student_document.shared",
        actor=actor.user,
        tenant=actor.tenant,
        target=shared,
        data={
            "student": student.pk,
            "category": category,
            "content_type": document.content_type,
            "size": document.size,
        },
        request=request,
    )
    return shared


@transaction.atomic
def student_document_delete(
    *, actor: Membership, student_document: StudentDocument, request=None
) -> None:
    """Remove a shared document (its sharer or the agency's staff); the file goes after
    the commit, so a rollback never leaves a row without its file.
    """
    actor = _require_viewer(actor, student_document.student)
    if not actor.is_agency_staff and student_document.shared_by_id != actor.user_id:
        raise PermissionDenied("Only whoever shared this document, or the staff, can remove it.")
    document = student_document.document
    audit_record(
        action="crm.student_document.deleted",
        actor=actor.user,
        tenant=actor.tenant,
        target=student_document,
        data={"student": student_document.student_id, "title": student_document.title},
        request=request,
    )
    student_document.delete()
    document.delete()
    name, storage = document.file.name, document.file.storage
    transaction.on_commit(lambda: storage.delete(name))
