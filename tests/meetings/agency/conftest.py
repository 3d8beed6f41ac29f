"""The agency tests reuse the completion tests' desk and people (see that conftest)."""

from __future__ import annotations

from tests.meetings.completion.conftest import (  # noqa: F401 (fixtures)
    _clock,
    cast,
    desk,
    sams_parent,
    signals,
)
