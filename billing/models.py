"""Tenant-schema models of the billing domain (built by their own issues)."""
