"""Celery application. Tasks carry the schema they were queued in and run inside it.

The process that starts a worker names its settings (``config.devserver`` and the
deployment set ``DJANGO_SETTINGS_MODULE``). No default is set here: ``config`` imports
this module, so a default set at import would win over the one chosen afterwards by
``manage.py``, ``config.wsgi`` (production) and pytest (test settings).
"""

from tenant_schemas_celery.app import CeleryApp


def _installed_apps() -> list[str]:
    from django.apps import apps

    return [config.name for config in apps.get_app_configs()]


app = CeleryApp("educonnect")
# Shared tasks resolve to the default app in threads other than the importing one (a
# threaded web server, the test live server); a library may have made its own first.
app.set_default()
app.config_from_object("django.conf:settings", namespace="CELERY")
# Named here rather than left to Celery's Django fixup, which only exists when the
# settings module was chosen before this import (a worker run by pytest has none).
app.autodiscover_tasks(_installed_apps)
