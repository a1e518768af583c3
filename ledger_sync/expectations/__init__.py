"""Great Expectations gates: run-level checks that stop a run, record-level checks that park a record.

Inputs and outputs are plain dataclasses in `inputs`; GX itself is imported only when a check runs.
"""
