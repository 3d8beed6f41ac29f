"""Amounts shown in major units with the currency's own number of decimals."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from billing.templatetags.money import basis_points, money, money_amount, money_minor


@pytest.mark.parametrize(
    ("minor", "currency", "shown"),
    [
        (4550, "GBP", "GBP 45.50"),
        (123456789, "USD", "USD 1,234,567.89"),
        (4550, "JPY", "JPY 4,550"),
        (4550, "jpy", "JPY 4,550"),
        (1234, "KWD", "KWD 1.234"),
        (0, "EUR", "EUR 0.00"),
        (-500, "EUR", "EUR -5.00"),
    ],
)
def test_money_respects_the_currencys_minor_unit(minor, currency, shown):
    assert money(minor, currency) == shown


def test_money_of_nothing_is_empty():
    assert money(None, "GBP") == ""
    assert money("lots", "GBP") == ""


def test_the_filter_works_in_templates():
    rendered = Template("{% load money %}{{ amount|money:currency }}").render(
        Context({"amount": 100000, "currency": "JPY"})
    )
    assert rendered == "JPY 100,000"


def test_amounts_for_files_have_no_grouping():
    assert money_amount(123456, "GBP") == "1234.56"
    assert money_amount(123456, "JPY") == "123456"


def test_typed_amounts_become_minor_units_only_when_exact():
    assert money_minor(Decimal("25.50"), "GBP") == 2550
    assert money_minor(Decimal("2550"), "JPY") == 2550
    assert money_minor(Decimal("25.5"), "JPY") is None
    assert money_minor(Decimal("0.001"), "GBP") is None


def test_basis_points_read_as_a_percentage():
    assert basis_points(1000) == "10 %"
    assert basis_points(1250) == "12.5 %"
