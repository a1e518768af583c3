"""QBO failures to `LedgerError`, typed by what the caller should do about them.

QBO reports errors as `{"Fault": {"Error": [{"Message", "Detail", "code"}], "type": ...}}`, per batch
item or for the whole call; throttling also comes as HTTP 429, as legacy 403s, and sometimes as an XML
body even when JSON was asked for. The vendor code is kept on the error for the run report.
"""

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import httpx

from ledger_sync.connectors.http import retry_after_seconds
from ledger_sync.core.ledger import ErrorKind, LedgerError

THROTTLE_CODES = frozenset({"3001"})
DUPLICATE_CODES = frozenset({"6240", "6140"})
STALE_CODES = frozenset({"5010"})
CLOSED_PERIOD_TEXT = ("account period closed", "account period has closed")
"""QBO refuses a write into a closed period under the stale-object code too (5010 "Account Period Closed",
python-quickbooks#208): re-reading cannot help, the ledger will not edit it (`ErrorKind.LOCKED`)."""
AUTH_FAULT_TYPES = frozenset({"authenticationfault", "authorizationfault"})
UNKNOWN_OUTCOME_CODE = "6000"
UNKNOWN_OUTCOME_TEXT = ("unexpected", "try again")
"""6000 is also QBO's code for a business rule refusal; a Detail in these words ("An unexpected error occurred
while accessing or saving your data. Please wait a few minutes and try again", seen item by item on a replayed
batch, quickbooks-ruby#344; "Unexpected Internal Error") means QBO does not say what it did: an unknown outcome,
looked up before resending, never parked as a refusal."""


def classify(status: int | None, fault_type: str, code: str, message: str, detail: str = "") -> ErrorKind:
    """`status` is None for a per-item fault inside a successful batch response."""
    text = message.lower()
    kind_of_fault = fault_type.lower()
    if status == 429 or code in THROTTLE_CODES or "throttle" in text:
        return ErrorKind.THROTTLED
    if code == UNKNOWN_OUTCOME_CODE and any(words in f"{text} {detail.lower()}" for words in UNKNOWN_OUTCOME_TEXT):
        return ErrorKind.UNAVAILABLE
    if code in DUPLICATE_CODES or "duplicate name" in text or "duplicate document" in text:
        return ErrorKind.DUPLICATE
    if code in STALE_CODES and any(words in f"{text} {detail.lower()}" for words in CLOSED_PERIOD_TEXT):
        return ErrorKind.LOCKED
    if code in STALE_CODES or "stale object" in text:
        return ErrorKind.CONFLICT
    if status in (401, 403) or kind_of_fault in AUTH_FAULT_TYPES:
        return ErrorKind.AUTH
    if (status is not None and status >= 500) or kind_of_fault == "systemfault":
        return ErrorKind.UNAVAILABLE
    return ErrorKind.VALIDATION


def fault_error(fault: Mapping[str, Any]) -> LedgerError:
    """A batch item's JSON `Fault` (its first Error) as a LedgerError."""
    return _error(None, *_fault_fields(fault), None)


def response_error(response: httpx.Response) -> LedgerError:
    """The error a non-2xx response, or a 2xx that is not a JSON object or carries a Fault, stands for."""
    status = response.status_code
    retry_after = retry_after_seconds(response.headers)
    parsed = _parse_fault(response)
    if parsed is not None:
        return _error(status, *parsed, retry_after)
    if response.is_success:
        return LedgerError(ErrorKind.UNAVAILABLE, f"QBO answered HTTP {status} with an unreadable body")
    kind = classify(status, "", "", "")
    return LedgerError(kind, f"QBO answered HTTP {status} without a Fault body", retry_after=retry_after)


def _error(
    status: int | None, fault_type: str, code: str, message: str, detail: str, retry_after: float | None
) -> LedgerError:
    kind = classify(status, fault_type, code, message, detail)
    text = f"{message}: {detail}" if detail and detail != message else message
    label = " ".join(part for part in (fault_type, code) if part)
    return LedgerError(
        kind, f"QBO {label}: {text}" if label else f"QBO: {text}", code=code or None, retry_after=retry_after
    )


def _parse_fault(response: httpx.Response) -> tuple[str, str, str, str] | None:
    """(type, code, message, detail) from a JSON or XML Fault body, or None if there is none."""
    body = response.content.strip()
    if body.startswith(b"<"):
        return _parse_xml_fault(body)
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("Fault"), dict):
        return None
    return _fault_fields(data["Fault"])


def _fault_fields(fault: Mapping[str, Any]) -> tuple[str, str, str, str]:
    first = (fault.get("Error") or [{}])[0]
    return (
        str(fault.get("type", "")),
        str(first.get("code", "")),
        str(first.get("Message", "")),
        str(first.get("Detail", "")),
    )


def _parse_xml_fault(body: bytes) -> tuple[str, str, str, str] | None:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    fault = next((el for el in root.iter() if _local(el.tag) == "Fault"), None)
    if fault is None:
        return None
    error = next((el for el in fault.iter() if _local(el.tag) == "Error"), None)
    if error is None:
        return fault.get("type", ""), "", "", ""
    texts = {_local(child.tag): (child.text or "").strip() for child in error}
    return fault.get("type", ""), error.get("code", ""), texts.get("Message", ""), texts.get("Detail", "")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
