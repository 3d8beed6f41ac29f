"""What the meetings domain does when a session changes: queue a sync of its meeting.

The receiver only queues; ``meetings.services.lifecycle.meeting_sync`` decides what the
meeting needs from the session as it is when the task runs.
"""

from __future__ import annotations

from meetings.models import Meeting
from meetings.services.lifecycle import meeting_sync_queue
from scheduling.models import Session

__all__ = ["session_changed_receiver"]

# A confirmed session needs its meeting made or moved.
SYNC_CHANGES = frozenset({"confirmed", "moved"})
# A released one has its meeting, if any, removed.
REMOVE_CHANGES = frozenset({"cancelled", "declined", "expired"})


def session_changed_receiver(sender, session: Session, change: str, **kwargs) -> None:
    """``scheduling.signals.session_changed`` (sent after commit)."""
    if change in SYNC_CHANGES:
        if session.status == Session.Status.CONFIRMED or _has_meeting(session):
            meeting_sync_queue(session)
    elif change in REMOVE_CHANGES and _has_meeting(session):
        meeting_sync_queue(session)


def _has_meeting(session: Session) -> bool:
    return Meeting.objects.filter(session_id=session.pk).exists()
