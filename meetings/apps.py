from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    name = "meetings"

    def ready(self) -> None:
        # Each session's meeting follows the session: made, moved and removed with it.
        from meetings.receivers import session_changed_receiver
        from scheduling.signals import session_changed

        session_changed.connect(session_changed_receiver, dispatch_uid="meetings.session_changed")
