"""`ledger-sync web`: Settings -> Integrations -> Accounting, server-rendered (no front-end build step)."""
