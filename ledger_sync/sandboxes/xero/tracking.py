"""Tracking categories and their options: what an organisation reports revenue by, and a line item's `Tracking`.

An organisation has at most two active tracking categories, each with options ACTIVE or ARCHIVED (a category may be
archived too). `GET /TrackingCategories` lists the active ones with their active options; `includeArchived=true`
adds the archived ones (Xero's spec). A line item carries at most two `Tracking` entries, one per category, each
naming its category (`Name` or `TrackingCategoryID`) and option (`Option` or `TrackingOptionID`). Xero has been
reported to drop a tracking entry it cannot match without a word (xero-node #516, xero-php #636); the sandbox
refuses an unknown or archived category or option instead (stricter), so a lost tracking never passes unseen.
"""

from typing import Any

from ledger_sync.sandboxes.xero.books import Books, Invalid
from ledger_sync.sandboxes.xero.store import Store

COLLECTION = "TrackingCategories"
MAX_PER_LINE = 2

CATEGORIES: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Business Unit", (("North Branch", "ACTIVE"), ("South Branch", "ACTIVE"), ("Closed Branch", "ARCHIVED"))),
    ("Technician", (("Alex Rivera", "ACTIVE"), ("Sam Chen", "ACTIVE"), ("Former Technician", "ARCHIVED"))),
)
"""A new sandbox organisation's two tracking categories, as a field-service company sets them up."""


def seed(store: Store, tenant: str) -> None:
    for name, options in CATEGORIES:
        category_id = Books.new_id()
        category = {
            "TrackingCategoryID": category_id,
            "Name": name,
            "Status": "ACTIVE",
            "Options": [{"TrackingOptionID": Books.new_id(), "Name": o, "Status": status} for o, status in options],
        }
        store.put(tenant, COLLECTION, category_id, category)


def listed(categories: list[dict[str, Any]], include_archived: bool) -> list[dict[str, Any]]:
    if include_archived:
        return categories
    return [
        {**category, "Options": [o for o in category["Options"] if o.get("Status") == "ACTIVE"]}
        for category in categories
        if category.get("Status") == "ACTIVE"
    ]


def _find(docs: list[dict[str, Any]], id_field: str, wanted_id: object, wanted_name: object) -> dict[str, Any] | None:
    """By id when one is given (Xero matches ids exactly, names ignoring case), else by name."""
    for doc in docs:
        if wanted_id and str(doc.get(id_field, "")).casefold() == str(wanted_id).casefold():
            return doc
        if not wanted_id and isinstance(wanted_name, str) and doc["Name"].casefold() == wanted_name.strip().casefold():
            return doc
    return None


def line_tracking(books: Books, raw: object) -> list[dict[str, Any]]:
    """A line item's `Tracking` as Xero saves it (names and ids), or `Invalid` naming what it cannot carry."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise Invalid("Tracking must be a list of tracking categories.")
    if len(raw) > MAX_PER_LINE:
        raise Invalid(f"A line item can have at most {MAX_PER_LINE} tracking categories.")
    saved: list[dict[str, Any]] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise Invalid("Each tracking category must be an object.")
        wanted = entry.get("Name") or entry.get("TrackingCategoryID")
        category = _find(
            books.all(COLLECTION), "TrackingCategoryID", entry.get("TrackingCategoryID"), entry.get("Name")
        )
        if category is None or category.get("Status") != "ACTIVE":
            raise Invalid(f"The tracking category '{wanted}' does not exist or is not active.")
        option_name = entry.get("Option") or entry.get("TrackingOptionID")
        option = _find(category["Options"], "TrackingOptionID", entry.get("TrackingOptionID"), entry.get("Option"))
        if option is None or option.get("Status") != "ACTIVE":
            raise Invalid(
                f"The tracking option '{option_name}' does not exist or is not active in category '{category['Name']}'."
            )
        if any(s["TrackingCategoryID"] == category["TrackingCategoryID"] for s in saved):
            raise Invalid(f"A line item can have only one option of tracking category '{category['Name']}'.")
        saved.append(
            {
                "Name": category["Name"],
                "Option": option["Name"],
                "TrackingCategoryID": category["TrackingCategoryID"],
                "TrackingOptionID": option["TrackingOptionID"],
            }
        )
    return saved
