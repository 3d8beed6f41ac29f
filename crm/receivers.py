"""Linking accounts to the crm records made before the person had one."""

from __future__ import annotations

from django.dispatch import receiver
from django_tenants.utils import schema_context

from accounts.models import Membership
from accounts.signals import invitation_accepted
from crm.models import ParentLink, StudentProfile, TutorProfile

Role = Membership.Role


@receiver(invitation_accepted, dispatch_uid="crm.link_invited_person")
def link_invited_person(sender, *, invitation, membership, **kwargs) -> None:
    """Attach the new member's account to the profile recorded for their address.

    Only records for the role they were invited as are linked: a parent invitation never
    makes someone the student. The invitation reached that inbox, which proves the address.
    """
    user = membership.user
    with schema_context(invitation.tenant.schema_name):
        if membership.role == Role.STUDENT:
            if not StudentProfile.objects.filter(user=user).exists():
                StudentProfile.objects.filter(
                    user__isnull=True, email__iexact=invitation.email
                ).update(user=user)
        elif membership.role == Role.PARENT:
            ParentLink.objects.filter(parent__isnull=True, email__iexact=invitation.email).update(
                parent=user
            )
        elif membership.role == Role.TUTOR and not TutorProfile.objects.filter(user=user).exists():
            TutorProfile.objects.filter(
                user__isnull=True, invited_email__iexact=invitation.email
            ).update(user=user)
