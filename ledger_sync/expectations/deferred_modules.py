"""Modules Great Expectations imports but our checks never use, left unloaded until something reads from them.

Importing GX imports every one of its core expectations, and one of them (the KL divergence expectation, which no
suite of ours uses) brings scipy.stats and altair: about 85 MB of a worker's resident memory, a fifth of a sync's
peak (issue 16). A stand-in takes each one's place in `sys.modules` before GX is imported; the first attribute read
from a stand-in imports the real module, so whatever does use one still gets all of it.
"""

import importlib
import sys
import types
from typing import Any

DEFERRED = ("scipy.stats", "altair")


class _Deferred(types.ModuleType):
    """Stands in for a module not imported yet; imports it at the first attribute read and answers from it. Its
    `__file__` is None (as a built-in module's), so `inspect.getmodule`, which reads every module's, skips it."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.__file__ = None

    def __getattr__(self, attribute: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]  # else the import below would find the stand-in again
        real = importlib.import_module(name)
        self.__dict__.update(real.__dict__)  # later reads skip this method; an attribute added later still comes here
        return getattr(real, attribute)


def defer_unused_modules() -> None:
    """Put a stand-in in place of each of `DEFERRED` not imported yet (an imported one stays as it is)."""
    for name in DEFERRED:
        sys.modules.setdefault(name, _Deferred(name))
