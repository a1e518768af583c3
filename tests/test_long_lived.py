"""A sync process's long-lived objects are set aside from the cyclic garbage collector (`ledger_sync.long_lived`):
once per batch of new imports, and only once young garbage is collected, so no cycle just made garbage is kept."""

import gc
import sys
import types
import weakref

from ledger_sync.long_lived import set_aside_imports


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_objects_alive_are_set_aside_once_until_more_modules_are_imported() -> None:
    set_aside_imports()
    frozen = gc.get_freeze_count()
    assert frozen > 0
    set_aside_imports()
    assert gc.get_freeze_count() == frozen, "no module was imported since: nothing more is set aside"

    garbage = _Node()
    collected = weakref.ref(garbage)
    del garbage
    sys.modules["tests.a_module_imported_now"] = types.ModuleType("tests.a_module_imported_now")
    try:
        set_aside_imports()
    finally:
        del sys.modules["tests.a_module_imported_now"]
    assert gc.get_freeze_count() > frozen, "what was imported since is set aside"
    assert collected() is None, "a cycle that was garbage is collected first, not kept for good"
