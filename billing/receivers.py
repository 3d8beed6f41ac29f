"""What billing does when a session changes (``scheduling.signals.session_changed``, sent
after commit): open the payment when the tutor accepts, release it when the class is
confirmed, settle the policy's outcome when it is cancelled or a no-show."""

from __future__ import annotations

from scheduling.models import Session

__all__ = ["session_changed_receiver"]


def session_changed_receiver(sender, session: Session, change: str, **kwargs) -> None:
    from billing import tasks
    from billing.services.payments import payment_open

    if change == "confirmed":
        payment_open(session)
    elif change == "completed":
        payment_pk = session.payment.pk if hasattr(session, "payment") else None
        if payment_pk is None:
            from billing.models import Payment

            payment_pk = (
                Payment.objects.filter(session=session).values_list("pk", flat=True).first()
            )
        if payment_pk is not None:
            tasks.payment_release_task.delay(payment_pk)
    elif change in ("cancelled", "no_show"):
        tasks.session_settle_task.delay(session.pk)
