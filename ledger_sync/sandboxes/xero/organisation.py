"""`GET /Organisation` and the organisation's lock dates.

A bookkeeper sets two lock dates in Xero (Settings -> Advanced -> Financial settings): the period lock date
(no user but an adviser may write on or before it) and the end of year lock date (nobody may). `GET
/Organisation` shows each only when it is set (`PeriodLockDate`, `EndOfYearLockDate`, MS dates). A document
(invoice, credit note, payment) dated on or before the later of the two, or one such document edited, voided or
deleted, is refused with an element ValidationError: "The document date cannot be before the end of year lock
date, currently set at 31-Jul-2013" (xeroizer#92). Stricter than Xero where it is not documented (?): the app
is never treated as an adviser (the period lock date binds it too), a document dated ON the lock date is
refused, and the period lock date's refusal is worded like the end of year one's with "period".
"""

from datetime import date
from typing import Any

from ledger_sync.sandboxes.xero import wire
from ledger_sync.sandboxes.xero.books import Books, Invalid

COLLECTION = "Organisation"
LOCKS = ("PeriodLockDate", "EndOfYearLockDate")
DATED = frozenset({"Invoices", "CreditNotes", "Payments"})
"""The collections whose documents a lock date binds."""
_WORDS = {"PeriodLockDate": "period lock date", "EndOfYearLockDate": "end of year lock date"}


def organisation(books: Books, name: str) -> dict[str, Any]:
    """The organisation as `GET /Organisation` lists it (a Canadian company on the sandbox's chart)."""
    stored = books.get(COLLECTION, books.tenant) or {}
    shown = {lock: wire.day_fields(date.fromisoformat(stored[lock]))[0] for lock in LOCKS if stored.get(lock)}
    return {
        "OrganisationID": books.tenant,
        "Name": name,
        "LegalName": name,
        "PaysTax": True,
        "Version": "GLOBAL",
        "OrganisationType": "COMPANY",
        "BaseCurrency": "CAD",
        "CountryCode": "CA",
        "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": 31,
        "FinancialYearEndMonth": 12,
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        **shown,
        "OrganisationEntityType": "COMPANY",
        "Timezone": "EASTERNSTANDARDTIME",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    }


def set_lock_dates(books: Books, dates: dict[str, date | None]) -> None:
    """Set (a date) or clear (None) each lock date named in `dates`."""
    stored = books.get(COLLECTION, books.tenant) or {"OrganisationID": books.tenant}
    for lock in LOCKS:
        if lock in dates:
            day = dates[lock]
            stored[lock] = day.isoformat() if day else None
    books.save(COLLECTION, stored)


def check_open(books: Books, collection: str, *docs: dict[str, Any] | None) -> None:
    """Refuse the write when a document it creates or changes is dated on or before a lock date."""
    if collection not in DATED:
        return
    stored = books.get(COLLECTION, books.tenant) or {}
    locks = [(date.fromisoformat(stored[lock]), lock) for lock in LOCKS if stored.get(lock)]
    if not locks:
        return
    until, lock = max(locks)
    days = [wire.parse_day(doc["Date"]) for doc in docs if doc and doc.get("Date")]
    if any(day <= until for day in days):
        raise Invalid(
            f"The document date cannot be before the {_WORDS[lock]}, currently set at {until.strftime('%d-%b-%Y')}"
        )
