"""The exactly-once write engine: what to write for each record, and how, whatever the transport does.

No Prefect and no database here: the engine works against one connection's state (`ConnectionState`)
and a ledger (`LedgerWriter`), so every rule can be tested in memory.
"""
