"""The embedded PostgreSQL and Valkey: environment wins, start is idempotent, stop is clean."""

from __future__ import annotations

import os

import pytest

from config import embedded, env


def test_database_url_replaces_the_embedded_server(monkeypatch):
    monkeypatch.setattr(env, "DATABASE_URL", "postgres://app:secret@db.internal:6543/tutoring")
    config = env.database_settings()
    assert config["HOST"] == "db.internal"
    assert config["PORT"] == 6543
    assert config["NAME"] == "tutoring"
    assert config["ENGINE"] == "django_tenants.postgresql_backend"


def test_without_database_url_the_embedded_server_is_used(monkeypatch):
    monkeypatch.setattr(env, "DATABASE_URL", "")
    config = env.database_settings()
    assert config["HOST"] == str(embedded._socket_dir())
    assert config["NAME"] == embedded.DATABASE_NAME


def test_redis_url_replaces_the_embedded_valkey(monkeypatch):
    monkeypatch.setattr(env, "REDIS_URL", "redis://cache.internal:6379/3")
    assert env.redis_url() == "redis://cache.internal:6379/3"


@pytest.fixture
def private_valkey(tmp_path, monkeypatch):
    """Point the Valkey controls at a scratch folder so the suite's own server is untouched."""
    monkeypatch.setattr(embedded, "VALKEY_DIR", tmp_path)
    monkeypatch.setattr(embedded, "VALKEY_PORT_FILE", tmp_path / "port")
    monkeypatch.setattr(embedded, "VALKEY_PID_FILE", tmp_path / "valkey.pid")
    yield
    embedded.valkey_stop()


def test_valkey_starts_once_answers_and_stops_without_leftovers(private_valkey):
    embedded.valkey_start()
    pid = embedded.valkey_pid()
    port = int(embedded.VALKEY_PORT_FILE.read_text())
    assert pid is not None
    assert embedded._valkey_answers(port)

    embedded.valkey_start()  # already running: no second server
    assert embedded.valkey_pid() == pid

    embedded.valkey_stop()
    assert not embedded._process_alive(pid)
    assert not embedded._valkey_answers(port)
    assert not embedded.VALKEY_PID_FILE.exists()


def test_postgres_initialises_starts_and_stops_cleanly(tmp_path, monkeypatch):
    # A deep tmp path also exercises the short-socket-directory fallback.
    monkeypatch.setattr(embedded, "PG_DIR", tmp_path / "pg")
    monkeypatch.setattr(embedded, "PG_DATA", tmp_path / "pg" / "data")
    monkeypatch.setattr(embedded, "PG_LOG", tmp_path / "pg" / "server.log")
    monkeypatch.setattr(embedded, "ROOT_DIR", tmp_path)
    # PostgreSQL runs as an unprivileged user, which must be able to reach its data folder.
    os.chmod(tmp_path, 0o755)  # noqa: S103
    try:
        embedded.postgres_start()
        pid = embedded.postgres_pid()
        assert pid is not None

        import psycopg

        settings = embedded.postgres_database_settings()
        dsn = (
            f"host={settings['HOST']} port={settings['PORT']} user={settings['USER']} "
            f"dbname={settings['NAME']}"
        )
        with psycopg.connect(dsn) as connection:
            assert connection.execute("SELECT 1").fetchone() == (1,)
    finally:
        embedded.postgres_stop()
    assert not embedded._process_alive(pid)
