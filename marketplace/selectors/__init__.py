"""Reads of the marketplace domain, one module per subdomain (gigs, languages, …)."""
