from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        from billing.receivers import session_changed_receiver
        from scheduling.signals import session_changed

        session_changed.connect(session_changed_receiver, dispatch_uid="billing.session_changed")
