"""Items: a unique Code (<= 30), optional sales details whose account must be an active one."""

from typing import Any

from ledger_sync.sandboxes.xero.books import Books, Invalid
from ledger_sync.sandboxes.xero.taxmath import unit_amount

_WRITABLE = ("Code", "Name", "Description", "PurchaseDescription", "IsSold", "IsPurchased")


def existing(books: Books, element: dict[str, Any]) -> dict[str, Any] | None:
    """The item a POST updates: by ItemID, else by Code."""
    if element.get("ItemID"):
        found = books.find("Items", element["ItemID"])
        if found is None:
            raise Invalid("Item not found")
        return found
    return books.find("Items", element.get("Code")) if element.get("Code") else None


def save(books: Books, element: dict[str, Any], current: dict[str, Any] | None, unitdp: int) -> dict[str, Any]:
    item = dict(current) if current else {"ItemID": books.new_id(), "IsSold": True, "IsPurchased": False}
    item.update({field: element[field] for field in _WRITABLE if field in element})
    item.setdefault("IsTrackedAsInventory", False)
    errors = []
    code = str(item.get("Code") or "").strip()
    if not code:
        errors.append("Item code must be specified.")
    elif len(code) > 30:
        errors.append("The Item Code must not be more than 30 characters long.")
    elif any(
        other["ItemID"] != item["ItemID"] and other["Code"].casefold() == code.casefold()
        for other in books.store.matching(books.tenant, "Items", "Code", code)
    ):
        errors.append(f"Item code '{code}' already exists.")
    if "SalesDetails" in element:
        try:
            item["SalesDetails"] = _sales_details(books, element["SalesDetails"], unitdp)
        except Invalid as bad:
            errors.extend(bad.messages)
    if errors:
        raise Invalid(*errors)
    item["Code"] = code
    item.setdefault("Name", code)
    return books.save("Items", item)


def _sales_details(books: Books, details: Any, unitdp: int) -> dict[str, Any]:
    if not isinstance(details, dict):
        raise Invalid("SalesDetails must be an object.")
    result: dict[str, Any] = {}
    if "UnitPrice" in details:
        result["UnitPrice"] = unit_amount(details["UnitPrice"], unitdp)
    if details.get("AccountCode"):
        account = books.find("Accounts", details["AccountCode"])
        if account is None or account.get("Status") != "ACTIVE":
            raise Invalid(f"Account code '{details['AccountCode']}' is not a valid code for this document.")
        result["AccountCode"] = account["Code"]
    if details.get("TaxType"):
        result["TaxType"] = details["TaxType"]
    return result
