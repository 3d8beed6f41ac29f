"""Signals of the scheduling domain.

``session_changed`` is sent, after the transaction commits, whenever a session is created,
confirmed, moved, cancelled, declined, expired or completed; receivers (calendar sync,
meetings, billing) act on it. Keyword arguments: ``session`` (the saved ``Session``) and
``change``: one of ``SESSION_CHANGES``.
"""

from __future__ import annotations

import django.dispatch

from tenants.transactions import on_commit_in_tenant

__all__ = ["SESSION_CHANGES", "session_changed", "session_changed_on_commit"]

SESSION_CHANGES = (
    "requested",
    "confirmed",
    "declined",
    "expired",
    "moved",
    "cancelled",
    "completed",
    "no_show",
    "updated",
)

session_changed = django.dispatch.Signal()


def session_changed_on_commit(session, change: str) -> None:
    """Send ``session_changed`` once the current transaction commits (now if none)."""
    if change not in SESSION_CHANGES:
        raise ValueError(f"Unknown session change {change!r}")
    # In the session's tenant even when the commit comes after the code left it (the
    # demo seed, a webhook handled from the public schema).
    on_commit_in_tenant(
        lambda: session_changed.send(sender=type(session), session=session, change=change),
        robust=True,
    )
