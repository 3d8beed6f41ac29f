"""Compare the ledger with Stripe's balance transactions and report any difference.

    manage.py billing_reconcile                 # the last 7 days
    manage.py billing_reconcile --days 30
    manage.py billing_reconcile --since 2026-11-01 --until 2026-11-08

Exits with status 1 when anything differs, so a scheduled run can alert.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.reconcile import reconcile
from connect.gateway import GatewayError


def _day(value: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    except ValueError as error:
        raise CommandError(f"Not a date: {value!r} (YYYY-MM-DD)") from error


class Command(BaseCommand):
    help = "Compare the billing ledger with Stripe's balance transactions."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=7)
        parser.add_argument("--since", type=_day)
        parser.add_argument("--until", type=_day)

    def handle(self, *args, days: int, since, until, **options) -> None:
        # Up to a minute ahead: Stripe's ``created`` is in whole seconds.
        end = until or timezone.now() + dt.timedelta(minutes=1)
        start = since or end - dt.timedelta(days=days)
        if start >= end:
            raise CommandError("--since must be before --until")
        try:
            report = reconcile(start=start, end=end)
        except GatewayError as error:
            raise CommandError(f"Stripe could not be read: {error.message}") from error
        self.stdout.write(
            f"Reconciled {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC: "
            f"{report.matched} matched, {len(report.differences)} different."
        )
        for difference in report.differences:
            self.stdout.write(f"  DIFFERENT {difference}")
        if not report.ok:
            raise SystemExit(1)
