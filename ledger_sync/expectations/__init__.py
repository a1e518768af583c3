"""Great Expectations gates: run-level checks that stop a run, record-level checks that park a record.

Inputs and outputs are plain dataclasses in `inputs`; GX itself is imported only when a check runs, and the
modules it imports that no check uses are left unloaded (`deferred_modules`): every GX import is in this package.
"""

from ledger_sync.expectations.deferred_modules import defer_unused_modules

defer_unused_modules()
