"""PUT/POST with many elements per call, and Xero's two ways of reporting failures.

Each element is saved on its own (inside a savepoint), so valid elements are created even when
others fail. With `summarizeErrors=false` the answer is 200 with every element flagged; by default
any failure turns the whole answer into a 400 ValidationException listing the failed elements,
although the valid ones WERE created (documented Xero behaviour that fools naive retries).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger_sync.sandboxes.xero import (
    banktransactions,
    banktransfers,
    contacts,
    creditnotes,
    fields,
    invoices,
    items,
    organisation,
    payments,
    wire,
)
from ledger_sync.sandboxes.xero.books import Books, Invalid

Saver = Callable[[Books, dict[str, Any], Any, int], dict[str, Any]]


@dataclass(frozen=True)
class Resource:
    collection: str
    error_flag: str | None
    """The element's own has-errors field in the spec (Contacts and Invoices name it differently)."""
    existing: Callable[[Books, dict[str, Any]], dict[str, Any] | None]
    save: Saver
    echo_limits: tuple[tuple[str, int], ...] = ()
    """Field lengths the published schema caps: a refused element is echoed cut to them, so even an
    error answer stays within the contract."""


RESOURCES = {
    "Contacts": Resource(
        "Contacts",
        "HasValidationErrors",
        contacts.existing,
        lambda books, el, cur, _dp: contacts.save(books, el, cur),
        (("Name", contacts.MAX_NAME), ("ContactNumber", contacts.MAX_NUMBER), ("EmailAddress", 255)),
    ),
    "Items": Resource("Items", None, items.existing, items.save, (("Code", 30), ("Name", 50), ("Description", 4000))),
    "Invoices": Resource("Invoices", "HasErrors", invoices.existing, invoices.save, (("InvoiceNumber", 255),)),
    "Payments": Resource("Payments", "HasValidationErrors", payments.existing, payments.save),
    "CreditNotes": Resource(
        "CreditNotes", "HasErrors", creditnotes.existing, creditnotes.save, (("CreditNoteNumber", 255),)
    ),
    "BankTransactions": Resource("BankTransactions", None, banktransactions.existing, banktransactions.save),
    "BankTransfers": Resource("BankTransfers", None, banktransfers.existing, banktransfers.save),
}


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]


def elements(resource: Resource, body: Any) -> list[Any]:
    """`{"Invoices": [...]}`, or a single bare element."""
    if isinstance(body, dict) and resource.collection in body:
        listed = body[resource.collection]
        if not isinstance(listed, list):
            raise Invalid(f"{resource.collection} must be a list.")
        return listed
    if isinstance(body, dict):
        return [body]
    raise Invalid("The request body must be a JSON object.")


def apply(
    books: Books, resource: Resource, given: list[Any], create_only: bool, summarize: bool, unitdp: int
) -> Outcome:
    results: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    with books.store.transaction():
        for element in given:
            try:
                if not isinstance(element, dict):
                    raise Invalid("Each element must be a JSON object.")
                fields.check(resource.collection, element)
                with books.store.savepoint():
                    current = None if create_only else resource.existing(books, element)
                    before = dict(current) if current else None
                    saved = resource.save(books, element, current, unitdp)
                    organisation.check_open(books, resource.collection, before, saved)
                results.append({**saved, "StatusAttributeString": "OK"})
            except Invalid as bad:
                echoed = _echo(resource, element, bad.messages)
                results.append(echoed)
                failed.append(echoed)
    if failed and summarize:
        return Outcome(400, validation_exception(failed))
    return Outcome(200, {resource.collection: results})


def validation_exception(failed: list[dict[str, Any]]) -> dict[str, Any]:
    """Xero's answer when elements were refused (10 ValidationException), listing them."""
    return {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": failed,
    }


def _echo(resource: Resource, element: Any, messages: list[str]) -> dict[str, Any]:
    echoed = dict(element) if isinstance(element, dict) else {}
    for field, limit in resource.echo_limits:
        if isinstance(echoed.get(field), str):
            echoed[field] = echoed[field][:limit]
    if resource.error_flag:
        echoed[resource.error_flag] = True
    echoed["StatusAttributeString"] = "ERROR"
    echoed["ValidationErrors"] = [{"Message": message} for message in messages]
    return echoed


def parse_body(raw: bytes) -> Any:
    try:
        return wire.loads(raw or b"null")
    except ValueError as bad:
        raise Invalid(f"The request body is not valid JSON: {bad.args[0] if bad.args else bad}") from bad
