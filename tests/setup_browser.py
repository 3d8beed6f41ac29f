"""Make sure Debian's Chromium is installed for the browser tests (never a downloaded one)."""

from __future__ import annotations

import os
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"
APT_GET = "/usr/bin/apt-get"


def main() -> int:
    if os.path.exists(CHROMIUM):
        return 0
    if os.geteuid() != 0 or not os.path.exists(APT_GET):
        print(
            f"Browser tests need {CHROMIUM}: install Debian's 'chromium' package "
            "(sudo apt-get install chromium).",
            file=sys.stderr,
        )
        return 1
    print("Installing Debian's chromium for the browser tests…", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([APT_GET, "update", "-qq"], check=True, env=environment)
    subprocess.run(
        [
            APT_GET,
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            "chromium",
            "fonts-dejavu-core",
        ],
        check=True,
        env=environment,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
