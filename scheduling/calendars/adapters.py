"""The calendar providers the platform knows, and the ones it offers (configured)."""

from __future__ import annotations

from scheduling.calendars.base import CalendarAdapter
from scheduling.calendars.google import GoogleCalendar
from scheduling.calendars.microsoft import MicrosoftCalendar
from scheduling.models import CalendarConnection

__all__ = ["adapter_for", "providers_offered"]

_ADAPTERS: dict[str, type[CalendarAdapter]] = {
    CalendarConnection.Provider.GOOGLE: GoogleCalendar,
    CalendarConnection.Provider.MICROSOFT: MicrosoftCalendar,
}


def adapter_for(provider: str) -> CalendarAdapter:
    """The adapter of ``provider``; KeyError for a provider the platform does not know."""
    return _ADAPTERS[provider]()


def providers_offered() -> list[str]:
    """Providers whose client id and secret are configured, in display order."""
    return [name for name, adapter in _ADAPTERS.items() if adapter().is_configured()]
