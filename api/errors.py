"""One error format for the whole API.

Every error body is ``{"error": {"status", "code", "message", "fields"}}``; ``fields``
maps a field name to its messages when input was at fault.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from accounts.ratelimits import RateLimitedError
from config.errors import ApplicationError, error_body


def _flatten(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for item in detail]
    if isinstance(detail, dict):
        return [f"{key}: {message}" for key, value in detail.items() for message in _flatten(value)]
    return [str(detail)]


def _first_code(codes) -> str:
    """The first code of a (possibly nested) DRF detail."""
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        codes = list(codes.values())
    for item in codes:
        found = _first_code(item)
        if found != "error":
            return found
    return "error"


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        fields = exc.extra.get("fields", {})
        return Response(
            error_body(status_code=exc.status, code=exc.code, message=exc.message, fields=fields),
            status=exc.status,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RateLimitedError):
        exc = exceptions.Throttled(wait=exc.retry_after)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        fields = {key: _flatten(value) for key, value in detail.items()}
        response.data = error_body(
            status_code=response.status_code,
            code="invalid",
            message="Some of the data sent is not valid.",
            fields=fields,
        )
        return response
    code = _first_code(exc.get_codes()) if isinstance(exc, exceptions.APIException) else "error"
    detail = getattr(exc, "detail", str(exc))
    if isinstance(detail, dict) and "detail" in detail:  # SimpleJWT's {"detail", "code", ...}
        code = str(detail.get("code") or code)
        detail = detail["detail"]
    message = " ".join(_flatten(detail))
    response.data = error_body(status_code=response.status_code, code=code, message=message)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS and "Retry-After" not in response:
        response["Retry-After"] = "60"
    return response
