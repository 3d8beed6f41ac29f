"""Payment history for one viewer: which payments they see, the fee breakdown, the CSV.

Who sees which payments follows who sees the session (``session_list``): the agency's
staff (owner, admin, staff) every payment of the tenant, a tutor those of their classes,
a student their own, a parent their linked children's. What a row shows depends on the
audience (``payment_audience``): the student's side sees the price, refunds and their
receipts; the tutor also the split and their earnings (not the student's receipts); the
agency everything, transfers included.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

from django.db.models import Prefetch, QuerySet
from django.db.models.functions import Coalesce

from accounts.models import Membership
from billing.models import Invoice, Payment, Refund, Transfer
from billing.templatetags.money import money_amount
from scheduling.selectors.history import viewer_zone
from scheduling.selectors.sessions import session_list

__all__ = [
    "payment_audience",
    "payment_breakdown",
    "payment_export_header",
    "payment_export_rows",
    "payment_get",
    "payment_list",
    "payment_search",
]

Role = Membership.Role


# Payments ------------------------------------------------------------------------------------


def payment_audience(viewer: Membership) -> str:
    """``"agency"`` (owner, admin, staff), ``"tutor"``, ``"student"`` (and parents) or ``""``."""
    if viewer.is_agency_staff:
        return "agency"
    if viewer.role == Role.TUTOR:
        return "tutor"
    if viewer.role in (Role.STUDENT, Role.PARENT):
        return "student"
    return ""


def payment_list(*, viewer: Membership) -> QuerySet[Payment]:
    """The payments ``viewer`` may see in this tenant: those of the sessions they see."""
    if viewer.is_agency_staff:
        return Payment.objects.all()
    if not payment_audience(viewer):
        return Payment.objects.none()
    return Payment.objects.filter(session_id__in=session_list(viewer=viewer).values("pk"))


def _with_details(payments: QuerySet[Payment], viewer: Membership) -> QuerySet[Payment]:
    """Everything a history row shows, in a fixed number of queries whatever the count."""
    audience = payment_audience(viewer)
    related = [Prefetch("refunds", queryset=Refund.objects.order_by("created_at", "id"))]
    if audience in ("student", "agency"):
        related.append(Prefetch("invoices", queryset=Invoice.objects.order_by("number")))
    if audience == "agency":
        related.append(
            Prefetch("transfers", queryset=Transfer.objects.order_by("created_at", "id"))
        )
    return payments.select_related("session__subject", "tutor__user", "student").prefetch_related(
        *related
    )


def _day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def payment_search(
    *,
    viewer: Membership,
    status: str | None = None,
    tutor=None,
    student=None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    zone: zoneinfo.ZoneInfo | None = None,
) -> QuerySet[Payment]:
    """The payments ``viewer`` may see, narrowed, newest first, with their details.

    Dates are days in ``zone`` (the viewer's by default), both ends included, of when the
    payment was made (when it was opened, for one still awaiting payment). ``tutor`` and
    ``student`` are profiles or their ids.
    """
    zone = zone or viewer_zone(viewer)
    payments = payment_list(viewer=viewer).annotate(dated_at=Coalesce("paid_at", "created_at"))
    if status:
        payments = payments.filter(status=status)
    if tutor is not None:
        payments = payments.filter(tutor_id=getattr(tutor, "pk", tutor))
    if student is not None:
        payments = payments.filter(student_id=getattr(student, "pk", student))
    if date_from is not None:
        payments = payments.filter(dated_at__gte=_day_start(date_from, zone))
    if date_to is not None:
        payments = payments.filter(dated_at__lt=_day_start(date_to + dt.timedelta(days=1), zone))
    return _with_details(payments, viewer).order_by("-created_at", "-id")


def payment_get(*, viewer: Membership, pk: int) -> Payment | None:
    """One payment ``viewer`` may see, with its details, or None (a 404 for anyone else)."""
    return _with_details(payment_list(viewer=viewer).filter(pk=pk), viewer).first()


def payment_breakdown(payment: Payment) -> dict[str, int | str]:
    """Where the student's price goes: the platform's fee, the agency's commission, the
    tutor's earnings (fixed when the payment was opened), and what was refunded."""
    return {
        "currency": payment.currency,
        "price_minor": payment.amount_minor,
        "platform_fee_minor": payment.platform_fee_minor,
        "platform_fee_basis_points": payment.platform_fee_basis_points,
        "agency_commission_minor": payment.agency_commission_minor,
        "tutor_earnings_minor": payment.tutor_earnings_minor,
        "refunded_minor": payment.refunded_minor,
        "net_minor": payment.net_minor,
    }


# CSV export ------------------------------------------------------------------------------------

_COMMON = ("payment_id", "session_id", "class_start", "subject")
_EXPORT_COLUMNS = {
    "student": (
        *_COMMON,
        "tutor",
        "student",
        "status",
        "currency",
        "price",
        "refunded",
        "paid_at",
        "refund_reasons",
        "invoices",
    ),
    "tutor": (
        *_COMMON,
        "student",
        "status",
        "currency",
        "price",
        "platform_fee",
        "agency_commission",
        "my_earnings",
        "refunded",
        "paid_at",
        "released_at",
    ),
    "agency": (
        *_COMMON,
        "tutor",
        "student",
        "status",
        "currency",
        "price",
        "platform_fee",
        "agency_commission",
        "tutor_earnings",
        "refunded",
        "payout_route",
        "paid_at",
        "released_at",
        "payment_intent",
        "refund_reasons",
        "transfers",
        "invoices",
    ),
}


def payment_export_header(*, viewer: Membership) -> tuple[str, ...]:
    """The export's columns for the viewer's audience (none for anyone else)."""
    return _EXPORT_COLUMNS.get(payment_audience(viewer), ())


def _local(moment: dt.datetime | None, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def payment_export_rows(
    *, viewer: Membership, payments: QuerySet[Payment], zone: zoneinfo.ZoneInfo
) -> Iterator[list]:
    """One row per payment of ``payments`` (from ``payment_search``), times in ``zone``."""
    columns = payment_export_header(viewer=viewer)
    for payment in payments.iterator(chunk_size=500):
        currency = payment.currency
        values = {
            "payment_id": payment.pk,
            "session_id": payment.session_id,
            "class_start": _local(payment.session.starts_at, zone),
            "subject": payment.session.subject.name,
            "tutor": payment.tutor.full_name,
            "student": payment.student.full_name,
            "status": payment.get_status_display(),
            "currency": currency,
            "price": money_amount(payment.amount_minor, currency),
            "platform_fee": money_amount(payment.platform_fee_minor, currency),
            "agency_commission": money_amount(payment.agency_commission_minor, currency),
            "tutor_earnings": money_amount(payment.tutor_earnings_minor, currency),
            "my_earnings": money_amount(payment.tutor_earnings_minor, currency),
            "refunded": money_amount(payment.refunded_minor, currency),
            "payout_route": payment.get_payout_route_display(),
            "paid_at": _local(payment.paid_at, zone),
            "released_at": _local(payment.released_at, zone),
            "payment_intent": payment.payment_intent_id,
            "refund_reasons": "; ".join(
                f"{money_amount(r.amount_minor, currency)}: {r.reason}"
                for r in payment.refunds.all()
            ),
        }
        if "invoices" in columns:
            values["invoices"] = "; ".join(i.display_number for i in payment.invoices.all())
        if "transfers" in columns:
            values["transfers"] = "; ".join(
                f"{t.get_recipient_display()} {money_amount(t.amount_minor, currency)} "
                f"({t.get_status_display()})"
                for t in payment.transfers.all()
            )
        yield [values[column] for column in columns]
