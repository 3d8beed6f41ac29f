"""The lifecycle tests book through the real scheduling services (``desk``) in acme, whose
meetings the fake provider makes; ``meetings`` runs blocks as if committed and reads back
what became of each session's meeting."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django_tenants.utils import tenant_context

from meetings.models import Meeting
from tests.scheduling.bookings.conftest import (  # noqa: F401 (fixtures)
    _clock,
    desk,
    open_week,
)


class Meetings:
    """acme's meetings: ``fake`` (the provider's calls), ``of(session)``, ``committed()``."""

    def __init__(self, tenant, fake, capture) -> None:
        self.tenant = tenant
        self.fake = fake
        self._capture = capture

    def of(self, session) -> Meeting | None:
        with tenant_context(self.tenant):
            return Meeting.objects.filter(session_id=session.pk).first()

    @contextmanager
    def committed(self) -> Iterator[list]:
        """Run the block in acme, then what follows its commit (signals, and the tasks
        they queue: eager in tests)."""
        with tenant_context(self.tenant), self._capture(execute=True) as callbacks:
            yield callbacks


@pytest.fixture
def meetings(acme, fake_meetings, django_capture_on_commit_callbacks) -> Meetings:
    return Meetings(acme, fake_meetings, django_capture_on_commit_callbacks)
