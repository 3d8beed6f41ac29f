"""Pytest plugin: start the embedded PostgreSQL and Valkey before Django loads settings.

Loaded with ``-p`` (see pyproject.toml) so it runs before pytest-django configures
Django. Servers this session started are stopped when it ends; servers that were
already running (a developer's ``make run``) are left alone.
"""

from __future__ import annotations

import os

from config import embedded, env

_started: list[str] = []

if env.uses_embedded_services() and not os.environ.get("PYTEST_XDIST_WORKER"):
    _started = embedded.ensure_started()


def pytest_unconfigure(config) -> None:
    if _started and not os.environ.get("PYTEST_XDIST_WORKER"):
        embedded.stop(postgres="postgres" in _started, valkey="valkey" in _started)
