"""Reads of the scheduling domain."""
