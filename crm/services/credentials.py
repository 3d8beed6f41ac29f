"""Writes of the crm domain: a tutor's credentials and introduction video, and the agency's
review of credentials and of tutors.

A tutor adds, changes and deletes credentials on their own profile; the agency's owners
and admins review them. The marketplace has no agency: platform staff review its
freelancers (``marketplace.services.verification``) through the same decision functions,
``credential_decision_record`` and ``tutor_decision_record``. Stored files go when their
row goes, after the commit; a write that fails removes the file it had just stored, and
``documents_sweep`` catches the rest.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from crm.documents import document_create, document_delete, document_discard_file, upload_validate
from crm.guards import require_here, require_manager
from crm.models import Credential, Document, TutorProfile, VerificationStatus
from crm.validation import UNSET
from notifications.services import notify
from tenants.models import Tenant

__all__ = [
    "credential_create",
    "credential_decision_record",
    "credential_delete",
    "credential_review",
    "credential_update",
    "tutor_decision_record",
    "tutor_intro_video_remove",
    "tutor_intro_video_upload",
    "tutor_review",
]

TEXT_MAX = 200
REVIEW_STATUSES = (VerificationStatus.VERIFIED, VerificationStatus.REJECTED)


def _require_tutor_of(actor: Membership | None, profile: TutorProfile) -> Membership:
    actor = require_here(actor)
    if actor.role != Membership.Role.TUTOR or actor.user_id != profile.user_id:
        raise PermissionDenied("Tutors can change only their own credentials.")
    return actor


def _require_reviewer(actor: Membership | None) -> Membership:
    actor = require_here(actor)
    # The marketplace's members are the freelancers themselves (and whoever runs the
    # tenant); a badge they could grant each other would mean nothing.
    if actor.tenant.kind == Tenant.Kind.MARKETPLACE:
        raise PermissionDenied("Platform staff verify marketplace tutors.")
    return require_manager(actor, "Only the agency's owners and admins can review tutors.")


def _text(errors: dict, field: str, value: Any, *, required: bool) -> str:
    if not isinstance(value, str):
        errors[field] = ["Enter text."]
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = ["This field is required."]
    elif len(value) > TEXT_MAX:
        errors[field] = [f"Use at most {TEXT_MAX} characters."]
    return value


def _date(errors: dict, field: str, value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime) or not isinstance(value, datetime.date | str):
        errors[field] = ["Enter a date as YYYY-MM-DD."]
        return None
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            errors[field] = ["Enter a date as YYYY-MM-DD."]
            return None
    return value


def _credential_fields(errors: dict, values: dict[str, Any]) -> dict[str, Any]:
    """Clean the given credential fields (absent ones are ``UNSET``) into ``changes``."""
    changes: dict[str, Any] = {}
    if values["kind"] is not UNSET:
        if values["kind"] not in Credential.Kind.values:
            errors["kind"] = [f"Choose one of: {', '.join(Credential.Kind.values)}."]
        changes["kind"] = values["kind"]
    if values["title"] is not UNSET:
        changes["title"] = _text(errors, "title", values["title"], required=True)
    if values["issuer"] is not UNSET:
        changes["issuer"] = _text(errors, "issuer", values["issuer"], required=False)
    for field in ("issued_on", "expires_on"):
        if values[field] is not UNSET:
            changes[field] = _date(errors, field, values[field])
    issued = changes.get("issued_on")
    if issued and issued > timezone.localdate():
        errors["issued_on"] = ["The issue date cannot be in the future."]
    return changes


def _check_dates(errors: dict, credential: Credential) -> None:
    if (
        "issued_on" not in errors
        and "expires_on" not in errors
        and credential.issued_on
        and credential.expires_on
        and credential.expires_on < credential.issued_on
    ):
        errors["expires_on"] = ["The expiry date cannot be before the issue date."]


def _check_file(errors: dict, file, purpose: str) -> None:
    try:
        upload_validate(file=file, purpose=purpose)
    except ValidationError as error:
        errors.update(error.message_dict)


def _store(file, purpose: str, actor: Membership) -> Document:
    return document_create(file=file, purpose=purpose, uploaded_by=actor.user)


def _stored_then(document: Document, write) -> Any:
    """Run ``write``; if it fails, the file just stored for ``document`` goes too."""
    try:
        with transaction.atomic():
            return write()
    except BaseException:
        document_discard_file(document)
        raise


@transaction.atomic
def credential_create(
    *,
    profile: TutorProfile,
    actor: Membership,
    kind: str,
    title: str,
    file,
    issuer: str = "",
    issued_on: datetime.date | str | None = None,
    expires_on: datetime.date | str | None = None,
    request=None,
) -> Credential:
    """Add a credential with its file (PDF, JPEG or PNG) to the tutor's own profile.

    It starts pending review. Every field error is reported at once; nothing is stored
    unless all are fine.
    """
    actor = _require_tutor_of(actor, profile)
    errors: dict[str, list[str]] = {}
    values = {
        "kind": kind,
        "title": title,
        "issuer": issuer,
        "issued_on": issued_on,
        "expires_on": expires_on,
    }
    changes = _credential_fields(errors, values)
    credential = Credential(profile=profile, **changes)
    _check_dates(errors, credential)
    _check_file(errors, file, Document.Purpose.CREDENTIAL)
    if errors:
        raise ValidationError(errors)
    document = _store(file, Document.Purpose.CREDENTIAL, actor)

    def write() -> Credential:
        credential.document = document
        credential.save()
        audit_record(
            action="crm.credential.added",
            actor=actor.user,
            tenant=actor.tenant,
            target=credential,
            data={"kind": credential.kind, "document": document.pk},
            request=request,
        )
        return credential

    return _stored_then(document, write)


@transaction.atomic
def credential_update(
    *,
    credential: Credential,
    actor: Membership,
    kind: str = UNSET,
    title: str = UNSET,
    issuer: str = UNSET,
    issued_on: datetime.date | str | None = UNSET,
    expires_on: datetime.date | str | None = UNSET,
    file=UNSET,
    request=None,
) -> Credential:
    """Change one of the tutor's own credentials, or replace its file.

    Any change sends it back to pending review: what the agency verified is no longer
    what it shows. A replaced file is deleted after the commit.
    """
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("profile", "document")
        .get(pk=credential.pk)
    )
    actor = _require_tutor_of(actor, credential.profile)
    errors: dict[str, list[str]] = {}
    values = {
        "kind": kind,
        "title": title,
        "issuer": issuer,
        "issued_on": issued_on,
        "expires_on": expires_on,
    }
    changes = _credential_fields(errors, values)
    changed = sorted(f for f, v in changes.items() if getattr(credential, f) != v)
    for field in changed:
        setattr(credential, field, changes[field])
    _check_dates(errors, credential)
    if file is not UNSET:
        _check_file(errors, file, Document.Purpose.CREDENTIAL)
    if errors:
        raise ValidationError(errors)
    if file is UNSET and not changed:
        return credential
    old_document = credential.document if file is not UNSET else None
    new_document = _store(file, Document.Purpose.CREDENTIAL, actor) if old_document else None

    def write() -> Credential:
        if new_document is not None:
            credential.document = new_document
        credential.status = VerificationStatus.PENDING
        credential.rejection_reason = ""
        credential.reviewed_by = None
        credential.reviewed_at = None
        credential.save()
        if old_document is not None:
            document_delete(old_document)
        audit_record(
            action="crm.credential.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=credential,
            data={"fields": changed, "file_replaced": new_document is not None},
            request=request,
        )
        return credential

    if new_document is None:
        return write()
    return _stored_then(new_document, write)


@transaction.atomic
def credential_delete(*, credential: Credential, actor: Membership, request=None) -> None:
    """Delete one of the tutor's own credentials, with its document and (after commit) file."""
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("profile", "document")
        .get(pk=credential.pk)
    )
    actor = _require_tutor_of(actor, credential.profile)
    document = credential.document
    audit_record(
        action="crm.credential.deleted",
        actor=actor.user,
        tenant=actor.tenant,
        target=credential,
        data={"kind": credential.kind, "title": credential.title, "document": document.pk},
        request=request,
    )
    credential.delete()
    document_delete(document)


def _review_values(status: Any, reason: Any) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    if status not in REVIEW_STATUSES:
        errors["status"] = ["Choose verified or rejected."]
    reason = reason.strip() if isinstance(reason, str) else ""
    if status == VerificationStatus.REJECTED and not reason:
        errors["reason"] = ["Give the reason for the rejection; the tutor will see it."]
    elif len(reason) > 2000:
        errors["reason"] = ["Use at most 2000 characters."]
    if errors:
        raise ValidationError(errors)
    return status, reason


def _require_not_own(reviewer: User, profile: TutorProfile) -> None:
    if reviewer.pk == profile.user_id:
        raise PermissionDenied("Nobody can review their own profile.")


def _notify_tutor(profile: TutorProfile, *, event: str, title: str, body: str) -> None:
    if profile.user_id is None:
        return
    # Also reached from the root domain (platform staff), whose URLs have no crm pages.
    page = reverse("crm:wizard_step", kwargs={"step": "credentials"}, urlconf=settings.ROOT_URLCONF)
    notify(user=profile.user, event=event, title=title, body=body, url=page)


@transaction.atomic
def credential_decision_record(
    *,
    credential: Credential,
    reviewer: User,
    tenant: Tenant,
    status: str,
    reason: str = "",
    request=None,
) -> Credential:
    """Verify or reject (with a reason) a credential in the schema in use; the tutor is told.

    The one place a decision is written, whoever is entitled to make it: the agency's
    managers (``credential_review``) or platform staff for the marketplace. The caller
    checks that ``reviewer`` may decide here; nobody decides on their own credential.
    A credential may be reviewed again; the latest decision stands.
    """
    credential = (
        Credential.objects.select_for_update(of=("self",))
        .select_related("profile__user")
        .get(pk=credential.pk)
    )
    _require_not_own(reviewer, credential.profile)
    status, reason = _review_values(status, reason)
    credential.status = status
    credential.rejection_reason = reason if status == VerificationStatus.REJECTED else ""
    credential.reviewed_by = reviewer
    credential.reviewed_at = timezone.now()
    credential.save()
    audit_record(
        action="crm.credential.reviewed",
        actor=reviewer,
        tenant=tenant,
        target=credential,
        data={"status": status, "reason": credential.rejection_reason},
        request=request,
    )
    decision = "verified" if status == VerificationStatus.VERIFIED else "rejected"
    _notify_tutor(
        credential.profile,
        event=f"crm.credential.{decision}",
        title=f"Your credential “{credential.title}” was {decision}",
        body=credential.rejection_reason,
    )
    return credential


@transaction.atomic
def tutor_decision_record(
    *,
    profile: TutorProfile,
    reviewer: User,
    tenant: Tenant,
    status: str,
    reason: str = "",
    request=None,
) -> TutorProfile:
    """Verify or reject (with a reason) a tutor as a whole; the tutor is told.

    Like ``credential_decision_record``: the caller checks who may decide.
    """
    profile = (
        TutorProfile.objects.select_for_update(of=("self",))
        .select_related("user")
        .get(pk=profile.pk)
    )
    _require_not_own(reviewer, profile)
    status, reason = _review_values(status, reason)
    profile.verification_status = status
    profile.verification_reason = reason if status == VerificationStatus.REJECTED else ""
    profile.verification_reviewed_by = reviewer
    profile.verification_reviewed_at = timezone.now()
    profile.save(
        update_fields=[
            "verification_status",
            "verification_reason",
            "verification_reviewed_by",
            "verification_reviewed_at",
            "updated_at",
        ]
    )
    audit_record(
        action="crm.tutor_profile.reviewed",
        actor=reviewer,
        tenant=tenant,
        target=profile,
        data={"status": status, "reason": profile.verification_reason},
        request=request,
    )
    decision = "verified" if status == VerificationStatus.VERIFIED else "rejected"
    _notify_tutor(
        profile,
        event=f"crm.tutor_profile.{decision}",
        title=f"Your tutor profile was {decision}",
        body=profile.verification_reason,
    )
    return profile


def credential_review(
    *, credential: Credential, actor: Membership, status: str, reason: str = "", request=None
) -> Credential:
    """The agency's owners and admins verify or reject (with a reason) a tutor's credential."""
    actor = _require_reviewer(actor)
    return credential_decision_record(
        credential=credential,
        reviewer=actor.user,
        tenant=actor.tenant,
        status=status,
        reason=reason,
        request=request,
    )


def tutor_review(
    *, profile: TutorProfile, actor: Membership, status: str, reason: str = "", request=None
) -> TutorProfile:
    """The agency's owners and admins verify or reject (with a reason) a tutor as a whole."""
    actor = _require_reviewer(actor)
    return tutor_decision_record(
        profile=profile,
        reviewer=actor.user,
        tenant=actor.tenant,
        status=status,
        reason=reason,
        request=request,
    )


# Introduction video ------------------------------------------------------------------------


@transaction.atomic
def tutor_intro_video_upload(*, profile: TutorProfile, actor: Membership, file, request=None):
    """Store the tutor's own introduction video (MP4 or WebM), replacing any earlier one."""
    profile = TutorProfile.objects.select_for_update(of=("self",)).get(pk=profile.pk)
    actor = _require_tutor_of(actor, profile)
    errors: dict[str, list[str]] = {}
    _check_file(errors, file, Document.Purpose.INTRO_VIDEO)
    if errors:
        raise ValidationError(errors)
    document = _store(file, Document.Purpose.INTRO_VIDEO, actor)
    old = Document.objects.filter(pk=profile.intro_video_id).first()

    def write() -> TutorProfile:
        profile.intro_video = document
        profile.save(update_fields=["intro_video", "updated_at"])
        if old is not None:
            document_delete(old)
        audit_record(
            action="crm.tutor_profile.intro_video_uploaded",
            actor=actor.user,
            tenant=actor.tenant,
            target=profile,
            data={"document": document.pk, "replaced": old.pk if old else None},
            request=request,
        )
        return profile

    return _stored_then(document, write)


@transaction.atomic
def tutor_intro_video_remove(*, profile: TutorProfile, actor: Membership, request=None):
    """Remove the tutor's uploaded introduction video (the link, if any, stays)."""
    profile = TutorProfile.objects.select_for_update(of=("self",)).get(pk=profile.pk)
    actor = _require_tutor_of(actor, profile)
    old = Document.objects.filter(pk=profile.intro_video_id).first()
    if old is None:
        return profile
    profile.intro_video = None
    profile.save(update_fields=["intro_video", "updated_at"])
    document_delete(old)
    audit_record(
        action="crm.tutor_profile.intro_video_removed",
        actor=actor.user,
        tenant=actor.tenant,
        target=profile,
        data={"document": old.pk},
        request=request,
    )
    return profile
