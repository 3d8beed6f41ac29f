"""Tenant-schema models of the scheduling domain (built by their own issues)."""
