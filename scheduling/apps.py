from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"

    def ready(self) -> None:
        # Calendar sync pushes every session change to connected calendars.
        from scheduling.calendars import checks  # noqa: F401 (registers the system checks)
        from scheduling.calendars.sync import session_changed_receiver
        from scheduling.signals import session_changed

        session_changed.connect(
            session_changed_receiver, dispatch_uid="scheduling.calendars.session_changed"
        )
