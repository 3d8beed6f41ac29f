"""What the scheduling API views share: the viewer's zone, aware datetimes, a session by id.

Times are accepted as ISO 8601 with an offset (a naive time is a field error) and returned
in the viewer's zone: the ``tz`` query parameter, else the user's ``time_zone``.
"""

from __future__ import annotations

import zoneinfo

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from scheduling.models import Session
from scheduling.selectors.sessions import session_get
from tenants.validators import time_zones

__all__ = ["TZ_PARAMETER", "AwareDateTimeField", "request_zone", "session_or_404"]

TZ_PARAMETER = OpenApiParameter(
    "tz",
    OpenApiTypes.STR,
    description="IANA time zone for the times returned (default: the user's time zone).",
)


def request_zone(request) -> zoneinfo.ZoneInfo:
    """The zone times are shown in: ``?tz=``, else the user's; a bad name is a 400."""
    name = request.query_params.get("tz") or request.user.time_zone or "UTC"
    if name not in time_zones():
        raise serializers.ValidationError(
            {"tz": ["Use an IANA time zone name, like Europe/London."]}
        )
    return zoneinfo.ZoneInfo(name)


def session_or_404(request, pk: int) -> Session:
    """A session the caller may see (``session_get``), else not found."""
    session = session_get(viewer=request._request.membership, pk=pk)
    if session is None:
        raise Http404
    return session


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time that must carry its offset (``Z`` or ``+01:00``)."""

    default_error_messages = {
        "naive": "Include a time zone offset, as in 2030-03-01T09:00:00+00:00.",
    }

    def enforce_timezone(self, value):
        if timezone.is_naive(value):
            self.fail("naive")
        return super().enforce_timezone(value)
