"""The booking policy in force for a tutor: the tenant's defaults and the tutor's overrides."""

from __future__ import annotations

from dataclasses import dataclass

from crm.models import TutorProfile
from scheduling.models import SchedulingSettings, TutorSchedule

__all__ = ["Policy", "policy_for", "schedule_for"]

OVERRIDABLE = (
    "free_cancellation_hours",
    "late_cancellation_fee_percent",
    "no_show_fee_percent",
    "max_reschedules",
)


@dataclass(frozen=True)
class Policy:
    request_expiry_hours: int
    free_cancellation_hours: int
    late_cancellation_fee_percent: int
    no_show_fee_percent: int
    max_reschedules: int
    # Which fields came from the tutor rather than the tenant (shown to the student).
    overridden: frozenset[str]


def schedule_for(tutor: TutorProfile) -> TutorSchedule:
    """The tutor's schedule settings, created with the defaults on first use.

    Read from the database each time: a row cached on the profile may have been created in
    a transaction that has since rolled back, or changed by someone else.
    """
    schedule, _ = TutorSchedule.objects.get_or_create(tutor=tutor)
    schedule.tutor = tutor
    return schedule


def policy_for(tutor: TutorProfile) -> Policy:
    tenant_settings = SchedulingSettings.current()
    schedule = schedule_for(tutor)
    values = {}
    overridden = set()
    for field in OVERRIDABLE:
        own = getattr(schedule, field)
        if own is not None:
            overridden.add(field)
        values[field] = own if own is not None else getattr(tenant_settings, field)
    return Policy(
        request_expiry_hours=tenant_settings.request_expiry_hours,
        overridden=frozenset(overridden),
        **values,
    )
