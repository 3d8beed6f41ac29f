"""Keeping the public listing index current: every change that shows on the marketplace
queues a refresh of the tutor's listing after the commit (see ``listings.indexing``).

Receivers fire in every schema: in the public one, in the template while it is migrated,
in tenants being provisioned or seeded. They do nothing unless the current schema is a
tenant on the marketplace (known from ``connection.tenant``, usually without a query),
and then only register an after-commit callback; one task per tutor does the work.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django_tenants.utils import get_public_schema_name, schema_context

from listings.indexing import tenant_is_listed, tutor_refresh_later
from tenants.models import Tenant

# Fields of a user that the marketplace shows (the name) or uses (the zone of windows).
USER_FIELDS = ("first_name", "last_name", "time_zone")


def _listed_here() -> bool:
    """Whether the current schema is a tenant on the marketplace."""
    tenant = getattr(connection, "tenant", None)
    if not (isinstance(tenant, Tenant) and tenant.pk is not None):
        # Entered by schema name (``schema_context``): look the tenant up, unless the
        # schema is one no tenant owns (public, the template being migrated).
        schema = connection.schema_name
        if schema in (get_public_schema_name(), settings.TENANT_BASE_SCHEMA):
            return False
        tenant = Tenant.objects.filter(schema_name=schema).first()
        if tenant is None:
            return False
    return tenant_is_listed(tenant)


def _refresh(profile_id: int | None) -> None:
    if profile_id is not None:
        tutor_refresh_later(profile_id)


def _queue_in_public(task, *args) -> None:
    """After the commit, queue ``task`` to run in the public schema."""

    def queue() -> None:
        with schema_context(get_public_schema_name()):
            task.delay(*args)

    transaction.on_commit(queue, robust=True)


# Tenant models -----------------------------------------------------------------------------


def _tutor_of(attribute: str):
    def receiver(sender, instance, raw: bool = False, **kwargs) -> None:
        if raw or not _listed_here():
            return
        _refresh(getattr(instance, attribute))

    return receiver


def _package_changed(sender, instance, raw: bool = False, **kwargs) -> None:
    from marketplace.models import Gig

    if raw or not _listed_here():
        return
    _refresh(Gig.objects.filter(pk=instance.gig_id).values_list("tutor_id", flat=True).first())


def _subject_changed(sender, instance, created: bool = False, raw: bool = False, **kwargs):
    """A renamed subject shows in every gig and tutor listing that has it."""
    from crm.models import TutorSubject
    from marketplace.models import Gig

    if created or raw or not _listed_here():
        return
    teaching = TutorSubject.objects.filter(subject_id=instance.pk).values_list("profile_id")
    offering = Gig.objects.filter(subject_id=instance.pk).values_list("tutor_id")
    for (profile_id,) in set(teaching) | set(offering):
        _refresh(profile_id)


def session_changed_receiver(sender, session, change: str, **kwargs) -> None:
    """``scheduling.signals.session_changed`` (after commit): a booking takes free time."""
    if _listed_here():
        _refresh(session.tutor_id)


# Public models -----------------------------------------------------------------------------


def _remember(model, fields: tuple[str, ...]):
    """A pre_save receiver keeping the stored values of ``fields`` on the instance."""

    def receiver(sender, instance, raw: bool = False, update_fields=None, **kwargs) -> None:
        if raw or instance.pk is None:
            return
        if update_fields is not None and not set(update_fields) & set(fields):
            return
        instance._listings_before = (
            model.objects.filter(pk=instance.pk).values_list(*fields).first()
        )

    return receiver


def _changed(instance, fields: tuple[str, ...]) -> bool:
    before = instance.__dict__.pop("_listings_before", None)
    return before is not None and before != tuple(getattr(instance, name) for name in fields)


TENANT_FIELDS = ("is_active", "marketplace_listed")
MEMBERSHIP_FIELDS = ("is_active", "role")


def _tenant_saved(sender, instance: Tenant, created: bool, raw: bool = False, **kwargs) -> None:
    from listings.tasks import tenant_refresh_task

    if not created and not raw and _changed(instance, TENANT_FIELDS):
        _queue_in_public(tenant_refresh_task, instance.pk)


def _membership_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    from listings.tasks import member_refresh_task

    if not created and not raw and _changed(instance, MEMBERSHIP_FIELDS):
        _queue_in_public(member_refresh_task, instance.tenant_id, instance.user_id)


def _membership_deleted(sender, instance, **kwargs) -> None:
    from listings.models import TutorListing
    from listings.tasks import member_refresh_task

    if TutorListing.objects.filter(tenant_id=instance.tenant_id, user_id=instance.user_id).exists():
        _queue_in_public(member_refresh_task, instance.tenant_id, instance.user_id)


def _user_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    from listings.models import TutorListing
    from listings.tasks import user_refresh_task

    if created or raw or not _changed(instance, USER_FIELDS):
        return
    if TutorListing.objects.filter(user_id=instance.pk).exists():
        _queue_in_public(user_refresh_task, instance.pk)


def connect() -> None:
    """Connect the receivers (called once, from ``MarketplaceConfig.ready``)."""
    from accounts.models import Membership, User
    from crm.models import Subject, TutorProfile, TutorSubject
    from marketplace.models import Gig, GigPackage, Review
    from scheduling.models import AvailabilityException, AvailabilityRule, TutorSchedule
    from scheduling.signals import session_changed

    by_tutor = [
        (Gig, "tutor_id"),
        (Review, "tutor_id"),
        (TutorProfile, "pk"),
        (TutorSubject, "profile_id"),
        (AvailabilityRule, "tutor_id"),
        (AvailabilityException, "tutor_id"),
        (TutorSchedule, "tutor_id"),
    ]
    for model, attribute in by_tutor:
        receiver = _tutor_of(attribute)
        uid = f"marketplace.listing.{model._meta.label_lower}"
        post_save.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}.save")
        post_delete.connect(receiver, sender=model, weak=False, dispatch_uid=f"{uid}.delete")
    post_save.connect(_package_changed, sender=GigPackage, dispatch_uid="marketplace.package.save")
    post_delete.connect(
        _package_changed, sender=GigPackage, dispatch_uid="marketplace.package.delete"
    )
    post_save.connect(_subject_changed, sender=Subject, dispatch_uid="marketplace.subject.save")
    session_changed.connect(session_changed_receiver, dispatch_uid="marketplace.session_changed")

    pre_save.connect(
        _remember(Tenant, TENANT_FIELDS),
        sender=Tenant,
        weak=False,
        dispatch_uid="marketplace.tenant.pre",
    )
    post_save.connect(_tenant_saved, sender=Tenant, dispatch_uid="marketplace.tenant.save")
    pre_save.connect(
        _remember(Membership, MEMBERSHIP_FIELDS),
        sender=Membership,
        weak=False,
        dispatch_uid="marketplace.membership.pre",
    )
    post_save.connect(
        _membership_saved, sender=Membership, dispatch_uid="marketplace.membership.save"
    )
    post_delete.connect(
        _membership_deleted, sender=Membership, dispatch_uid="marketplace.membership.delete"
    )
    pre_save.connect(
        _remember(User, USER_FIELDS), sender=User, weak=False, dispatch_uid="marketplace.user.pre"
    )
    post_save.connect(_user_saved, sender=User, dispatch_uid="marketplace.user.save")
