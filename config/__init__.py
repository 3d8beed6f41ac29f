"""Project package (named ``config``: a top-level ``platform`` would shadow the stdlib module)."""

from config.celery import app as celery_app

__all__ = ["celery_app"]
