"""The `ledger-sync` command line: the entry point for everything."""

import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ledger_sync.connectors.registry import UnknownLedger, get, known_ledger, ledger_label, names
from ledger_sync.core.runs import RunOutcome, RunSummary
from ledger_sync.core.sync_state import RecordState
from ledger_sync.sandboxes.plugin import SandboxOptions, SandboxPlugin, load_sandbox
from ledger_sync.settings import Settings

# Prefect's server would phone home for telemetry; this machine (and many customers') has no such network.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

app = typer.Typer(help="Opus Ledger Sync: Service Opus -> QuickBooks Online / Xero.", no_args_is_help=True)
db_app = typer.Typer(help="The state store's schema.", no_args_is_help=True)
sandbox_app = typer.Typer(help="Local sandboxes of the ledger APIs.", no_args_is_help=True)
keys_app = typer.Typer(
    help="The token encryption keys (LEDGER_SYNC_ENCRYPTION_KEYS, comma-separated, newest first).",
    no_args_is_help=True,
)
app.add_typer(db_app, name="db")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(keys_app, name="keys")
console = Console()


def _known_ledger(ledger: str) -> str:
    try:
        return known_ledger(ledger)
    except UnknownLedger as exc:
        raise typer.BadParameter(str(exc), param_hint="--ledger") from None


Company = Annotated[int, typer.Option(help="Service Opus company id.")]
Ledger = Annotated[
    str,
    typer.Option(
        help=" or ".join(f"{name} ({ledger_label(name)})" for name in names()),
        callback=_known_ledger,
    ),
]


class QboCountry(StrEnum):
    """Countries a sandbox QBO company can be created in."""

    CA = "CA"
    US = "US"


@app.callback()
def _check_encryption_keys(ctx: typer.Context) -> None:
    # Before any command (but keygen, which makes a key, and a command's --help): a malformed key is one line,
    # never a traceback.
    if ctx.invoked_subcommand == "keygen" or "--help" in sys.argv[1:]:
        return
    from ledger_sync.state.tokens import EncryptionKeyError, configured_keys

    try:
        configured_keys(Settings())
    except EncryptionKeyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the state store to the newest schema (LEDGER_SYNC_STATE_URL)."""
    from ledger_sync.state.db import upgrade_state

    settings = Settings()
    upgrade_state(settings.resolved_state_url)
    console.print("State store is at the newest schema.")


@app.command()
def keygen() -> None:
    """Print a new encryption key for LEDGER_SYNC_ENCRYPTION_KEYS (tokens are encrypted at rest)."""
    from cryptography.fernet import Fernet

    typer.echo(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored token with the newest key (the first of LEDGER_SYNC_ENCRYPTION_KEYS); then the
    older keys can be removed. Exit code 1 if some connection's tokens no key opens (marked needs reconnect)."""
    from ledger_sync.state.key_rotation import rotate_keys
    from ledger_sync.state.store import StateStore
    from ledger_sync.state.tokens import EncryptionKeyError, TokenCipher

    settings = Settings()
    try:
        cipher = TokenCipher.from_settings(settings)
    except EncryptionKeyError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    store = StateStore.open(settings)
    try:
        result = rotate_keys(store.sessions, cipher)
    finally:
        store.close()
    typer.echo(
        f"Re-encrypted with the newest key: {result.connections} connection(s), "
        f"{result.pending} authorization(s) in flight."
    )
    if result.dropped_pending:
        typer.echo(f"Forgot {result.dropped_pending} unreadable authorization(s) in flight (click Connect again).")
    for company_id, ledger in result.unreadable:
        typer.echo(
            f"Company {company_id}, {ledger_label(ledger)}: no configured key opens its tokens; marked "
            "needs reconnect (reconnect it in Settings, or add the missing key and run this again)."
        )
    if result.unreadable:
        raise typer.Exit(1)
    typer.echo("Every stored token now opens with the newest key alone: the older keys can be removed.")


@app.command("seed")
def seed_command(
    invoices: Annotated[int, typer.Option(min=0, help="How many invoices to generate.")] = 200,
    companies: Annotated[int, typer.Option(min=1, help="Spread over this many companies.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    foreign_customers: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Share of customers billed in the neighbouring currency (USD for a Canadian company), "
            "at recorded exchange rates.",
        ),
    ] = 0.0,
) -> None:
    """Generate realistic, deterministic Service Opus data into LEDGER_SYNC_SOURCE_URL."""
    from ledger_sync.connectors.service_opus.seed import seed as generate
    from ledger_sync.state.db import make_engine

    engine = make_engine(Settings().resolved_source_url)
    summary = generate(engine, invoices=invoices, companies=companies, seed=seed, foreign_share=foreign_customers)
    engine.dispose()
    console.print(summary)


def _sandbox_command(ledger: str, sandbox: SandboxPlugin) -> Callable[..., None]:
    """`ledger-sync sandbox <ledger>`: serve the ledger's local sandbox in the foreground."""

    def serve(
        host: Annotated[str, typer.Option(help="Bind address (loopback by default).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="Port.")] = sandbox.default_port,
        db: Annotated[Path | None, typer.Option(help="Sandbox ledger file (<LEDGER>_SANDBOX_DB_PATH).")] = None,
        time_scale: Annotated[float | None, typer.Option(help="Sandbox seconds per real second.")] = None,
        auto_consent: Annotated[bool, typer.Option(help="Consent without showing the consent page.")] = False,
    ) -> None:
        import uvicorn

        uvicorn.run(sandbox.create_app(SandboxOptions(db, time_scale, auto_consent)), host=host, port=port)

    serve.__doc__ = sandbox.description
    return serve


for _ledger in names():
    if (_module := get(_ledger).sandbox) is not None:
        sandbox_app.command(_ledger)(_sandbox_command(_ledger, load_sandbox(_module)))


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Bind address (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve Settings -> Integrations -> Accounting (needs LEDGER_SYNC_ADMIN_PASSWORD and, outside demo mode,
    LEDGER_SYNC_SESSION_SECRET and LEDGER_SYNC_ENCRYPTION_KEYS)."""
    import uvicorn

    from ledger_sync.state.tokens import EncryptionKeyError
    from ledger_sync.web.app import create_app
    from ledger_sync.web.security import WebSetupError

    try:
        application = create_app(Settings())
    except (WebSetupError, EncryptionKeyError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    uvicorn.run(application, host=host, port=port)


@app.command("map")
def map_command(company: Company = 1, ledger: Ledger = "qbo") -> None:
    """Save the suggested mapping (read from the live ledger) for the company's connection."""
    from ledger_sync.onboarding import apply_suggested_mapping
    from ledger_sync.state.store import StateStore

    settings = Settings()
    store = StateStore.open(settings)
    try:
        mapping = apply_suggested_mapping(settings, store, company, ledger)
    finally:
        store.close()
    console.print(mapping)


def _summary_table(summary: RunSummary) -> Table:
    table = Table(title=f"Sync of company {summary['company_id']}: {summary['outcome']}")
    table.add_column("entity")
    entities = summary["entities"]
    counters = list(next(iter(entities.values())))
    for counter in counters:
        table.add_column(counter, justify="right")
    for name, counts in entities.items():
        table.add_row(name, *(str(counts[c]) for c in counters))
    return table


def print_summary(summary: RunSummary) -> None:
    console.print(_summary_table(summary))
    console.print(f"API calls: {summary['api_calls']}")
    for failure in summary["gate_failures"]:
        console.print(f"[red]Gate failed:[/red] {failure}")
    if summary.get("report"):
        console.print(f"Validation report: {summary['report']}")


@app.command()
def sync(company: Company = 1, ledger: Ledger = "qbo", page_size: int = 500) -> None:
    """Run the sync flow for one company now (exit code 2 if a gate stopped it, 3 if it is already syncing)."""
    from ledger_sync.flows.sync import sync_company
    from ledger_sync.state.slots import CompanyBusy

    try:
        summary = sync_company(company_id=company, ledger=ledger, page_size=page_size)
    except CompanyBusy as busy:
        console.print(f"[red]{busy}[/red]; try again when that run has finished.")
        raise typer.Exit(3) from None
    print_summary(summary)
    if summary["outcome"] == RunOutcome.STOPPED_AT_GATE:
        raise typer.Exit(2)


@app.command()
def reconcile(
    company: Company = 1,
    ledger: Ledger = "qbo",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Compare the ledger with Service Opus to the cent (and show bank balances); re-queue what went missing (exit
    code 1 on differences)."""
    from ledger_sync.flows.reconcile import reconcile_company

    result: dict[str, Any] = reconcile_company(company_id=company, ledger=ledger)
    differences: list[dict[str, str]] = result["differences"]
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        table = Table(title=f"Reconciliation of company {company} with {ledger}: {len(differences)} differences")
        for column in ("what", "difference", "Service Opus", "ledger", "what to do"):
            table.add_column(column)
        for d in differences:
            what = f"{d['entity_type']} {d['label']}"
            table.add_row(what, d["kind"], d["expected"] or "", d["found"] or "", d["what_to_do"])
        console.print(table)
        total = result["receivables"][-1]
        console.print(f"Accounts receivable: Service Opus {total['expected']}, ledger {total['ledger']}")
        for bank in result.get("bank_balances", []):
            found = bank["ledger"] or "not reported"
            console.print(f"Bank account {bank['name']}: Service Opus {bank['expected']}, ledger {found}")
        for tracked in result.get("tracked_revenue", []):
            console.print(
                f"Revenue of {tracked['label']}: Service Opus {tracked['expected']}, ledger {tracked['ledger']}"
            )
        console.print(
            f"{result['invoices']} invoices, {result['payments']} payments checked; saved as {result['file']}"
        )
    if differences:
        raise typer.Exit(1)


@app.command()
def status(
    company: Company = 1,
    ledger: Ledger = "qbo",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    list_state: Annotated[
        RecordState | None, typer.Option("--list", help="List the records in this state, with why.")
    ] = None,
) -> None:
    """Per entity type: records in Service Opus, synced, parked, waiting, skipped and pending; the last run."""
    from ledger_sync.state.store import StateStore
    from ledger_sync.status import company_status, listed

    settings = Settings()
    store = StateStore.open(settings)
    try:
        if list_state is not None:
            rows = listed(settings, store, company, ledger, list_state)
        else:
            report = company_status(settings, store, company, ledger)
    finally:
        store.close()
    if list_state is not None:
        if as_json:
            typer.echo(json.dumps([{"entity": e, "id": i, "why": why} for e, i, why in rows], indent=2))
        for entity, source_id, why in [] if as_json else rows:
            typer.echo(f"{entity} {source_id}: {why}")
        return
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    console.print(report)


@app.command()
def demo(
    ledger: Ledger = "qbo",
    invoices: Annotated[int, typer.Option(min=1, help="Invoices to seed.")] = 200,
    home: Annotated[Path, typer.Option(help="Working folder, recreated.")] = Path(".ledger-sync/demo"),
    qbo_country: Annotated[
        QboCountry, typer.Option(case_sensitive=False, help="QBO: the sandbox company's country.")
    ] = QboCountry.CA,
    automated_sales_tax: Annotated[bool, typer.Option(help="QBO, US company: on Automated Sales Tax.")] = False,
) -> None:
    """Seed, start the sandbox, connect, map, sync twice (the second run must write nothing), report."""
    from ledger_sync.demo import QboCompany, run_demo

    if get(ledger).sandbox is None:
        raise typer.BadParameter(f"{ledger_label(ledger)} has no local sandbox for the demo", param_hint="--ledger")
    try:
        qbo_company = QboCompany(qbo_country.value, automated_sales_tax)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--qbo-country") from exc
    if ledger == "qbo":
        console.print(f"QBO sandbox company: {qbo_company.label}")
    result = run_demo(home, invoices, ledger, qbo_company)
    print_summary(result.first_run)
    parked = Table(title="Parked records (retried on every run, released when fixed)")
    for column in ("entity", "source id", "reason"):
        parked.add_column(column)
    for entity, source_id, reason in result.parked:
        parked.add_row(entity, str(source_id), reason)
    console.print(parked)
    console.print(f"Second run: {result.writes_on_second_run} writes to the ledger ({result.second_run['outcome']}).")
    console.print_json(json.dumps(result.status))
    console.print(f"Sandbox ledger: {result.sandbox_db}")
    if result.writes_on_second_run:
        raise typer.Exit(1)


@app.command()
def up(
    prefect_port: Annotated[int, typer.Option(help="Prefect server and UI port.")] = 4200,
    qbo_port: Annotated[int, typer.Option(help="QBO sandbox port.")] = 8765,
    xero_port: Annotated[int, typer.Option(help="Xero sandbox port.")] = 8766,
    web_port: Annotated[int, typer.Option(help="Settings page port.")] = 8000,
) -> None:
    """Start the local stack (Prefect server, worker, live sync, sandboxes, outbox relay, settings page), deploy, and
    run until Ctrl-C. PostgreSQL: LEDGER_SYNC_STATE_URL and PREFECT_API_DATABASE_CONNECTION_URL."""
    import signal
    import threading

    from ledger_sync.stack import Ports, run_stack

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    code = run_stack(
        Settings(), Ports(prefect_port, web_port, {"qbo": qbo_port, "xero": xero_port}), stop, console.print
    )
    raise typer.Exit(code)


@app.command("setup-limits")
def setup_limits_command() -> None:
    """Create the work pool, and create or update each connected company's Prefect limits: one sync at a
    time, paced API calls (LEDGER_SYNC_COMPANY_API_CALLS_PER_MINUTE, _API_BURST); and the automation that
    calls LEDGER_SYNC_NOTIFY_WEBHOOK_URL when a run parks new records or a connection needs reconnecting."""
    from ledger_sync.stack import prepare_prefect

    for name in prepare_prefect(Settings()):
        console.print(f"Set up {name}")


@app.command()
def relay(
    follow: Annotated[bool, typer.Option(help="Keep relaying until interrupted.")] = False,
    interval: Annotated[float, typer.Option(min=0.1, help="Seconds between passes with --follow.")] = 0.5,
) -> None:
    """Send Service Opus's outbox (locks and collections) to Prefect as events; rows wait while it is down."""
    import logging
    import signal
    import threading

    from ledger_sync.events.outbox import ensure_outbox, relay_until
    from ledger_sync.events.outbox import relay as relay_once
    from ledger_sync.state.db import make_engine

    engine = make_engine(Settings().resolved_source_url)
    ensure_outbox(engine)
    try:
        if not follow:
            console.print(f"Sent {relay_once(engine)} event(s).")
            return
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        relay_until(engine, stop, interval)
    finally:
        engine.dispose()


@app.command()
def live(
    quiet: Annotated[
        float, typer.Option(min=0.0, help="Seconds a company's events must be quiet before its sync starts.")
    ] = 0.5,
    max_wait: Annotated[float, typer.Option(min=0.0, help="Seconds a company's first event waits at most.")] = 2.0,
    concurrency: Annotated[int, typer.Option(min=1, help="Companies synced at once.")] = 4,
) -> None:
    """Serve the live sync: follow Service Opus's events on the Prefect server (PREFECT_API_URL) and sync each
    company's burst of events in one run, in this warm process, until interrupted."""
    import logging
    import signal
    import threading

    from ledger_sync.flows.live import LiveOptions, serve_live

    if max_wait < quiet:
        raise typer.BadParameter("must be at least --quiet", param_hint="--max-wait")
    # Prefect's logging (set up on import) prints warnings of other loggers; this process's batches are news too
    for news in ("ledger_sync.flows.live", "ledger_sync.events.emitter"):
        logging.getLogger(news).setLevel(logging.INFO)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    serve_live(stop, LiveOptions(quiet_seconds=quiet, max_wait_seconds=max_wait, concurrency=concurrency))
