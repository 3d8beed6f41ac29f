"""Tenant-schema models of the meetings domain (built by their own issues)."""
