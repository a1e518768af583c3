"""Reading one raw Service Opus value: a bad value fails for that field only, named with its value."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ledger_sync.connectors.service_opus.fields import (
    BadValue,
    choice_value,
    date_value,
    decimal_value,
    flag_value,
    moment_value,
)
from ledger_sync.connectors.service_opus.models import PaymentMethod


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("12.345", Decimal("12.345")), (Decimal("1.50"), Decimal("1.50")), (3, Decimal(3)), (" 7 ", Decimal(7))],
)
def test_numbers_read_exactly(raw: object, expected: Decimal) -> None:
    assert decimal_value("quantity", raw) == expected


def test_non_finite_numbers_pass_for_the_record_checks_to_name() -> None:
    assert decimal_value("quantity", "NaN").is_nan()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("abc", "quantity 'abc' is not a number"),
        ("", "quantity '' is not a number"),
        (None, "quantity None is empty"),
        ("1e30", "quantity '1e30' is out of range (at most 9999999999 in magnitude)"),
        (True, "quantity True is not a number"),
        ("x" * 100, "quantity '" + "x" * 38 + "… is not a number"),
    ],
)
def test_bad_numbers_name_field_and_truncated_value(raw: object, message: str) -> None:
    with pytest.raises(BadValue) as caught:
        decimal_value("quantity", raw)
    assert str(caught.value) == message


def test_dates_and_moments() -> None:
    assert date_value("issue_date", "2026-02-28") == date(2026, 2, 28)
    assert moment_value("locked_at", "2026-02-28 10:00:00.000000") == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert moment_value("locked_at", None) is None
    for bad in ("2026-02-30", "2026-02-28 junk", "soon", 20260228):
        with pytest.raises(BadValue) as caught:
            date_value("issue_date", bad)
        assert str(caught.value).endswith("is not a date")
    with pytest.raises(BadValue, match="locked_at 'yesterday' is not a date and time"):
        moment_value("locked_at", "yesterday")


def test_enums_and_flags() -> None:
    assert choice_value("method", "card", PaymentMethod) is PaymentMethod.CARD
    with pytest.raises(BadValue, match="method 'bitcoin' is not one of card, cash, check, ach"):
        choice_value("method", "bitcoin", PaymentMethod)
    assert flag_value("tax_inclusive", 1) is True
    with pytest.raises(BadValue, match="tax_inclusive 'yes' is not true or false"):
        flag_value("tax_inclusive", "yes")
