"""Matching Service Opus customers and items to books that already exist (`core.matching`)."""

import pytest

from ledger_sync.core.ledger import LedgerListing
from ledger_sync.core.matching import MatchRule, SourceParty, normalise_name, propose, without_suffix
from ledger_sync.core.records import EntityType
from tests import matching_set


def _listings(entries: list[matching_set.LedgerEntry]) -> list[LedgerListing]:
    return [LedgerListing(f"L-{e.key}", e.name, e.email, e.stamp) for e in entries]


@pytest.mark.parametrize(
    ("name", "normalised"),
    [
        ("  José   García ", "jose garcia"),
        ("O'Brien & Sons, Inc.", "obrien and sons inc"),
        ("MÜLLER-SÖHNE", "muller sohne"),
        ("Ørsted Æble", "orsted aeble"),
    ],
)
def test_names_are_normalised_for_case_accents_punctuation_and_spacing(name: str, normalised: str) -> None:
    assert normalise_name(name) == normalised


def test_company_suffixes_are_dropped_only_at_the_end() -> None:
    assert without_suffix("acme plumbing co ltd") == "acme plumbing"
    assert without_suffix("co op bakery") == "co op bakery"
    assert without_suffix("inc") == "inc"


def test_the_review_set_is_matched_with_over_95_percent_precision_and_recall() -> None:
    data = matching_set.build()
    for kind, sources, entries, truth in (
        (EntityType.CUSTOMER, data.customers, data.ledger_customers, data.customer_truth),
        (EntityType.ITEM, data.items, data.ledger_items, data.item_truth),
    ):
        proposals = propose(sources, _listings(entries))
        key_of = {f"L-{e.key}": e.key for e in entries}
        precision, recall = matching_set.precision_recall(proposals, truth, key_of)
        print(f"{kind.value}: {len(proposals)} proposals, precision {precision:.1%}, recall {recall:.1%}")
        assert precision > 0.95 and recall > 0.95
        assert not [p for p in proposals if p.source_id not in truth], "a stranger was proposed"


def test_rules_score_and_explain_each_proposal() -> None:
    sources = [
        SourceParty(1, "SO-C1", "Harbour Dental", "a@x.example"),
        SourceParty(2, "SO-C2", "Maple Bakery", "b@x.example"),
        SourceParty(3, "SO-C3", "Zoë Café Ltd", None),
        SourceParty(4, "SO-C4", "Pat Jones", "pat@x.example"),
    ]
    listings = [
        LedgerListing("9", "Harbour Dental Clinic", stamp="SO-C1"),
        LedgerListing("10", "Maple", email=" B@X.example"),
        LedgerListing("11", "ZOE CAFE"),
        LedgerListing("12", "Pat Jones", email="someone@else.example"),
    ]
    found = {p.source_id: p for p in propose(sources, listings)}
    assert {k: (p.ledger_id, p.rule, p.score) for k, p in found.items()} == {
        1: ("9", MatchRule.STAMP, 100),
        2: ("10", MatchRule.EMAIL, 90),
        3: ("11", MatchRule.NAME_WITHOUT_SUFFIX, 70),
    }
    assert found[2].reason(" B@X.example") == "Same email (B@X.example)"
    assert found[1].exact and not found[3].exact


def test_one_ledger_record_goes_to_one_service_opus_record_and_a_foreign_stamp_is_never_proposed() -> None:
    sources = [SourceParty(1, "SO-C1", "Acme", None), SourceParty(2, "SO-C2", "ACME", None)]
    listings = [LedgerListing("5", "ACME"), LedgerListing("6", "Acme", stamp="SO-C77")]
    assert [(p.source_id, p.ledger_id, p.rule) for p in propose(sources, listings)] == [(2, "5", MatchRule.NAME)]
