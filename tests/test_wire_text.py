"""Request bodies as the connectors send them: exact numbers (`connectors.jsonnum`) and XML-safe text (`core.text`)."""

from decimal import Decimal

import pytest

from ledger_sync.connectors.jsonnum import dumps, loads
from ledger_sync.core.text import xml_safe_strings


def test_dumps_writes_decimals_digit_for_digit_wherever_they_are() -> None:
    body = {"Line": [{"Amount": Decimal("1E+2"), "Qty": (Decimal("0.10"), 3)}], "Note": 'é\n"q"', "Ok": None}
    assert dumps(body) == '{"Line":[{"Amount":100,"Qty":[0.10,3]}],"Note":"é\\n\\"q\\"","Ok":null}'
    assert loads(dumps(body))["Line"][0]["Qty"] == [Decimal("0.10"), 3]


@pytest.mark.parametrize("value", [{"x": [1, {"y": 0.5}]}, [(Decimal(1), 2.0)], 1.5])
def test_dumps_refuses_a_float_however_deep(value: object) -> None:
    with pytest.raises(TypeError):
        dumps(value)


@pytest.mark.parametrize("number", [Decimal("NaN"), Decimal("-Infinity")])
def test_dumps_refuses_a_decimal_that_is_not_a_json_number(number: Decimal) -> None:
    with pytest.raises(ValueError):
        dumps({"Amount": number})


def test_loads_reads_every_number_with_a_fraction_or_an_exponent_as_its_exact_decimal() -> None:
    answer = b'\xef\xbb\xbf{"TotalAmt": 1234.10, "Rate": 1e-7, "Big": 123456789012345678901234567890, "Qty": 3}'
    assert loads(answer) == {
        "TotalAmt": Decimal("1234.10"),
        "Rate": Decimal("1E-7"),
        "Big": 123456789012345678901234567890,
        "Qty": 3,
    }
    assert str(loads('{"Amount": 0.10}')["Amount"]) == "0.10", "a str too, digit for digit"


@pytest.mark.parametrize("text", [b'{"Amount": NaN}', b'{"Amount": Infinity}', b'{"Amount": 1.0', b"<html>busy</html>"])
def test_loads_refuses_what_is_not_json(text: bytes) -> None:
    with pytest.raises(ValueError):
        loads(text)


def test_a_body_with_nothing_to_change_comes_back_as_it_is() -> None:
    body = {"Line": [{"Description": "Tab\there, line\nthere, a backslash \\ and ü", "Amount": Decimal("1.00")}]}
    assert xml_safe_strings(body) is body


@pytest.mark.parametrize(
    ("text", "sent"),
    [("a\x00b", "ab"), ("a\r\nb\rc", "a\nb\nc"), ("\ud800x", "x"), ("\ufffey\uffff", "y"), ("\x0b\x0c\x1f", "")],
)
def test_every_string_deep_in_a_body_is_made_xml_safe(text: str, sent: str) -> None:
    body = {"Line": [{"Description": text, "Amount": Decimal("1.00")}], "Ref": {"value": text}, text: "key kept"}
    assert xml_safe_strings(body) == {
        "Line": [{"Description": sent, "Amount": Decimal("1.00")}],
        "Ref": {"value": sent},
        text: "key kept",
    }
