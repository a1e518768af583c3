"""Local stand-ins for the ledgers' APIs, faithful to the vendors' published contracts."""
