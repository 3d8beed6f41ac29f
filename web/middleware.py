"""Turns rate limits and refused rules into clear pages instead of server errors."""

from __future__ import annotations

from django.shortcuts import render

from accounts.ratelimits import RateLimitedError
from config.errors import ApplicationError


class ApplicationErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, RateLimitedError):
            response = render(
                request, "errors/429.html", {"retry_after": exception.retry_after}, status=429
            )
            response["Retry-After"] = str(exception.retry_after)
            return response
        if isinstance(exception, ApplicationError):
            return render(
                request, "errors/refused.html", {"error": exception}, status=exception.status
            )
        return None
