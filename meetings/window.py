"""When a session's meeting may be entered: its join window."""

from __future__ import annotations

import datetime as dt

from meetings.models import MeetingSettings
from scheduling.models import Session

__all__ = ["join_window", "window_is_open"]


def join_window(
    session: Session, policy: MeetingSettings | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """[opens, closes]: ``join_early_minutes`` before the start to ``join_grace_minutes``
    after the end (the tenant's meeting settings)."""
    policy = policy or MeetingSettings.current()
    return (
        session.starts_at - dt.timedelta(minutes=policy.join_early_minutes),
        session.ends_at + dt.timedelta(minutes=policy.join_grace_minutes),
    )


def window_is_open(
    session: Session, now: dt.datetime, policy: MeetingSettings | None = None
) -> bool:
    opens, closes = join_window(session, policy)
    return opens <= now <= closes
