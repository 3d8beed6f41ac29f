"""Make sure Debian's Chromium is installed for the browser tests (never a downloaded one)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        print(  # noqa: T201
            f"Browser tests need {CHROMIUM}: install Debian's 'chromium' package "
            "(sudo apt-get install chromium).",
            file=sys.stderr,
        )
        return 1
    print("Installing Debian's chromium for the browser tests…", flush=True)  # noqa: T201
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=environment)  # noqa: S607
    subprocess.run(
        [
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",  # noqa: S607
            "fonts-dejavu-core",
        ],
        check=True,
        env=environment,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
