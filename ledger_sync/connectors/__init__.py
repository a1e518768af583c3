"""Every outside system behind a small interface: the Service Opus database and the ledgers."""
