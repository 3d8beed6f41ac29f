"""Placeholder until built."""

__all__: list[str] = []
