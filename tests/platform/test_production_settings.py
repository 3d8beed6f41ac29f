"""Production settings: deploy checks pass, and missing secrets stop the process early."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings

from config.env import ROOT_DIR

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_ALLOWED_HOSTS": "educonnect.example,.educonnect.example",
    "ROOT_DOMAIN": "educonnect.example",
    # Nothing listens there: checks and start-up must not need the servers.
    "DATABASE_URL": "postgres://educonnect:secret@db.invalid:5432/educonnect",
    "REDIS_URL": "redis://cache.invalid:6379/0",
}


def _run(args: list[str], **environment: str | None) -> subprocess.CompletedProcess:
    """Run Python in a clean environment: only PATH, HOME and what the test names."""
    env = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    env |= {"DJANGO_SECRET_KEY": secrets.token_urlsafe(64), **PRODUCTION_ENV}
    env |= environment
    env = {name: value for name, value in env.items() if value is not None}
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=ROOT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


_PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "module": s.SETTINGS_MODULE,
    "debug": s.DEBUG,
    "outbox_page": s.OUTBOX_PAGE_ENABLED,
    "email_backend": s.EMAIL_BACKEND,
    "site_scheme": s.SITE_SCHEME,
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "hsts": s.SECURE_HSTS_SECONDS,
    "secure_cookies": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "renderers": s.REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"],
}))
"""


def test_the_deploy_checks_find_no_issues_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_settings_are_safe():
    result = _run(["-c", _PRINT_SETTINGS])
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "module": "config.settings.production",
        "debug": False,
        "outbox_page": False,
        "email_backend": "django.core.mail.backends.smtp.EmailBackend",
        "site_scheme": "https",
        "ssl_redirect": True,
        "hsts": 31536000,
        "secure_cookies": [True, True],
        "renderers": ["rest_framework.renderers.JSONRenderer"],
    }


def test_the_web_entry_point_runs_production_settings_unless_told_otherwise():
    """Importing ``config`` (and with it Celery) must not pick development settings."""
    script = "import config.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE)"
    result = _run(["-c", script], DJANGO_SETTINGS_MODULE=None)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "config.settings.production"


def test_this_test_suite_runs_on_the_test_settings(django_db_setup):
    assert settings.SETTINGS_MODULE == "config.settings.test"
    expected = os.environ.get("TEST_DATABASE_NAME", "test_educonnect")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:  # pytest-django gives each parallel worker a database of its own
        expected = f"{expected}_{worker}"
    assert settings.DATABASES["default"]["TEST"]["NAME"] == expected


@pytest.mark.parametrize(
    ("secret", "why"),
    [
        (None, "missing"),
        ("", "empty"),
        ("too-short-0123456789", "short"),
        ("development-only-secret-key-change-me-0123456789-0123456789", "the development key"),
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(secret, why):
    result = _run(["-c", "import config.settings.production"], DJANGO_SECRET_KEY=secret)
    assert result.returncode != 0, why
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize("missing", ["DATABASE_URL", "REDIS_URL"])
def test_production_refuses_to_fall_back_to_the_embedded_servers(missing):
    result = _run(["-c", "import config.settings.production"], **{missing: None})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


@pytest.mark.parametrize("domain", [None, "localhost", "acme.localhost"])
def test_production_refuses_a_development_root_domain(domain):
    result = _run(["-c", "import config.settings.production"], ROOT_DOMAIN=domain)
    assert result.returncode != 0
    assert "ROOT_DOMAIN" in result.stderr


def test_manage_py_with_production_settings_never_starts_the_embedded_servers():
    result = _run(["manage.py", "check"], DATABASE_URL=None, REDIS_URL=None)
    assert result.returncode != 0
    assert "DATABASE_URL and REDIS_URL must name the production servers" in result.stderr
