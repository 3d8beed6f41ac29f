"""Writes of the marketplace domain, one module per subdomain (gigs, settings, …)."""
