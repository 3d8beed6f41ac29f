"""Meeting providers, by the names ``settings.MEETING_PROVIDERS`` gives them."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from meetings.providers.base import MeetingProvider, NotConfiguredError

__all__ = ["provider_choices", "provider_get"]


@cache
def _provider(path: str) -> MeetingProvider:
    return import_string(path)()


def provider_get(name: str) -> MeetingProvider:
    """The provider called ``name``; an unknown name is a ``NotConfiguredError``."""
    path = settings.MEETING_PROVIDERS.get(name)
    if path is None:
        raise NotConfiguredError(f"There is no meeting provider called {name!r}.")
    return _provider(path)


def provider_choices() -> list[tuple[str, str]]:
    """(name, label) of every installed provider, for forms and validation."""
    return [(name, _provider(path).label) for name, path in settings.MEETING_PROVIDERS.items()]
