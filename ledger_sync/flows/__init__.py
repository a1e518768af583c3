"""Prefect flows, one module per deployment entrypoint."""
