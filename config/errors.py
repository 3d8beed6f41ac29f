"""The project's one application error: a rule of the domain refused a request.

Field-level problems use Django's ``ValidationError`` (a dict of field -> messages);
``ApplicationError`` is for rules that are not about one field ("the last owner cannot
leave"). The API and the pages turn both into a clear 4xx.
"""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(
        self, message: str, *, code: str = "invalid", status: int = 400, extra: dict | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.extra = extra or {}


def error_body(*, status_code: int, code: str, message: str, fields: dict | None = None) -> dict:
    """The one error shape of the API: {"error": {status, code, message, fields}}."""
    return {
        "error": {"status": status_code, "code": code, "message": message, "fields": fields or {}}
    }
