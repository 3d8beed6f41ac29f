"""The one place that reads the process environment.

Settings modules import the values from here; nothing else in the project calls
``os.environ``. When ``DATABASE_URL`` or ``REDIS_URL`` is missing, the embedded
servers in :mod:`config.embedded` stand in for them.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, *, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")


def database_settings() -> dict:
    """The default database: ``DATABASE_URL`` when set, else the embedded server."""
    import dj_database_url

    from config import embedded

    if DATABASE_URL:
        config = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    else:
        config = embedded.postgres_database_settings()
    config["ENGINE"] = "django_tenants.postgresql_backend"
    return config


def redis_url() -> str:
    """The Redis-protocol server: ``REDIS_URL`` when set, else the embedded Valkey."""
    from config import embedded

    return REDIS_URL or embedded.valkey_url()


def uses_embedded_services() -> bool:
    return not (DATABASE_URL and REDIS_URL)
