"""The sync's pages: each is let go once it is synced, Prefect's link from it to its task run included."""

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext

from ledger_sync.core.pages import CustomerPage
from ledger_sync.core.snapshots import Cursor, Unreadable
from ledger_sync.flows.sync import pages

PAGES = 3


@task(name="extract-test-page", cache_policy=NO_CACHE)
def extract_page(job: Any, after: Cursor | None, size: int) -> CustomerPage:
    """One unreadable record a page, each past the last, `PAGES` pages in all."""
    number = 0 if after is None else int(after) + 1
    cursor = number if number < PAGES - 1 else None
    return CustomerPage(fresh=[], retries=[], unreadable=[Unreadable(number, "bad", cursor)], next_after=cursor)


def test_a_synced_page_is_no_longer_linked_to_its_task_run(prefect_server: None) -> None:
    @flow(name="pages-are-let-go")
    def read_pages() -> tuple[int, list[int]]:
        context = FlowRunContext.get()
        assert context is not None
        linked = []
        count = 0
        for page in pages(extract_page, object(), 1):
            count += 1
            assert id(page) in context.run_results  # Prefect links a task's result while its page is synced
            linked.append(id(page.unreadable))
        return count, [part for part in linked if part in context.run_results]

    count, still_linked = read_pages()
    assert count == PAGES
    assert still_linked == []
