"""``make run``: services, migrations, demo data, then web + Celery worker + beat.

Ctrl-C (or SIGTERM) stops the three processes and the embedded servers this run
started, so nothing is left running. ``make stop`` cleans up after a run that was
killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from config import embedded, env

PORT = env.env_str("PORT", "8000")


def _say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)  # noqa: T201


def _manage(*args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], check=True, cwd=env.ROOT_DIR)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
    started: list[str] = []
    children: list[subprocess.Popen] = []
    stopping = False

    def stop(*_args) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        _say("Stopping…")
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if started:
            embedded.stop(postgres="postgres" in started, valkey="valkey" in started)
            _say("Embedded PostgreSQL and Valkey stopped.")

    signal.signal(signal.SIGINT, lambda *_: (stop(), sys.exit(0)))
    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))

    try:
        if env.uses_embedded_services():
            _say("Starting embedded services…")
            started = embedded.ensure_started()
        _say("Migrating shared, template and tenant schemas…")
        _manage("migrate_schemas", "--noinput", "-v", "0")
        _say("Collecting static files…")
        _manage("collectstatic", "--noinput", "-v", "0")
        _say("Seeding demo data…")
        _manage("seed_demo")

        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        for command in (
            [python, "manage.py", "runserver", f"0.0.0.0:{PORT}", "--noreload"],
            [*celery, "worker", "--loglevel", "INFO", "--concurrency", "2"],
            [
                *celery,
                "beat",
                "--loglevel",
                "INFO",
                "--schedule",
                str(embedded.LOCAL_DIR / "celerybeat-schedule"),
            ],
        ):
            children.append(subprocess.Popen(command, cwd=env.ROOT_DIR, start_new_session=True))
        _say(
            f"EduConnect is running. Open http://localhost:{PORT}/ (agencies at "
            f"http://<slug>.localhost:{PORT}/, e.g. http://acme.localhost:{PORT}/). "
            f"Emails land in http://localhost:{PORT}/dev/outbox/. Ctrl-C stops everything."
        )
        while not stopping:
            for child in children:
                if child.poll() is not None:
                    _say(f"{' '.join(child.args[:4])} exited with {child.returncode}")
                    stop()
                    return child.returncode or 1
            time.sleep(0.5)
    except subprocess.CalledProcessError as error:
        stop()
        return error.returncode
    finally:
        stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
