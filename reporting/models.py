"""Tenant-schema models of the reporting domain (built by their own issues)."""
