"""Writes about accounts, split by subdomain: registration, sign-in, two-factor,
memberships, invitations, API tokens and cross-host sign-in."""
