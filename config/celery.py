"""Celery application. Tasks carry the schema they were queued in and run inside it."""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")

app = CeleryApp("educonnect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
