"""A fan-out makes sure of its companies' Prefect limits once; each run's slot then asks the server for them only
where nobody made sure of them."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ledger_sync import limits
from ledger_sync.limits import CompanyLimits, company_slot, limits_ensured
from ledger_sync.settings import Settings


def test_a_slot_inside_limits_ensured_does_not_ask_for_its_companys_limits_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[list[int]] = []
    held: list[str] = []

    @contextmanager
    def concurrency(name: str, **_: object) -> Iterator[None]:
        held.append(name)
        yield

    monkeypatch.setattr(limits, "ensure_limits", lambda items: asked.append([i.company_id for i in items]))
    monkeypatch.setattr(limits, "concurrency", concurrency)
    settings = Settings()
    with limits_ensured([CompanyLimits.from_settings(settings, c) for c in (1, 2)]):
        with company_slot(settings, 1), company_slot(settings, 2):
            pass
        with company_slot(settings, 3):
            pass
    with company_slot(settings, 1):
        pass

    assert asked == [[1, 2], [3], [1]], "once for the block's companies, then per run outside them"
    assert held == [limits.company_slot_name(c) for c in (1, 2, 3, 1)], "every run still holds its slot"
