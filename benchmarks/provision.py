"""Provision N agencies and print the seconds each took (target: under 1 s).

    python -m benchmarks.provision [--count 200]

Runs against the configured database (embedded by default) and removes the agencies
it made when it finishes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.development")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    count = parser.parse_args().count

    from config import embedded, env

    if env.uses_embedded_services():
        embedded.ensure_started()

    import django

    django.setup()
    from django.db import close_old_connections, connection

    from accounts.models import User
    from tenants.models import Tenant
    from tenants.services import agency_provision, public_tenant_ensure

    public_tenant_ensure()
    run = uuid.uuid4().hex[:6]
    owner = User.objects.create_user(
        email=f"bench-{run}@example.test", password="x", first_name="Bench"
    )
    existing = Tenant.objects.count()
    durations = []
    try:
        for index in range(count):
            started = time.perf_counter()
            agency_provision(name=f"Bench {index}", slug=f"bench-{run}-{index}", owner=owner)
            close_old_connections()  # what the end of each sign-up request does
            durations.append(time.perf_counter() - started)
    finally:
        made = Tenant.objects.filter(slug__startswith=f"bench-{run}-")
        for tenant in made:
            tenant.delete(force_drop=True)
        owner.delete()
        connection.close()
    tenth = max(1, count // 10)
    first, last = durations[:tenth], durations[-tenth:]
    durations.sort()
    p95 = durations[int(len(durations) * 0.95) - 1]
    print(f"provisioned {count} agencies on top of {existing} tenants")
    print(
        f"seconds per agency: mean {statistics.mean(durations):.3f}  "
        f"median {statistics.median(durations):.3f}  p95 {p95:.3f}  max {durations[-1]:.3f}"
    )
    print(
        f"first {tenth}: mean {statistics.mean(first):.3f} s; last {tenth}: mean "
        f"{statistics.mean(last):.3f} s (growth with the number of tenants)"
    )
    print(f"target < 1.000 s each: {'met' if durations[-1] < 1 else 'NOT met'}")


if __name__ == "__main__":
    main()
