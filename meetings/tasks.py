"""Celery tasks of the meetings domain (found here by autodiscovery)."""

from meetings.jobs_completion import *  # noqa: F403
from meetings.jobs_join import *  # noqa: F403
from meetings.jobs_lifecycle import *  # noqa: F403
from meetings.zoom.tasks import *  # noqa: F403
