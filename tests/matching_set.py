"""Books that already exist: 200 Service Opus customers and 50 items against a ledger a bookkeeper filled by hand,
with the links a person would make (the truth the review is measured against).

Customers 1-10 carry our stamp in the ledger under a name the bookkeeper changed; 11-50 have the same name;
51-100 only the same email (another name, another case); 101-150 the same name in another case, accents,
punctuation, spacing or with a company suffix; 151-200 are strangers: no counterpart, though the ledger holds
near misses (a longer word, the same name with another person's email). Items 1-5 are stamped, 6-25 the same
name, 26-40 a variant, 41-50 strangers. The ledger holds 60 customers and 10 items of its own besides.
"""

from dataclasses import dataclass

from ledger_sync.core.matching import Proposal, SourceParty

TRADES = ["Plumbing", "Heating", "Electric", "Roofing", "Dental", "Bakery", "Garage", "Landscaping", "HVAC", "Glass"]
PLACES = ["Harbour", "North Star", "Maple", "Riverside", "Summit", "Cedar", "Lakeside", "Pioneer", "Granite", "Willow"]
ACCENTED = ["José García", "Zoë Lefèvre", "Renée Côté", "Ångström", "Müller & Söhne", "Ørsted", "Noël Brûlé"]


@dataclass(frozen=True)
class LedgerEntry:
    """A customer or item as the bookkeeper entered it; `key` names it in the truth table."""

    key: str
    name: str
    email: str | None = None
    stamp: str | None = None


@dataclass(frozen=True)
class MatchingSet:
    customers: list[SourceParty]
    items: list[SourceParty]
    ledger_customers: list[LedgerEntry]
    ledger_items: list[LedgerEntry]
    customer_truth: dict[int, str]
    """Service Opus customer id -> the key of its ledger counterpart (strangers are absent)."""
    item_truth: dict[int, str]


def _business(n: int) -> str:
    return f"{PLACES[n % 10]} {TRADES[(n // 10) % 10]} {n}"


def _variant(n: int) -> tuple[str, str]:
    """(Service Opus name, the ledger's spelling of it) for customer n in 101-150."""
    base = f"{ACCENTED[n % len(ACCENTED)]} {TRADES[n % 10]} {n}"
    match n % 5:
        case 0:
            return base, base.upper()
        case 1:
            plain = base.replace("é", "e").replace("ë", "e").replace("è", "e").replace("ô", "o").replace("Å", "A")
            return base, plain.replace("ü", "u").replace("ö", "o").replace("Ø", "O").replace("û", "u")
        case 2:
            return f"{base} Ltd.", f"{base} Limited"
        case 3:
            return f"{base}, Inc", f"  {base.lower()}   inc. "
        case _:
            return base.replace(" ", "  "), base.replace("&", "and")


def build() -> MatchingSet:
    customers: list[SourceParty] = []
    ledger: list[LedgerEntry] = []
    truth: dict[int, str] = {}
    for n in range(1, 201):
        external_id = f"SO-C{n}"
        email = f"billing{n}@customer{n}.example"
        if n <= 10:
            customers.append(SourceParty(n, external_id, _business(n), email))
            ledger.append(LedgerEntry(f"c{n}", f"{_business(n)} (renamed)", None, external_id))
        elif n <= 50:
            customers.append(SourceParty(n, external_id, _business(n), email if n % 2 else None))
            ledger.append(LedgerEntry(f"c{n}", _business(n), email if n % 3 == 0 else None))
        elif n <= 100:
            customers.append(SourceParty(n, external_id, _business(n), email))
            ledger.append(LedgerEntry(f"c{n}", f"Accounts Payable - {PLACES[n % 10]} #{n}", f"  {email.upper()} "))
        elif n <= 150:
            ours, theirs = _variant(n)
            customers.append(SourceParty(n, external_id, ours, email if n % 2 else None))
            ledger.append(LedgerEntry(f"c{n}", theirs))
        else:
            customers.append(SourceParty(n, external_id, _business(n), email))
            near = f"{PLACES[n % 10]} {TRADES[(n // 10) % 10]}s {n}" if n % 2 else _business(n)
            ledger.append(LedgerEntry(f"x{n}", near, f"someone.else{n}@elsewhere.example"))
            continue
        truth[n] = f"c{n}"
    ledger += [LedgerEntry(f"own{k}", f"Walk-in {k} {TRADES[k % 10]}", f"own{k}@walkin.example") for k in range(60)]
    items: list[SourceParty] = []
    ledger_items: list[LedgerEntry] = []
    item_truth: dict[int, str] = {}
    for n in range(1, 51):
        name = f"{TRADES[n % 10]} service call {n}"
        items.append(SourceParty(n, f"SO-I{n}", name))
        if n <= 5:
            ledger_items.append(LedgerEntry(f"i{n}", f"Call-out {n}", None, f"SO-I{n}"))
        elif n <= 25:
            ledger_items.append(LedgerEntry(f"i{n}", name))
        elif n <= 40:
            ledger_items.append(LedgerEntry(f"i{n}", name.upper().replace(" ", "-") + "."))
        else:
            ledger_items.append(LedgerEntry(f"y{n}", f"{TRADES[n % 10]} parts {n}"))
            continue
        item_truth[n] = f"i{n}"
    ledger_items += [LedgerEntry(f"ownitem{k}", f"Misc charge {k}") for k in range(10)]
    return MatchingSet(customers, items, ledger, ledger_items, truth, item_truth)


def precision_recall(proposals: list[Proposal], truth: dict[int, str], key_of: dict[str, str]) -> tuple[float, float]:
    """`key_of`: ledger id -> entry key. Precision: right proposals / proposals; recall: right proposals / links."""
    right = sum(1 for p in proposals if truth.get(p.source_id) == key_of.get(p.ledger_id))
    return right / max(len(proposals), 1), right / max(len(truth), 1)
