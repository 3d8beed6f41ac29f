"""A meeting provider for tests only: remembers every call and fails when told to.

Installed by the test settings as ``"fake"``. ``FakeProvider.failures`` holds errors the
next calls raise, in order; ``FakeProvider.calls`` lists (operation, session id, ...) in
the order they happened.
"""

from __future__ import annotations

from typing import ClassVar

from meetings.providers.base import JoinTarget, MeetingInfo, MeetingProvider

__all__ = ["FakeProvider"]

FAKE_URL = "https://fake-meetings.example.test"


class FakeProvider(MeetingProvider):
    name = "fake"
    label = "Fake provider (tests)"

    calls: ClassVar[list[tuple]] = []
    failures: ClassVar[list[Exception]] = []

    @classmethod
    def reset(cls) -> None:
        cls.calls.clear()
        cls.failures.clear()

    @classmethod
    def operations(cls) -> list[str]:
        return [call[0] for call in cls.calls]

    def _attempt(self, *call) -> None:
        self.calls.append(call)
        if self.failures:
            raise self.failures.pop(0)

    def is_configured(self) -> bool:
        return True

    def _info(self, details) -> MeetingInfo:
        return MeetingInfo(
            external_id=f"fake-{details.key}",
            join_url=f"{FAKE_URL}/j/{details.key}",
            passcode="fake-pass",
            host_account=details.host_email,
        )

    def meeting_create(self, *, meeting, details) -> MeetingInfo:
        self._attempt("create", meeting.session_id, details.starts_at, details.ends_at)
        return self._info(details)

    def meeting_update(self, *, meeting, details) -> MeetingInfo:
        self._attempt("update", meeting.session_id, details.starts_at, details.ends_at)
        return self._info(details)

    def meeting_delete(self, *, meeting) -> None:
        self._attempt("delete", meeting.session_id)

    def join_target(self, *, meeting, participant, not_before, not_after) -> JoinTarget:
        self._attempt("join", meeting.session_id, participant.user_id, participant.role)
        return JoinTarget(
            redirect_url=(
                f"{FAKE_URL}/j/{meeting.external_id}?user={participant.user_id}"
                f"&role={participant.role}"
            ),
            expires_at=not_after,
        )
