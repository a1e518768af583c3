"""Opus Ledger Sync: Service Opus invoices and payments into QuickBooks Online or Xero, exactly once."""
