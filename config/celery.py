"""Celery application. Tasks carry the schema they were queued in and run inside it.

The process that starts a worker names its settings (``config.devserver`` and the
deployment set ``DJANGO_SETTINGS_MODULE``). No default is set here: ``config`` imports
this module, so a default set at import would win over the one chosen afterwards by
``manage.py``, ``config.wsgi`` (production) and pytest (test settings).
"""

from tenant_schemas_celery.app import CeleryApp

app = CeleryApp("educonnect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
