"""API throttles counted in the shared rate-limit cache, not per tenant.

The default cache prefixes keys with the tenant's schema, which would give a client
a fresh allowance on every agency's host.
"""

from django.core.cache import caches
from rest_framework import throttling


class AnonRateThrottle(throttling.AnonRateThrottle):
    cache = caches["ratelimit"]


class UserRateThrottle(throttling.UserRateThrottle):
    cache = caches["ratelimit"]
