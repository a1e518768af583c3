"""Matching Service Opus customers and items to the records a ledger already holds, for the admin to review.

Books that already exist hold the customers and items Service Opus knows, under names typed by other hands.
Each Service Opus record gets at most one proposed ledger counterpart, by the first rule that finds one:

1. **Our stamp** (score 100): the ledger record carries the record's external id (`SO-C42`): it is ours.
2. **Same name** (95): the names are identical once trimmed, and no email contradicts it.
3. **Same email** (90, customers only): one ledger record uses the address, ignoring case and spaces around it.
4. **Same name once normalised** (80): equal ignoring case, accents (Unicode NFKD with the combining marks
   dropped; ø, æ, ß and the like spelled out), punctuation and spacing ("José  O'Brien" = "jose obrien").
5. **Same name but a company suffix** (70): equal once a trailing legal form is dropped too (Inc, Ltd, LLC,
   Corp, Co, GmbH, ...: `COMPANY_SUFFIXES`), so "Acme Plumbing Ltd." = "ACME Plumbing".

A ledger record goes to one Service Opus record at most: the proposals are settled best score first, and a record
stamped with another external id is never proposed for anyone else. Scores of 95 and up are "exact": the review
page accepts them all at once; the rest wait for the admin one by one. Nothing here writes anything.
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ledger_sync.core.ledger import LedgerListing
from ledger_sync.core.records import EntityType

EXACT_SCORE = 95
"""Proposals scoring this or more are accepted together by "accept all exact matches"."""
COMPANY_SUFFIXES = frozenset(
    {
        "inc",
        "incorporated",
        "ltd",
        "limited",
        "llc",
        "llp",
        "lp",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "pty",
        "gmbh",
        "ag",
        "sa",
        "sarl",
        "bv",
        "ulc",
        "pc",
    }
)
"""Legal forms rule 5 ignores at the end of a name (after normalisation, so "L.L.C." is "llc")."""
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_UNDECOMPOSED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ı": "i"})
"""Latin letters NFKD leaves whole (they are letters of their own, not accented ones), spelled as people type them."""
_STAMPS = {
    EntityType.CUSTOMER: re.compile(r"^SO-C[0-9]+$"),
    EntityType.ITEM: re.compile(r"^SO-I[0-9]+$"),
    EntityType.INVOICE: re.compile(r"^SO-I[0-9]+$"),
}
"""What our external ids look like (`records.Record.external_id`), to tell a stamp from a bookkeeper's text."""


def stamp_in(entity_type: EntityType, text: str | None) -> str | None:
    """Our external id among the words of a ledger field (QBO Notes start with it; a Xero ContactNumber or an
    item code is it), or None."""
    return next((word for word in (text or "").split() if _STAMPS[entity_type].match(word)), None)


class MatchRule(StrEnum):
    """Which rule found a proposal, strongest first; stored as its value."""

    STAMP = "stamp"
    NAME = "name"
    EMAIL = "email"
    NORMALISED_NAME = "normalised_name"
    NAME_WITHOUT_SUFFIX = "name_without_suffix"


SCORES = {
    MatchRule.STAMP: 100,
    MatchRule.NAME: 95,
    MatchRule.EMAIL: 90,
    MatchRule.NORMALISED_NAME: 80,
    MatchRule.NAME_WITHOUT_SUFFIX: 70,
}


@dataclass(frozen=True)
class SourceParty:
    """A Service Opus customer or item to match: its id, external id (our stamp), name and email."""

    source_id: int
    external_id: str
    name: str
    email: str | None = None


@dataclass(frozen=True)
class Proposal:
    """A proposed link: this Service Opus record is that ledger record, found by `rule`."""

    source_id: int
    ledger_id: str
    ledger_name: str
    rule: MatchRule

    @property
    def score(self) -> int:
        return SCORES[self.rule]

    @property
    def exact(self) -> bool:
        return self.score >= EXACT_SCORE

    def reason(self, ledger_email: str | None = None) -> str:
        """The rule in a bookkeeper's words."""
        return {
            MatchRule.STAMP: "Already carries this record's Service Opus id",
            MatchRule.NAME: "Same name",
            MatchRule.EMAIL: f"Same email ({ledger_email.strip()})" if ledger_email else "Same email",
            MatchRule.NORMALISED_NAME: "Same name apart from case, accents, punctuation or spacing",
            MatchRule.NAME_WITHOUT_SUFFIX: "Same name apart from case, accents, punctuation and a company suffix",
        }[self.rule]


def normalise_name(name: str) -> str:
    """Lower case, accents dropped (NFKD, combining marks removed), punctuation and spacing made one space."""
    decomposed = unicodedata.normalize("NFKD", name.casefold().translate(_UNDECOMPOSED))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = plain.replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(_NOT_WORD.sub(" ", plain).split())


def without_suffix(normalised: str) -> str:
    """A normalised name without its trailing legal forms ("acme plumbing co ltd" -> "acme plumbing"); a name
    that is nothing but a suffix stays as it is."""
    words = normalised.replace("l l c", "llc").split()
    while len(words) > 1 and words[-1] in COMPANY_SUFFIXES:
        words.pop()
    return " ".join(words)


def _email(value: str | None) -> str | None:
    return value.strip().casefold() or None if value else None


def _index(listings: Iterable[LedgerListing], key: str) -> dict[str, list[LedgerListing]]:
    found: dict[str, list[LedgerListing]] = {}
    for listing in listings:
        value = {
            "name": listing.name.strip(),
            "email": _email(listing.email),
            "normalised": normalise_name(listing.name),
            "suffixless": without_suffix(normalise_name(listing.name)),
        }[key]
        if value:
            found.setdefault(value, []).append(listing)
    return found


def propose(sources: Sequence[SourceParty], listings: Sequence[LedgerListing]) -> list[Proposal]:
    """At most one proposal per Service Opus record and per ledger record, best score first (see the module)."""
    by_stamp = {listing.stamp: listing for listing in listings if listing.stamp}
    free = [listing for listing in listings if not listing.stamp]
    indexes = {key: _index(free, key) for key in ("name", "email", "normalised", "suffixless")}
    wanted: list[Proposal] = []
    for source in sources:
        if (stamped := by_stamp.get(source.external_id)) is not None:
            wanted.append(Proposal(source.source_id, stamped.id, stamped.name, MatchRule.STAMP))
            continue
        found = _by_rules(source, indexes)
        if found is not None:
            wanted.append(found)
    taken: set[str] = set()
    settled: list[Proposal] = []
    for proposal in sorted(wanted, key=lambda p: (-p.score, p.source_id)):
        if proposal.ledger_id not in taken:
            taken.add(proposal.ledger_id)
            settled.append(proposal)
    return sorted(settled, key=lambda p: p.source_id)


def _by_rules(source: SourceParty, indexes: dict[str, dict[str, list[LedgerListing]]]) -> Proposal | None:
    """The first rule with exactly one ledger record, or the one record among several that the email agrees with."""
    email = _email(source.email)
    normalised = normalise_name(source.name)
    keys = [
        (MatchRule.NAME, "name", source.name.strip()),
        (MatchRule.EMAIL, "email", email),
        (MatchRule.NORMALISED_NAME, "normalised", normalised),
        (MatchRule.NAME_WITHOUT_SUFFIX, "suffixless", without_suffix(normalised)),
    ]
    for rule, key, value in keys:
        if not value:
            continue
        found = indexes[key].get(value, [])
        if rule is not MatchRule.EMAIL:
            # Another email on file says it is another party of the same name.
            found = [f for f in found if not (email and _email(f.email) and _email(f.email) != email)]
        if len(found) > 1 and email:
            found = [f for f in found if _email(f.email) == email] or found
        if len(found) == 1:
            return Proposal(source.source_id, found[0].id, found[0].name, rule)
    return None
