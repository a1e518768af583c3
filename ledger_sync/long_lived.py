"""What a sync process keeps for its whole life, set aside from Python's cyclic garbage collector.

A worker holds some 450,000 objects it never frees: the modules it imported (Prefect, SQLAlchemy, Great
Expectations, pandas) with their classes, functions and constants. The collector walks all of them at each full
collection, and a 10,000-invoice sync makes about ten: some 2 s of its 11 s of CPU. Set aside (`gc.freeze`), they are
not walked again. They are still freed by reference counting when let go; only a reference cycle among them would
stay, and a module's objects live as long as the process anyway.

Only the young generations are collected first: a full collection there walks the same 450,000 objects (0.26 s of
CPU, on every flow run a process worker starts) and found 10 that were garbage once the young ones were collected.
"""

import gc
import sys
import threading

_lock = threading.Lock()
_modules_set_aside = 0
"""How many modules were imported when objects were last set aside."""


def set_aside_imports() -> None:
    """Once young garbage is collected, set aside everything alive, if modules were imported since the last time:
    called where a sync starts, it works on a process's first run or two (Great Expectations is imported during the
    first) and does nothing after."""
    global _modules_set_aside
    with _lock:
        if len(sys.modules) == _modules_set_aside:
            return
        gc.collect(1)
        gc.freeze()
        _modules_set_aside = len(sys.modules)
