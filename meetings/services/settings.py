"""The agency's meeting policy: which provider makes its rooms, the join window, who may
join besides the tutor and student, automatic confirmation and recordings.

Only owners and admins change it. A provider the platform has not configured (no Jitsi
secret, no Zoom app) cannot be switched to: every meeting made with it would fail.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Membership
from audit.services import audit_record
from crm.guards import require_manager
from crm.validation import UNSET
from meetings.models import MeetingSettings
from meetings.providers import provider_choices, provider_get

__all__ = ["BOOLEAN_FIELDS", "NUMBER_RANGES", "meeting_settings_update"]

# Inclusive ranges, as the model's check constraints have them.
NUMBER_RANGES = {
    "join_early_minutes": (0, 120),
    "join_grace_minutes": (0, 240),
    "auto_confirm_hours": (0, 24 * 14),
}
BOOLEAN_FIELDS = ("parents_may_join", "staff_may_observe", "recordings_enabled")


def _provider(errors: dict, value: Any, current: str) -> str:
    names = dict(provider_choices())
    if not isinstance(value, str) or value not in names:
        errors["provider"] = [f"Choose one of: {', '.join(names)}."]
        return ""
    # Keeping the provider in use is not a choice: the other settings can still be saved.
    if value != current and not provider_get(value).is_configured():
        errors["provider"] = [
            f"{names[value]} is not set up on this platform yet; choose another provider."
        ]
    return value


def _number(errors: dict, field: str, value: Any) -> int:
    low, high = NUMBER_RANGES[field]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = [f"Enter a whole number from {low} to {high}."]
        return 0
    return value


def _boolean(errors: dict, field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        errors[field] = ["Choose yes or no."]
    return bool(value)


@transaction.atomic
def meeting_settings_update(
    *,
    actor: Membership,
    provider: str = UNSET,
    join_early_minutes: int = UNSET,
    join_grace_minutes: int = UNSET,
    parents_may_join: bool = UNSET,
    staff_may_observe: bool = UNSET,
    auto_confirm_hours: int = UNSET,
    recordings_enabled: bool = UNSET,
    request=None,
) -> MeetingSettings:
    """Change the fields given (owners and admins); the others stay as they are."""
    actor = require_manager(actor)
    values = {
        "provider": provider,
        "join_early_minutes": join_early_minutes,
        "join_grace_minutes": join_grace_minutes,
        "parents_may_join": parents_may_join,
        "staff_may_observe": staff_may_observe,
        "auto_confirm_hours": auto_confirm_hours,
        "recordings_enabled": recordings_enabled,
    }
    MeetingSettings.current()
    row = MeetingSettings.objects.select_for_update().get(pk=1)
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for field, value in values.items():
        if value is UNSET:
            continue
        if field == "provider":
            changes[field] = _provider(errors, value, row.provider)
        elif field in NUMBER_RANGES:
            changes[field] = _number(errors, field, value)
        else:
            changes[field] = _boolean(errors, field, value)
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in changes.items() if getattr(row, field) != value]
    if changed:
        for field in changed:
            setattr(row, field, changes[field])
        row.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="meetings.settings.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=row,
            data={"changes": {field: changes[field] for field in sorted(changed)}},
            request=request,
        )
    return row
