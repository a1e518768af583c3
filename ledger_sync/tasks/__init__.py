"""Prefect tasks, each a batch of work: open, gate, extract, check, load, report."""
