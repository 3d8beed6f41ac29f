"""Celery tasks of the Zoom integration: applying a webhook event inside its tenant.

The webhook endpoint queues ``zoom_event_process`` within the tenant the meeting belongs
to (tenant-schemas-celery carries the schema). Each event is applied once whatever how
often it is delivered (see ``meetings.zoom.events``), so running it twice is harmless.
"""

from __future__ import annotations

from celery import shared_task

from meetings.zoom.events import event_apply

__all__ = ["zoom_event_process"]


@shared_task(acks_late=True)
def zoom_event_process(event: str, data: dict, event_ts: int | None = None) -> str:
    return event_apply(event=event, data=data, event_ts=event_ts)
