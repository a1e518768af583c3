"""The Great Expectations file context under `context_dir`, the folder finance opens for Data Docs.

Suites, validation definitions and checkpoints are defined in code and saved with `add_or_update`
once per process (again only if their definition changed), so the JSON finance sees is regenerated
from the code that ran without paying the saves on every page. Checkpoints only validate and store
their results; `publish_docs` renders what was validated since the last publication, so a sync run
builds Data Docs once, at its end, not once per check. The record checks of every page are queued
(`queue_validation`) and validated there too, once per suite and run. GX is imported only inside these
functions: it costs seconds to import and the CLI must stay quick. Inside `checks_set_aside` a run's publication
only writes its queued checks to disk, for the next publication outside such a block (the live process's, when it
is idle) to validate and render.

GX writes the rejected values into Data Docs as raw HTML, and those values come from Service Opus users
(a customer named `<script>...`). So the validation results GX keeps, which Data Docs are rendered from,
hold every data string HTML-escaped (`_escaped`); the checks and our parking read the unescaped results.
"""

import fcntl
import html
import json
import pickle
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations import ExpectationSuite
    from great_expectations.data_context import FileDataContext
    from great_expectations.expectations import Expectation

DATASOURCE = "ledger_sync"
DOCS_SITE = "local_site"
DOCS_DIR = Path("uncommitted/data_docs/local_site")
BATCH_DEFINITION = "whole_dataframe"
DOCS_VALIDATIONS_LISTED = 500
"""The Data Docs index lists only the latest validation runs, so it stays quick to build and open."""
QUEUED_ROWS_MAX = 5_000
"""Queued record-check rows of one suite and run validated at once: a run of a million invoices is validated in
parts of this many rows (one validation where ten 500-record pages made ten), so its memory does not grow with it."""
RESULTS_DIR = Path("uncommitted/validations")
"""Where GX keeps validation results (what Data Docs pages are rendered from)."""
RUNS_KEPT = 200
"""Validation runs kept per suite, results and Data Docs pages alike: older ones are deleted whenever Data Docs
are published, so the folder stops growing with every sync and every Run checks."""
SITE: dict[str, Any] = {
    "show_how_to_buttons": False,
    "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{DOCS_DIR}/"},
    "site_index_builder": {
        "class_name": "DefaultSiteIndexBuilder",
        "validation_results_limit": DOCS_VALIDATIONS_LISTED,
    },
}
"""The `local_site` Data Docs site (GX's `data_docs_sites` entry, less its class)."""

_lock = threading.Lock()
"""A GX context is not thread-safe; Prefect may run tasks in threads. Taken through `_exclusive`."""
LOCK_FILE = ".ledger_sync.lock"
"""In the context directory: held (`fcntl.flock`) with `_lock`, as GX's file stores are not safe for two processes
writing at once (two worker processes, the live service and a backfill may share the home)."""
_contexts: dict[Path, "FileDataContext"] = {}
_checkpoints: dict[tuple[Path, str], tuple[str, Any]] = {}
"""(context root, checkpoint name) -> (definition it was saved with, the saved GX Checkpoint)."""
_site_builders: dict[Path, Any] = {}
_unpublished: dict[Path, list[Any]] = {}
"""Per context root: the validation results and suites validated since Data Docs were last built."""
_queued: dict[Path, dict[tuple[str, str], "_Queued"]] = {}
"""Per context root and (suite, run name): the record checks' rows waiting for their validation."""
_queued_lock = threading.Lock()
"""Guards `_queued` alone, never held while waiting for `_lock`: a run queues its checks (and sets them aside)
while another thread validates (the live process's publisher)."""
HELD_VALIDATIONS_MAX = 100
"""Validations whose Data Docs pages a `docs_built_together` block holds back at most: about 15 small companies'
runs, so their pages appear minutes after the runs, not at the end of a long batch."""
_held: ContextVar[bool] = ContextVar("docs_held", default=False)
SET_ASIDE_DIR = Path("uncommitted/checks_set_aside")
"""The queued checks that runs inside `checks_set_aside` left for a later publication, one file per suite and run."""
_setting_aside: ContextVar[bool] = ContextVar("checks_set_aside", default=False)


class ExpectationRunError(RuntimeError):
    """An expectation could not be evaluated, so neither passing nor parking can be trusted."""


@dataclass(frozen=True)
class Unexpected:
    """The rows one expectation rejected: `reason` is the expectation's meta key, `rows` GX's index dicts."""

    reason: str
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class SuiteOutcome:
    suite: str
    success: bool
    failures: list[Unexpected]
    docs_page: Path | None


@dataclass
class _Queued:
    """The rows one suite's record checks saw in one run (a record seen on two pages counts once, as last seen)
    and the reasons the checks rejected each one for. Kept compact (a big run queues thousands): each row as a
    tuple in the order of `columns`, and only the rejected rows' reasons."""

    expectations: Callable[[], list["Expectation"]]
    index_column: str
    columns: tuple[str, ...] = ()
    rows: dict[Any, tuple[Any, ...]] = field(default_factory=dict)
    rejected: dict[Any, list[str]] = field(default_factory=dict)

    def add(self, rows: dict[Any, dict[str, Any]], rejected: dict[Any, list[str]]) -> None:
        for key, row in rows.items():
            if not self.columns:
                self.columns = tuple(row)
            elif tuple(row) != self.columns:
                raise ExpectationRunError(f"queued rows differ in their columns: {tuple(row)} vs {self.columns}")
            self.rows[key] = tuple(row.values())
            self.rejected.pop(key, None)
        self.rejected.update((key, reasons) for key, reasons in rejected.items() if reasons)

    def frame(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame(list(self.rows.values()), columns=list(self.columns))


@contextmanager
def _exclusive(root: Path) -> Iterator[None]:
    """This process's `_lock`, then the context directory's `LOCK_FILE`: one writer of the GX stores at a time."""
    with _lock:
        root.mkdir(parents=True, exist_ok=True)
        with (root / LOCK_FILE).open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def docs_index(context_dir: Path) -> Path:
    """The Data Docs home page finance opens in a browser."""
    return context_dir / DOCS_DIR / "index.html"


def _open(context_dir: Path) -> "FileDataContext":
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    root = context_dir.resolve()
    if root not in _contexts:
        context = gx.get_context(mode="file", context_root_dir=root)
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.data_docs_sites = {DOCS_SITE: {"class_name": "SiteBuilder", **SITE}}
        context.variables.save()
        _contexts[root] = context
    return _contexts[root]


def _site_builder(context_dir: Path) -> Any:
    """The Data Docs site builder of this context, kept: a new one compiles every Jinja template again."""
    from great_expectations.render.renderer.site_builder import SiteBuilder

    root = context_dir.resolve()
    if root not in _site_builders:
        _site_builders[root] = SiteBuilder(
            data_context=_open(context_dir), site_name=DOCS_SITE, runtime_environment={"root_directory": root}, **SITE
        )
    return _site_builders[root]


def _batch_definition(context: "FileDataContext", asset_name: str) -> Any:
    """The whole-DataFrame batch of the asset named after a suite, created on first use."""
    from great_expectations.datasource.fluent import PandasDatasource

    sources = context.data_sources.all()
    source = sources[DATASOURCE] if DATASOURCE in sources else context.data_sources.add_pandas(DATASOURCE)
    if not isinstance(source, PandasDatasource):
        raise ExpectationRunError(f"the data source {DATASOURCE!r} of {context.root_directory} is not a pandas one")
    asset = (
        source.get_asset(asset_name)
        if asset_name in source.get_asset_names()
        else source.add_dataframe_asset(asset_name)
    )
    if any(bd.name == BATCH_DEFINITION for bd in asset.batch_definitions):
        return asset.get_batch_definition(BATCH_DEFINITION)
    return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)


def _definition(name: str, index_column: str, suites: list["ExpectationSuite"]) -> str:
    """What a checkpoint checks, comparable across processes: its suites without the ids GX gives what it saves."""
    return json.dumps(
        [name, index_column, *(_without_ids(suite.to_json_dict()) for suite in suites)], sort_keys=True, default=str
    )


def _without_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_ids(item) for key, item in value.items() if key != "id"}
    if isinstance(value, list):
        return [_without_ids(item) for item in value]
    return value


def _stored_checkpoint(
    context: "FileDataContext", name: str, suites: list["ExpectationSuite"], index_column: str, definition: str
) -> Any:
    """The checkpoint saved under `name` when it checks exactly `definition` (another process of this deployment,
    a second worker process or the live service sharing the home, saved it first), else None. Using it rather than
    saving ours again keeps that process's copy fresh: GX refuses to run a checkpoint whose saved definitions
    changed since it was loaded (`ResourceFreshnessError`). The saved definitions name their data by the
    data source, asset and batch definition: this context is given those first, as the other process was."""
    from great_expectations.exceptions import DataContextError

    for suite in suites:
        _batch_definition(context, suite.name)
    try:
        stored = context.checkpoints.get(name)
    except DataContextError:
        return None
    result_format = stored.result_format if isinstance(stored.result_format, dict) else {}
    columns = result_format.get("unexpected_index_column_names") or [""]
    saved = [validation.suite for validation in stored.validation_definitions]
    return stored if _definition(name, columns[0], saved) == definition and columns == [index_column] else None


def _checkpoint(
    context: "FileDataContext", root: Path, name: str, suites: list["ExpectationSuite"], index_column: str
) -> Any:
    """The saved checkpoint over `suites`: the one saved already when it checks the same (`_stored_checkpoint`),
    else saved (with its suites) on first use and when its definition changes."""
    import great_expectations as gx

    definition = _definition(name, index_column, suites)
    cached = _checkpoints.get((root, name))
    if cached is not None and cached[0] == definition:
        return cached[1]
    stored = _stored_checkpoint(context, name, suites, index_column, definition)
    if stored is not None:
        _checkpoints[(root, name)] = (definition, stored)
        return stored
    definitions = [
        context.validation_definitions.add_or_update(
            gx.ValidationDefinition(
                name=suite.name,
                data=_batch_definition(context, suite.name),
                suite=context.suites.add_or_update(suite),
            )
        )
        for suite in suites
    ]
    runner = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=name,
            validation_definitions=definitions,
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]},
        )
    )
    _checkpoints[(root, name)] = (definition, runner)
    return runner


def publish_docs(context_dir: Path, *, keep: int = RUNS_KEPT) -> Path:
    """Validate the queued record checks, render every validation since the last publication into Data Docs,
    and the index once; its path. Each suite keeps its newest `keep` runs, in the results and in Data Docs;
    older ones are deleted. Inside `docs_built_together` the queued checks are validated all the same (a
    disagreement still fails the run), but the pages wait for the block's next build."""
    root = context_dir.resolve()
    if _setting_aside.get():
        _set_aside(root)
        return docs_index(context_dir)
    with _exclusive(root):
        _validate_queued(context_dir, root)
        _validate_set_aside(context_dir, root)
        if _held.get() and len(_unpublished.get(root, [])) < 2 * HELD_VALIDATIONS_MAX:  # a key and a suite each
            return docs_index(context_dir)
        pending = _unpublished.pop(root, [])
        if pending:
            _prune(root / RESULTS_DIR, keep)  # first: the index lists what the results store holds
            _site_builder(context_dir).build(resource_identifiers=pending, build_index=True)
            _prune(root / DOCS_DIR / "validations", keep)  # after: the pages just built count among the newest
    return docs_index(context_dir)


@contextmanager
def docs_built_together(context_dir: Path) -> Iterator[None]:
    """Runs in this block (and in threads started with a copy of its context) publish their Data Docs together:
    every `HELD_VALIDATIONS_MAX` validations and at the block's end. Each build reads the newest
    `DOCS_VALIDATIONS_LISTED` results back for the index, more CPU than a small company's whole sync once the
    folder is full: the hourly fan-out builds it once per many companies, not once per company."""
    token = _held.set(True)
    try:
        yield
    finally:
        _held.reset(token)
        publish_docs(context_dir)


@contextmanager
def checks_set_aside() -> Iterator[None]:
    """Runs in this block (in this thread) do not wait for Great Expectations: their `publish_docs` writes the
    queued checks to `SET_ASIDE_DIR` and returns, and the next `publish_docs` outside such a block, in this process
    or another, validates them (a disagreement still raises, there, once) and renders their pages. On disk, so a
    process that dies first leaves them to the next publication. What parks a record is decided in plain code
    either way: only Great Expectations' second opinion and the Data Docs pages come later."""
    token = _setting_aside.set(True)
    try:
        yield
    finally:
        _setting_aside.reset(token)


def _set_aside(root: Path) -> None:
    """Write each queued suite and run to a file of its own (whole or not at all), named to sort by age."""
    folder = root / SET_ASIDE_DIR
    with _queued_lock:
        runs = _queued.pop(root, {})
    for (suite, run_name), queued in runs.items():
        folder.mkdir(parents=True, exist_ok=True)
        kept = (suite, run_name, queued.index_column, queued.columns, queued.rows, queued.rejected)
        part = folder / f"{time.time_ns()}-{uuid.uuid4().hex}.pickle"
        written = part.with_suffix(".partial")
        written.write_bytes(pickle.dumps((*kept, queued.expectations())))
        written.replace(part)


def _validate_set_aside(context_dir: Path, root: Path) -> None:
    """Validate what runs set aside, oldest first, removing each file once GX has given its verdict (a file read
    twice by two processes at once is validated twice: harmless)."""
    folder = root / SET_ASIDE_DIR
    for part in sorted(folder.glob("*.pickle")) if folder.is_dir() else []:
        try:
            suite, run_name, index_column, columns, rows, rejected, expectations = pickle.loads(part.read_bytes())
        except FileNotFoundError:
            continue  # another process validated it meanwhile
        queued = _Queued(partial(list, expectations), index_column, columns, rows, rejected)
        try:
            _validate_rows(context_dir, root, suite, run_name, queued)
        except ExpectationRunError:
            part.unlink(missing_ok=True)  # a verdict, reported once
            raise
        part.unlink(missing_ok=True)


def queue_validation(
    context_dir: Path,
    *,
    suite: str,
    expectations: Callable[[], list["Expectation"]],
    rows: dict[Any, dict[str, Any]],
    rejected: dict[Any, list[str]],
    index_column: str,
    run_name: str,
) -> None:
    """Queue `rows` (by their `index_column` value) for validation against `suite` at the next `publish_docs`,
    which fails unless GX rejects exactly the rows `rejected` names, for those reasons (the `meta["reason"]`
    of the expectations); at `QUEUED_ROWS_MAX` rows they are validated at once. The suite is saved on first use,
    so finance sees its definition at once."""
    root = context_dir.resolve()
    if (root, suite) not in _checkpoints:
        with _exclusive(root):
            if (root, suite) not in _checkpoints:
                _saved_checkpoint(context_dir, root, suite, expectations, index_column)
    with _queued_lock:
        queued = _queued.setdefault(root, {}).setdefault((suite, run_name), _Queued(expectations, index_column))
        queued.add(rows, rejected)
        full = len(queued.rows) >= QUEUED_ROWS_MAX  # a big run's rows are validated in parts: memory stays flat in N
        if full:
            del _queued[root][(suite, run_name)]
    if full:
        with _exclusive(root):
            _validate_rows(context_dir, root, suite, run_name, queued)


def _saved_checkpoint(
    context_dir: Path, root: Path, suite: str, expectations: Callable[[], list["Expectation"]], index_column: str
) -> Any:
    import great_expectations as gx

    suites = [gx.ExpectationSuite(name=suite, expectations=expectations())]
    return _checkpoint(_open(context_dir), root, suite, suites, index_column)


def _validate_queued(context_dir: Path, root: Path) -> None:
    """Run every queued record check through GX (one validation per suite and run)."""
    with _queued_lock:
        runs = _queued.pop(root, {})
    for (suite, run_name), queued in runs.items():
        _validate_rows(context_dir, root, suite, run_name, queued)


def _validate_rows(context_dir: Path, root: Path, suite: str, run_name: str, queued: _Queued) -> None:
    """Validate one suite's queued rows and compare GX's verdict with the one the records were parked by: a
    difference means the two evaluations of a rule disagree."""
    import great_expectations as gx

    outcomes = _validate(
        context_dir,
        root,
        checkpoint=suite,
        suites=[gx.ExpectationSuite(name=suite, expectations=queued.expectations())],
        frame=queued.frame(),
        index_column=queued.index_column,
        run_name=run_name,
    )
    found: dict[Any, set[str]] = {}
    for outcome in outcomes:
        for failure in outcome.failures:
            for hit in failure.rows:
                found.setdefault(hit[queued.index_column], set()).add(failure.reason)
    parked = {key: set(reasons) for key, reasons in queued.rejected.items()}
    if found != parked:
        differing = sorted(str(key) for key in found.keys() | parked.keys() if found.get(key) != parked.get(key))
        raise ExpectationRunError(
            f"{suite} ({run_name}): Great Expectations and the page checks disagree on {', '.join(differing)}"
        )


def _prune(store: Path, keep: int) -> None:
    """Delete each suite's validation runs in `store` beyond its newest `keep`.

    The results store and Data Docs both lay a result out as `<suite>/<run name>/<run time>/<batch>`; run times are
    UTC stamps that sort as text, so a run's newest run time orders it.
    """
    suites = [path for path in store.iterdir() if path.is_dir()] if store.is_dir() else []
    for suite in suites:
        runs = sorted(
            (run for run in suite.iterdir() if run.is_dir()),
            key=lambda run: max((time.name for time in run.iterdir()), default=""),
            reverse=True,
        )
        for old in runs[keep:]:
            shutil.rmtree(old)


def _file_path(url: str) -> Path:
    return Path(url2pathname(urlparse(url).path))


def _exception_messages(info: dict[str, Any]) -> list[str]:
    """GX reports exceptions either flat or keyed by metric id; collect the messages of both shapes."""
    if info.get("raised_exception"):
        return [str(info.get("exception_message"))]
    return [str(v.get("exception_message")) for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]


def _escaped(value: Any) -> Any:
    """`value` with every string in it HTML-escaped, for a result that Data Docs will render as HTML."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_escaped(v) for v in value]
    return value


def _store_escaped(context: "FileDataContext", key: Any, validation: Any) -> None:
    """Replace the stored result of `key` with `validation`, its rejected values HTML-escaped in place (not in a
    copy: a deep copy of a big run's result cost more than the escaping; read the failures before)."""
    for item in validation.results:
        item.result = _escaped(item.result)
    context.validation_results_store.set(key, validation)


def run_checkpoint(
    context_dir: Path,
    *,
    checkpoint: str,
    suites: list["ExpectationSuite"],
    frame: "pd.DataFrame",
    index_column: str,
    run_name: str,
) -> list[SuiteOutcome]:
    """Validate `frame` against every suite through one checkpoint; `publish_docs` renders the results.

    Each expectation carries `meta={"reason": key}`; a failure reports that key and the rejected
    rows identified by `index_column`. A failure that names no rows (the expectation raised) is an
    error: nobody could say which record to park, and a gate must not pass on a broken check.
    """
    root = context_dir.resolve()
    with _exclusive(root):
        return _validate(
            context_dir,
            root,
            checkpoint=checkpoint,
            suites=suites,
            frame=frame,
            index_column=index_column,
            run_name=run_name,
        )


def _validate(
    context_dir: Path,
    root: Path,
    *,
    checkpoint: str,
    suites: list["ExpectationSuite"],
    frame: "pd.DataFrame",
    index_column: str,
    run_name: str,
) -> list[SuiteOutcome]:
    """`run_checkpoint`, with the lock held."""
    import great_expectations as gx
    from great_expectations.exceptions.resource_freshness import (
        ResourceFreshnessAggregateError,
        ResourceFreshnessError,
    )

    context = _open(context_dir)
    run_id = gx.RunIdentifier(run_name=run_name)
    try:
        result = _checkpoint(context, root, checkpoint, suites, index_column).run(
            batch_parameters={"dataframe": frame}, run_id=run_id
        )
    except (ResourceFreshnessError, ResourceFreshnessAggregateError):
        # Another process saved these names since we loaded them (a newer deployment, or the same definitions under
        # new ids): ours are saved again, or the saved ones used as they are. Once: the lock file (`_exclusive`, held
        # by the callers) keeps any other process from saving between that and the run.
        _checkpoints.pop((root, checkpoint), None)
        result = _checkpoint(context, root, checkpoint, suites, index_column).run(
            batch_parameters={"dataframe": frame}, run_id=run_id
        )
    outcomes = []
    try:
        for key, validation in result.run_results.items():
            failures = []
            for item in validation.results:
                if item.success:
                    continue
                config = item.expectation_config
                if config is None:
                    raise ExpectationRunError(
                        f"{key.expectation_suite_identifier.name}: a failed result names no expectation"
                    )
                rows = item.result.get("unexpected_index_list")
                if not rows:
                    raise ExpectationRunError(
                        f"{key.expectation_suite_identifier.name}: {config.type} on "
                        f"{config.kwargs.get('column')!r} failed without naming rows: "
                        f"{'; '.join(_exception_messages(item.exception_info)) or 'no exception reported'}"
                    )
                failures.append(Unexpected(reason=config.meta["reason"], rows=rows))
            # the kept site builder's URL: GX's `get_docs_sites_urls` builds a new site builder for every result
            url = _site_builder(context_dir).get_resource_url(resource_identifier=key, only_if_exists=False)
            page = _file_path(url) if url else None
            outcomes.append(
                SuiteOutcome(
                    suite=key.expectation_suite_identifier.name,
                    success=bool(validation.success),
                    failures=failures,
                    docs_page=page,
                )
            )
    finally:  # after the failures were read (escaping replaces them), even when one is an error
        unpublished = _unpublished.setdefault(root, [])
        for key, validation in result.run_results.items():
            _store_escaped(context, key, validation)
            unpublished += [key, key.expectation_suite_identifier]
    return outcomes
