"""Keeping the recording links a provider reports for a session's meeting.

A link is kept only where the agency turned recordings on (``MeetingSettings.
recordings_enabled``) and a consent to record the session is in force (not withdrawn).
Otherwise nothing is stored: the recording stays in the host's provider account only.
Only what identifies and plays a file is kept; download URLs and download tokens (which
grant access to the file) never are.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from meetings.models import Meeting, MeetingSettings, Recording, RecordingConsent

__all__ = ["recording_consent_in_force", "recordings_store"]

logger = logging.getLogger(__name__)
URL_LIMIT = 1000


def recording_consent_in_force(session_id: int) -> bool:
    """Whether a consent to record the session is given and not withdrawn."""
    consents = RecordingConsent.objects.filter(session_id=session_id, withdrawn_at__isnull=True)
    return consents.exists()


def _when(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _play_url(value: Any) -> str:
    url = str(value or "").strip()
    if not url.startswith("https://") or len(url) > URL_LIMIT:
        return ""
    return url


def _size(value: Any) -> int | None:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return None
    return size if size >= 0 else None


def recordings_store(*, meeting: Meeting, files: Iterable[dict[str, Any]]) -> int:
    """Store the reported recording ``files`` of ``meeting`` if allowed; return how many
    new ones were stored. Reporting the same file again changes nothing."""
    if not MeetingSettings.current().recordings_enabled:
        logger.info("Recording of meeting %s not kept: recordings are off.", meeting.pk)
        return 0
    if not recording_consent_in_force(meeting.session_id):
        logger.info("Recording of meeting %s not kept: no consent in force.", meeting.pk)
        return 0
    stored = 0
    for item in files:
        if not isinstance(item, dict) or not _text(item.get("id"), 100):
            continue
        try:
            with transaction.atomic():
                _, created = Recording.objects.get_or_create(
                    meeting=meeting,
                    external_id=_text(item.get("id"), 100),
                    defaults={
                        "recording_type": _text(item.get("recording_type"), 60),
                        "file_type": _text(item.get("file_type"), 20),
                        "file_size": _size(item.get("file_size")),
                        "play_url": _play_url(item.get("play_url")),
                        "started_at": _when(item.get("recording_start")),
                        "ended_at": _when(item.get("recording_end")),
                    },
                )
        except IntegrityError:
            created = False  # stored by a concurrent delivery of the same event
        stored += int(created)
    return stored
