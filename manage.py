#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")
    from config import embedded, env

    # Commands run against the embedded servers start them on demand; `make stop` or
    # `python -m config.embedded stop` ends them. Production never uses them: its settings
    # refuse to load without DATABASE_URL and REDIS_URL.
    production = os.environ["DJANGO_SETTINGS_MODULE"].endswith(".production")
    if (
        env.uses_embedded_services()
        and not production
        and sys.argv[1:2] not in (["help"], ["--help"], [])
    ):
        embedded.ensure_started()

    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
