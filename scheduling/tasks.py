"""Celery tasks of the scheduling domain (imported here so the worker registers them)."""

from scheduling.calendars.tasks import *  # noqa: F403
from scheduling.jobs_bookings import *  # noqa: F403
from scheduling.jobs_reminders import *  # noqa: F403
