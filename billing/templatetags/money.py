"""Amounts in minor units shown in major ones: ``{% load money %}{{ 4550|money:"GBP" }}``.

The number of decimals follows the currency as Stripe counts its minor units: none for
JPY-like currencies (``4550 JPY`` is ¥4,550), three for BHD-like ones, two for the rest.
"""

from __future__ import annotations

from decimal import Decimal

from django import template

__all__ = ["basis_points", "minor_digits", "money", "money_amount", "money_minor"]

register = template.Library()

# Stripe's zero-decimal and three-decimal currencies (docs.stripe.com/currencies).
ZERO_DECIMAL = frozenset(
    "BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split()  # noqa: SIM905
)
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())  # noqa: SIM905


def minor_digits(currency: str) -> int:
    """How many decimals the currency's minor unit has (``JPY`` 0, ``GBP`` 2, ``KWD`` 3)."""
    code = (currency or "").upper()
    if code in ZERO_DECIMAL:
        return 0
    if code in THREE_DECIMAL:
        return 3
    return 2


def money_amount(minor: int, currency: str, *, grouping: bool = False) -> str:
    """``4550, "GBP"`` → ``"45.50"``; ``4550, "JPY"`` → ``"4550"`` (for files and forms)."""
    digits = minor_digits(currency)
    value = Decimal(int(minor)).scaleb(-digits)
    return f"{value:{',' if grouping else ''}.{digits}f}"


def money_minor(amount: Decimal, currency: str) -> int | None:
    """A major-unit amount as minor units, or None when it has more decimals than allowed."""
    scaled = Decimal(amount).scaleb(minor_digits(currency))
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


@register.filter
def money(minor, currency: str = "") -> str:
    """``{{ 123456|money:"GBP" }}`` → ``GBP 1,234.56``; empty for a missing amount."""
    if minor is None or minor == "":
        return ""
    try:
        minor = int(minor)
    except (TypeError, ValueError):
        return ""
    code = (currency or "").upper()
    text = money_amount(minor, code, grouping=True)
    return f"{code} {text}" if code else text


@register.filter
def basis_points(value) -> str:
    """``{{ 1250|basis_points }}`` → ``12.5 %`` (hundredths of a percent)."""
    try:
        percent = Decimal(int(value)) / 100
    except (TypeError, ValueError):
        return ""
    return f"{percent.normalize():f} %"
