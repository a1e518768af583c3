"""The validation panel: the sync's own run gates, evaluated against the live ledger on request.

The same inputs and Great Expectations suites as a sync run (`mapping_gate_inputs` + `run_gates`), so
what passes here passes at the start of the next sync. The gates write a Data Docs page, linked from
the panel and served under /reports/. Checks run only on a POST (Run checks, saving the mapping); the
result is kept per connection (`expectations.last_checks`, which every sync refreshes too) and a page load
only reads it, so loading the page writes nothing.
"""

from datetime import UTC, datetime

from ledger_sync.connectors.registry import ledger_label
from ledger_sync.core.ledger import LedgerAccount, LedgerTaxRate
from ledger_sync.core.mapping import LedgerMapping, SourceBankAccount, SourceCategory, SourceTaxRate
from ledger_sync.core.tracking import LedgerTrackingOption, SourceTrackingValue
from ledger_sync.expectations.gate_inputs import mapping_gate_inputs
from ledger_sync.expectations.last_checks import ValidationView, gx_dir, keep_validation
from ledger_sync.settings import Settings
from ledger_sync.state.store import ConnectionInfo


def validate(
    settings: Settings,
    connection: ConnectionInfo,
    mapping: LedgerMapping,
    source_rates: list[SourceTaxRate],
    categories: list[SourceCategory],
    chart: tuple[list[LedgerAccount], list[LedgerTaxRate], list[LedgerTrackingOption]] | None,
    bank_accounts: list[SourceBankAccount] | None = None,
    tracking: list[SourceTrackingValue] | None = None,
) -> ValidationView:
    """Run the gates and keep the result; with `chart` None (unreadable) only the connection check means anything."""
    from ledger_sync.expectations.gates import run_gates

    accounts, rates, options = chart or ([], [], [])
    inputs = mapping_gate_inputs(
        source_rates,
        mapping,
        {a.id: a for a in accounts},
        {t.id: t for t in rates},
        {c.id: c.name for c in categories},
        connection,
        ledger_label(connection.ledger),
        bank_accounts or [],
        tracking or [],
        {o.id: o for o in options},
    )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    report = run_gates(inputs, context_dir=gx_dir(settings.home), run_name=f"settings-{connection.id}-{stamp}")
    return keep_validation(settings.home, connection.id, report, chart_read=chart is not None)
