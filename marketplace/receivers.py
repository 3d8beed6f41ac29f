"""Keeping the public listing index current: every change that shows on the marketplace
queues a refresh of the tutor's listing after the commit (see ``listings.indexing``)."""

from __future__ import annotations


def connect() -> None:
    """Connect the receivers (filled in with the index)."""
