"""Tenant-schema models of the crm domain (built by their own issues)."""
