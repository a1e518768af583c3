"""The TLS settings every ledger HTTP client verifies with, built once per process.

Building them (httpx's defaults: the certifi bundle, or `SSL_CERT_FILE` / `SSL_CERT_DIR`) loads and parses the CA
certificates, about as much CPU as a small company's ledger calls; each sync opens an API client and an OAuth client,
so the hourly fan-out paid it twice per company. An `ssl.SSLContext` is safe to share between clients and threads.
"""

import ssl
from functools import cache

import httpx


@cache
def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context, shared by the ledger clients of this process."""
    return httpx.create_ssl_context()
