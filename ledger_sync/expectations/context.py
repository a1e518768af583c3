"""The Great Expectations file context under `context_dir`, the folder finance opens for Data Docs.

Suites, validation definitions and checkpoints are defined in code and saved with `add_or_update`
on every run, so the JSON finance sees is always regenerated from the code that ran. GX is imported
only inside these functions: it costs seconds to import and the CLI must stay quick.
"""

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse
from urllib.request import url2pathname

if TYPE_CHECKING:
    import pandas as pd
    from great_expectations import ExpectationSuite
    from great_expectations.data_context import FileDataContext

DATASOURCE = "ledger_sync"
DOCS_SITE = "local_site"
DOCS_DIR = Path("uncommitted/data_docs/local_site")
BATCH_DEFINITION = "whole_dataframe"
DOCS_VALIDATIONS_LISTED = 500
"""The Data Docs index lists only the latest validation runs, so it stays quick to build and open."""

_lock = threading.Lock()
"""A GX context is not thread-safe; Prefect may run tasks in threads."""
_contexts: dict[Path, "FileDataContext"] = {}


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
        context.variables.data_docs_sites = {
            DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{DOCS_DIR}/"},
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DOCS_VALIDATIONS_LISTED,
                },
            }
        }
        context.variables.save()
        _contexts[root] = context
    return _contexts[root]


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


def _file_path(url: str) -> Path:
    return Path(url2pathname(urlparse(url).path))


def _exception_messages(info: dict[str, Any]) -> list[str]:
    """GX reports exceptions either flat or keyed by metric id; collect the messages of both shapes."""
    if info.get("raised_exception"):
        return [str(info.get("exception_message"))]
    return [str(v.get("exception_message")) for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]


def run_checkpoint(
    context_dir: Path,
    *,
    checkpoint: str,
    suites: list["ExpectationSuite"],
    frame: "pd.DataFrame",
    index_column: str,
    run_name: str,
) -> list[SuiteOutcome]:
    """Validate `frame` against every suite through one checkpoint that also updates Data Docs.

    Each expectation carries `meta={"reason": key}`; a failure reports that key and the rejected
    rows identified by `index_column`. A failure that names no rows (the expectation raised) is an
    error: nobody could say which record to park, and a gate must not pass on a broken check.
    """
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    with _lock:
        context = _open(context_dir)
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
                name=checkpoint,
                validation_definitions=definitions,
                actions=[UpdateDataDocsAction(name="update_data_docs", site_names=[DOCS_SITE])],
                result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [index_column]},
            )
        )
        result = runner.run(batch_parameters={"dataframe": frame}, run_id=gx.RunIdentifier(run_name=run_name))
        outcomes = []
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
            urls = context.get_docs_sites_urls(resource_identifier=key, site_name=DOCS_SITE)
            url = urls[0].get("site_url") if urls else None
            page = _file_path(url) if url else None
            outcomes.append(
                SuiteOutcome(
                    suite=key.expectation_suite_identifier.name,
                    success=bool(validation.success),
                    failures=failures,
                    docs_page=page,
                )
            )
        return outcomes
