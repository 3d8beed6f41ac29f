"""What platform staff read to verify marketplace tutors: the queue, one tutor, a document.

Staff work from the root domain, whose connection reads the public schema only; the
tutors, their credentials and files live in the marketplace's schema. Every read here
therefore runs inside ``tenant_context(marketplace)`` and hands back loaded rows, never a
lazy queryset that would later be evaluated against the wrong schema. Anyone who is not
platform staff reads nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django_tenants.utils import tenant_context

from accounts.models import User
from audit.models import AuditEntry
from crm.models import Credential, Document, TutorProfile, VerificationStatus
from tenants.models import Tenant
from tenants.selectors import marketplace_tenant

__all__ = [
    "MarketplaceRows",
    "TutorVerification",
    "VerificationDecision",
    "verification_credential_get",
    "verification_document_get",
    "verification_queue",
    "verification_tutor_get",
]

SEARCH_MAX = 100
SEARCH_WORDS = 5
CREDENTIAL_REVIEWED = "crm.credential.reviewed"
TUTOR_REVIEWED = "crm.tutor_profile.reviewed"
HISTORY_MAX = 200


def _is_staff(viewer: User | None) -> bool:
    return bool(viewer and viewer.is_authenticated and viewer.is_platform_staff)


def _marketplace_for(viewer: User | None) -> Tenant | None:
    return marketplace_tenant() if _is_staff(viewer) else None


class MarketplaceRows(Sequence):
    """A queryset of the marketplace's schema, counted and sliced there.

    Paginators only ask for the count and a slice, so they can page through it from the
    root domain; each answer is read inside the marketplace's schema.
    """

    def __init__(self, queryset: QuerySet, tenant: Tenant | None) -> None:
        self.queryset = queryset if tenant is not None else queryset.none()
        self.tenant = tenant

    def count(self) -> int:
        if self.tenant is None:
            return 0
        with tenant_context(self.tenant):
            return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if self.tenant is None:
            return [] if isinstance(index, slice) else [][index]
        with tenant_context(self.tenant):
            if isinstance(index, slice):
                return list(self.queryset[index])
            return self.queryset[index]


def _search(profiles: QuerySet, search: str) -> QuerySet:
    for word in search.strip()[:SEARCH_MAX].split()[:SEARCH_WORDS]:
        profiles = profiles.filter(
            Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(user__email__icontains=word)
            | Q(invited_first_name__icontains=word)
            | Q(invited_last_name__icontains=word)
            | Q(invited_email__icontains=word)
        )
    return profiles


def _with_counts(profiles: QuerySet) -> QuerySet:
    pending = Q(credentials__status=VerificationStatus.PENDING)
    identity = Credential.objects.filter(
        profile=OuterRef("pk"),
        kind=Credential.Kind.IDENTITY,
        status=VerificationStatus.VERIFIED,
    )
    return profiles.annotate(
        credential_count=Count("credentials"),
        pending_credentials=Count("credentials", filter=pending),
        identity_verified=Exists(identity),
    )


def verification_queue(
    *, viewer: User | None, status: str = "", search: str = ""
) -> MarketplaceRows:
    """Marketplace tutors to verify: undecided ones first, then those with credentials
    waiting, oldest first within each; filtered by status and name or email words.

    Each row is a ``TutorProfile`` with its user and ``credential_count``,
    ``pending_credentials`` and ``identity_verified``.
    """
    profiles = _with_counts(TutorProfile.objects.select_related("user"))
    if status:
        profiles = profiles.filter(verification_status=status)
    if search:
        profiles = _search(profiles, search)
    profiles = profiles.annotate(
        waiting=Case(
            When(verification_status=VerificationStatus.PENDING, then=Value(0)),
            When(pending_credentials__gt=0, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("waiting", "created_at", "id")
    return MarketplaceRows(profiles, _marketplace_for(viewer))


@dataclass(frozen=True)
class VerificationDecision:
    """One decision from the audit log, about the tutor or one of their credentials."""

    at: dt.datetime
    reviewer: User | None
    status: str
    reason: str
    credential: Credential | None = None
    # ``revoked``: the badge (or a credential) taken back after it was granted.
    revoked: bool = False

    @property
    def label(self) -> str:
        if self.revoked:
            return "Revoked"
        return VerificationStatus(self.status).label if self.status else "Unknown"


@dataclass
class TutorVerification:
    profile: TutorProfile
    credentials: list[Credential] = field(default_factory=list)
    history: list[VerificationDecision] = field(default_factory=list)

    @property
    def identity_verified(self) -> bool:
        return any(
            c.kind == Credential.Kind.IDENTITY and c.status == VerificationStatus.VERIFIED
            for c in self.credentials
        )

    @property
    def pending_credentials(self) -> int:
        return sum(c.status == VerificationStatus.PENDING for c in self.credentials)


def _history(
    tenant: Tenant, profile: TutorProfile, credentials: list[Credential]
) -> list[VerificationDecision]:
    """Decisions on the tutor and their current credentials, newest first.

    Audit entries name their target by model and id, and ids repeat across schemas, so
    only the marketplace's entries are read.
    """
    by_id = {str(c.pk): c for c in credentials}
    entries = (
        AuditEntry.objects.filter(tenant=tenant)
        .filter(
            Q(action=TUTOR_REVIEWED, target_type="crm.tutorprofile", target_id=str(profile.pk))
            | Q(action=CREDENTIAL_REVIEWED, target_type="crm.credential", target_id__in=by_id)
        )
        .select_related("actor")
        .order_by("created_at", "id")[:HISTORY_MAX]
    )
    last: dict[tuple[str, str], str] = {}
    decisions = []
    for entry in entries:
        status = str(entry.data.get("status", ""))
        key = (entry.target_type, entry.target_id)
        about = by_id.get(entry.target_id) if entry.action == CREDENTIAL_REVIEWED else None
        decisions.append(
            VerificationDecision(
                at=entry.created_at,
                reviewer=entry.actor,
                status=status,
                reason=str(entry.data.get("reason", "")),
                credential=about,
                revoked=last.get(key) == VerificationStatus.VERIFIED
                and status == VerificationStatus.REJECTED,
            )
        )
        last[key] = status
    decisions.reverse()
    return decisions


def verification_tutor_get(*, viewer: User | None, profile_id: int) -> TutorVerification | None:
    """One marketplace tutor with their subjects, credentials (and files) and the history
    of decisions; None for an unknown id or a viewer who is not platform staff."""
    tenant = _marketplace_for(viewer)
    if tenant is None:
        return None
    with tenant_context(tenant):
        profile = (
            TutorProfile.objects.select_related("user", "verification_reviewed_by")
            .prefetch_related("subjects__subject")
            .filter(pk=profile_id)
            .first()
        )
        if profile is None:
            return None
        credentials = list(
            Credential.objects.filter(profile=profile).select_related("document", "reviewed_by")
        )
        return TutorVerification(
            profile=profile,
            credentials=credentials,
            history=_history(tenant, profile, credentials),
        )


def verification_credential_get(*, viewer: User | None, credential_id: int) -> Credential | None:
    """One marketplace credential with its file and reviewer, for platform staff."""
    tenant = _marketplace_for(viewer)
    if tenant is None:
        return None
    with tenant_context(tenant):
        return (
            Credential.objects.select_related("profile__user", "document", "reviewed_by")
            .filter(pk=credential_id)
            .first()
        )


def verification_document_get(*, viewer: User | None, document_id: int) -> Document | None:
    """A marketplace tutor's credential file, for platform staff; None otherwise.

    Only credential files: staff verify documents, they do not browse students' work.
    """
    tenant = _marketplace_for(viewer)
    if tenant is None:
        return None
    with tenant_context(tenant):
        return (
            Document.objects.filter(
                pk=document_id, purpose=Document.Purpose.CREDENTIAL, credential__isnull=False
            )
            .select_related("credential")
            .first()
        )
