"""Periodic upkeep of the crm domain."""

from __future__ import annotations

from celery import shared_task
from django.core.management import call_command


@shared_task(ignore_result=True)
def documents_sweep() -> None:
    """Daily (beat): delete protected files no document refers to, in every tenant."""
    call_command("documents_sweep", verbosity=0)
