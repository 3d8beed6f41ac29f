"""Writes of the scheduling domain."""
