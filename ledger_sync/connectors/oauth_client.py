"""authlib's httpx OAuth 2 client, imported once for every ledger connector.

authlib 1.9 prefers the `httpx2` fork and warns on import when it falls back to `httpx`, which this
project pins and uses throughout; its own "always" filter would print that on every start.
"""

import warnings

with warnings.catch_warnings():
    import authlib.deprecate  # noqa: F401  (installs authlib's "always" filter, overridden on the next line)

    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

__all__ = ["OAuth2Client", "OAuthError"]
