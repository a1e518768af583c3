"""A local QuickBooks Online v3 stand-in: OAuth 2, the Accounting API subset we use, QBO's faults and limits."""
