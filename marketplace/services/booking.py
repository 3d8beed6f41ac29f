"""Booking a gig from the marketplace (root domain) into the tenant that owns it.

The person browsing the marketplace is a global ``User``; the gig lives in a tenant where
they may not be anyone yet. ``gig_book`` does, in one transaction inside that tenant,
what an agency would otherwise do by hand: make them a member (a student booking for
themself, a parent booking for a child), record the student (and for a child the parent
link and, under 13, the parent's consent given online), then books through the ordinary
scheduling services at the gig's price. Any refusal, a slot taken meanwhile included,
leaves nothing behind: no membership, no profile, no session.

The index in the public schema may lag behind the tenant, so whether the gig is still
published and its tenant still listed is checked again in the tenant itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import get_urlconf, reverse, set_urlconf
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from accounts.services.memberships import membership_create
from audit.services import audit_record
from config.errors import ApplicationError
from crm.minors import (
    ADULT_AGE,
    CONSENT_AGE,
    age_on,
    consent_in_force,
    consent_statement,
    tenant_today,
)
from crm.models import ParentLink, StudentProfile
from crm.services.students import consent_give, student_fields_validate
from listings.indexing import tenant_is_listed
from listings.models import Listing
from marketplace.models import Gig, GigBooking, GigPackage
from scheduling.models import Session, SessionSeries
from scheduling.services.bookings import MESSAGE_LIMIT, session_request
from scheduling.services.series import series_create
from tenants.models import Tenant

__all__ = ["BookingResult", "gig_book", "package_session_price"]

Role = Membership.Role
FOR_ME, FOR_CHILD = "me", "child"
# Where the scheduling services' field errors land in this service's input.
FIELD_FOR = {"first_starts_at": "starts_at"}
TENANT_URLCONF = settings.ROOT_URLCONF
ADULTS_ONLY = (
    "You must be 18 or over to book for yourself; a parent or guardian books for anyone younger."
)
CONSENT_NEEDED = (
    "A child under 13 needs your consent as their parent or guardian: tick the box to agree "
    "to the statement."
)


@dataclass(frozen=True)
class BookingResult:
    tenant: Tenant
    membership: Membership
    sessions: list[Session]
    # The (first) session's page on the tenant's host, as a path and as a full link.
    path: str
    url: str

    @property
    def session(self) -> Session:
        return self.sessions[0]


def package_session_price(package_price_minor: int, sessions: int) -> int:
    """A package's price per session: the total shared out, rounded half up."""
    share = Decimal(package_price_minor) / sessions
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _unavailable() -> ApplicationError:
    return ApplicationError(
        "This offer is no longer available on the marketplace.",
        code="gig_unavailable",
        status=409,
    )


# Checking the input ------------------------------------------------------------------------


@dataclass
class _Student:
    kind: str
    first_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date | None = None
    consent: bool = False


def _student_parse(errors: dict, student: Any) -> _Student | None:
    """The shape of ``student`` (what can be checked without the tenant's calendar)."""
    if not isinstance(student, dict) or student.get("for") not in (FOR_ME, FOR_CHILD):
        errors["student.for"] = ['Choose "me" or "child".']
        return None
    kind = student["for"]
    fields: dict[str, Any] = {}
    if kind == FOR_CHILD:
        fields = {
            "first_name": student.get("first_name", ""),
            "last_name": student.get("last_name", ""),
            "date_of_birth": student.get("date_of_birth"),
        }
        if fields["date_of_birth"] in (None, ""):
            errors["student.date_of_birth"] = ["Enter your child's date of birth."]
            del fields["date_of_birth"]
    elif student.get("date_of_birth") not in (None, ""):
        fields["date_of_birth"] = student["date_of_birth"]
    found: dict[str, list[str]] = {}
    cleaned = student_fields_validate(found, fields)
    for field, messages in found.items():
        errors[f"student.{field}"] = messages
    consent = student.get("consent", False)
    if not isinstance(consent, bool):
        errors["student.consent"] = ["Answer true or false."]
        consent = False
    return _Student(
        kind=kind,
        first_name=cleaned.get("first_name", ""),
        last_name=cleaned.get("last_name", ""),
        date_of_birth=cleaned.get("date_of_birth") if "date_of_birth" not in found else None,
        consent=consent,
    )


def _input_check(errors: dict, *, starts_at: Any, package_sessions: Any, message: Any) -> None:
    if not isinstance(starts_at, dt.datetime):
        errors["starts_at"] = ["Enter a date and time."]
    elif timezone.is_naive(starts_at):
        errors["starts_at"] = ["Include a time zone offset, as in 2030-03-01T09:00:00+00:00."]
    if package_sessions is not None and (
        isinstance(package_sessions, bool) or not isinstance(package_sessions, int)
    ):
        errors["package_sessions"] = ["Enter a number of sessions."]
    if not isinstance(message, str):
        errors["message"] = ["Enter text."]
    elif len(message.strip()) > MESSAGE_LIMIT:
        errors["message"] = [f"Use at most {MESSAGE_LIMIT} characters."]


# Inside the tenant -------------------------------------------------------------------------


def _gig_locked(listing: Listing) -> tuple[Tenant, Gig]:
    """The tenant and the gig behind ``listing``, still on offer (else a 409).

    The gig row is locked (no key) so a pause waits for this booking, not the other way.
    """
    tenant = Tenant.objects.prefetch_related("domains").get(pk=listing.tenant_id)
    gig = (
        Gig.objects.select_for_update(no_key=True, of=("self",))
        .select_related("tutor__user", "subject")
        .filter(pk=listing.gig_id)
        .first()
    )
    if gig is None or not gig.is_published or not tenant_is_listed(tenant):
        raise _unavailable()
    tutor_active = (
        gig.tutor.user_id is not None
        and Membership.objects.filter(
            tenant=tenant, user_id=gig.tutor.user_id, role=Role.TUTOR, is_active=True
        ).exists()
    )
    if not tutor_active or not gig.subject.is_active:
        raise _unavailable()
    return tenant, gig


def _package(errors: dict, gig: Gig, sessions: int | None) -> GigPackage | None:
    if sessions is None or "package_sessions" in errors:
        return None
    packages = list(gig.packages.all())
    package = next((p for p in packages if p.sessions == sessions), None)
    if package is None:
        offered = ", ".join(str(p.sessions) for p in packages)
        errors["package_sessions"] = [
            f"Choose one of this gig's packages: {offered} sessions."
            if offered
            else "This gig has no packages: book a single session."
        ]
    return package


def _membership_check(user: User, tenant: Tenant, role: str) -> Membership | None:
    """The user's membership in ``tenant`` if it is the role booking needs; refusals
    for another role (409) or a place the agency ended (403)."""
    existing = Membership.objects.select_for_update().filter(user=user, tenant=tenant).first()
    if existing is None:
        return None
    if not existing.is_active:
        raise ApplicationError(
            f"Your access to {tenant.name} was ended; ask them to restore it to book here.",
            code="membership_inactive",
            status=403,
        )
    if existing.role != role:
        raise ApplicationError(
            f"You are a {existing.get_role_display().lower()} here; book with another account.",
            code="role_conflict",
            status=409,
        )
    return existing


def _own_profile(user: User) -> StudentProfile | None:
    """The user's student record here: linked to them, or recorded by the agency at their
    (verified) address and not linked yet."""
    profile = StudentProfile.objects.select_for_update().filter(user=user).first()
    if profile is not None:
        return profile
    recorded = (
        StudentProfile.objects.select_for_update()
        .filter(user__isnull=True, email__iexact=user.email)
        .first()
    )
    if recorded is not None and not user.is_email_verified:
        raise ApplicationError(
            "Verify your email address before booking here.", code="email_unverified", status=409
        )
    return recorded


def _child_profile(user: User, child: _Student) -> StudentProfile | None:
    """A child already linked to this parent with the same name and date of birth."""
    return (
        StudentProfile.objects.select_for_update()
        .filter(
            parent_links__parent=user,
            first_name__iexact=child.first_name,
            last_name__iexact=child.last_name,
            date_of_birth=child.date_of_birth,
        )
        .first()
    )


def _student_check(
    errors: dict, *, student: _Student, own: StudentProfile | None, existing_child
) -> None:
    """The age rules: one books for themself from 18; a child is under 18 and, under 13,
    needs the parent's consent (unless one is already in force)."""
    today = tenant_today()
    if student.kind == FOR_ME:
        dob = own.date_of_birth if own is not None else student.date_of_birth
        if dob is None:
            errors.setdefault(
                "student.date_of_birth", ["Enter your date of birth: we record it with you."]
            )
        elif age_on(dob, today) < ADULT_AGE:
            key = "student.for" if own is not None else "student.date_of_birth"
            errors[key] = [ADULTS_ONLY]
        return
    if student.date_of_birth is None:
        return
    age = age_on(student.date_of_birth, today)
    if age >= ADULT_AGE:
        errors["student.date_of_birth"] = [
            "Your child must be under 18; someone 18 or over books for themself."
        ]
    elif age < CONSENT_AGE and not student.consent:
        given = existing_child is not None and consent_in_force(existing_child) is not None
        if not given:
            errors["student.consent"] = [CONSENT_NEEDED]


def _profile_create(**fields) -> StudentProfile:
    try:
        with transaction.atomic():
            return StudentProfile.objects.create(**fields)
    except IntegrityError as error:  # the address was recorded by someone else meanwhile
        raise ApplicationError(
            "A student with your email address is being recorded here right now; try again.",
            code="student_conflict",
            status=409,
        ) from error


def _student_ensure(
    *,
    user: User,
    membership: Membership,
    student: _Student,
    own: StudentProfile | None,
    existing_child: StudentProfile | None,
    request,
) -> tuple[StudentProfile, bool]:
    """The student to book for, recorded if new (True when it was)."""
    tenant = membership.tenant
    if student.kind == FOR_ME:
        if own is not None and own.user_id is None:
            own.user = user
            own.save(update_fields=["user", "updated_at"])
            _audit(user, tenant, "crm.student.linked", own, request, via="marketplace")
        if own is not None:
            return own, False
        profile = _profile_create(
            user=user,
            first_name=user.first_name,
            last_name=user.last_name,
            email=user.email,
            date_of_birth=student.date_of_birth,
            created_by=user,
        )
        _audit(user, tenant, "crm.student.created", profile, request, via="marketplace")
        return profile, True

    created = existing_child is None
    child = existing_child or _profile_create(
        first_name=student.first_name,
        last_name=student.last_name,
        date_of_birth=student.date_of_birth,
        created_by=user,
    )
    if created:
        _audit(user, tenant, "crm.student.created", child, request, via="marketplace")
        link = ParentLink.objects.create(
            student=child,
            parent=user,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            created_by=user,
        )
        _audit(
            user,
            tenant,
            "crm.parent_link.added",
            link,
            request,
            student=child.pk,
            email=link.email,
            linked=True,
        )
    under_13 = age_on(child.date_of_birth, tenant_today()) < CONSENT_AGE
    if under_13 and student.consent and consent_in_force(child) is None:
        consent_give(
            student=child,
            actor=membership,
            statement=consent_statement(child, tenant_name=tenant.name),
            request=request,
        )
    return child, created


def _audit(user: User, tenant: Tenant, action: str, target, request, **data) -> None:
    audit_record(
        action=action, actor=user, tenant=tenant, target=target, data=data, request=request
    )


def _book(
    *,
    membership: Membership,
    gig: Gig,
    package: GigPackage | None,
    profile: StudentProfile,
    starts_at: dt.datetime,
    message: str,
    request,
) -> tuple[list[Session], SessionSeries | None]:
    """Book through scheduling's own services, at the gig's (or package's) price."""
    common = {
        "actor": membership,
        "tutor": gig.tutor,
        "student": profile,
        "subject": gig.subject,
        "duration_minutes": gig.duration_minutes,
        "message": message,
        "level": gig.level,
        "request": request,
    }
    try:
        if package is None:
            session = session_request(
                **common, starts_at=starts_at, price=(gig.price_minor, gig.currency)
            )
            return [session], None
        per_session = package_session_price(package.price_minor, package.sessions)
        series = series_create(
            **common,
            first_starts_at=starts_at,
            frequency=SessionSeries.Frequency.WEEKLY,
            count=package.sessions,
            price=(per_session, gig.currency),
        )
    except ValidationError as error:
        if not hasattr(error, "error_dict"):
            raise
        found = error.message_dict
        raise ValidationError(
            {FIELD_FOR.get(field, field): messages for field, messages in found.items()}
        ) from error
    return list(series.sessions.order_by("starts_at", "id")), series


@contextlib.contextmanager
def _in_tenant(tenant: Tenant) -> Iterator[None]:
    """Work in ``tenant``'s schema with its URLs: a root-domain request resolves the public
    ones, and the services called here link to tenant pages."""
    previous = get_urlconf()
    set_urlconf(TENANT_URLCONF)
    try:
        with tenant_context(tenant):
            yield
    finally:
        set_urlconf(previous)


def _session_path(session: Session) -> str:
    return reverse("scheduling:session_detail", kwargs={"pk": session.pk}, urlconf=TENANT_URLCONF)


# The service -------------------------------------------------------------------------------


def gig_book(
    *,
    user: User,
    listing: Listing,
    starts_at: dt.datetime,
    package_sessions: int | None = None,
    message: str = "",
    student: dict,
    request=None,
) -> BookingResult:
    """Book ``listing``'s gig at ``starts_at`` for the user or their child, as one session or
    (``package_sessions``) the package's weekly sessions, in the gig's tenant.

    ``student`` is ``{"for": "me"}`` (with ``date_of_birth`` when the user has no student
    record there yet) or ``{"for": "child", "first_name", "last_name", "date_of_birth",
    "consent"}``; ``consent`` is the parent's agreement for a child under 13.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Sign in to book.")
    errors: dict[str, list[str]] = {}
    wanted = _student_parse(errors, student)
    _input_check(errors, starts_at=starts_at, package_sessions=package_sessions, message=message)
    role = Role.PARENT if wanted is not None and wanted.kind == FOR_CHILD else Role.STUDENT
    tenant = listing.tenant
    with _in_tenant(tenant), transaction.atomic():
        tenant, gig = _gig_locked(listing)
        package = _package(errors, gig, package_sessions)
        if errors:
            raise ValidationError(errors)
        existing = _membership_check(user, tenant, role)
        own = existing_child = None
        if wanted.kind == FOR_ME:
            own = _own_profile(user)
        elif wanted.date_of_birth is not None and "student.first_name" not in errors:
            existing_child = _child_profile(user, wanted)
        _student_check(errors, student=wanted, own=own, existing_child=existing_child)
        if errors:
            raise ValidationError(errors)
        found = own or existing_child
        if found is not None and not found.is_active:
            raise ApplicationError(
                f"{found.full_name}'s student record at {tenant.name} is archived; ask them "
                "to restore it to book here.",
                code="student_archived",
                status=409,
            )

        membership = existing or membership_create(user=user, tenant=tenant, role=role)
        if existing is None:
            _audit(user, tenant, "membership.created", membership, request, role=role)
        profile, profile_created = _student_ensure(
            user=user,
            membership=membership,
            student=wanted,
            own=own,
            existing_child=existing_child,
            request=request,
        )
        sessions, series = _book(
            membership=membership,
            gig=gig,
            package=package,
            profile=profile,
            starts_at=starts_at,
            message=message.strip(),
            request=request,
        )
        GigBooking.objects.bulk_create(
            GigBooking(session=session, gig=gig, package=package, booked_by=user)
            for session in sessions
        )
        _audit(
            user,
            tenant,
            "marketplace.booking.created",
            gig,
            request,
            listing=listing.pk,
            student=profile.pk,
            student_for=wanted.kind,
            membership_created=existing is None,
            student_created=profile_created,
            package_sessions=package.sessions if package else None,
            series=series.pk if series else None,
            sessions=[session.pk for session in sessions],
            price_minor=sessions[0].price_minor,
            currency=sessions[0].currency,
        )
        path = _session_path(sessions[0])
        return BookingResult(
            tenant=tenant,
            membership=membership,
            sessions=sessions,
            path=path,
            url=tenant.absolute_url(path),
        )
