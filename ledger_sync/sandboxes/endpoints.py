"""The settings that point the connectors at a local sandbox instead of the vendor's production hosts."""

SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # the local sandbox's published test credential


def qbo_sandbox_env(base_url: str) -> dict[str, str]:
    """LEDGER_SYNC_* variables for a QBO sandbox at `base_url` (it serves every QBO host's paths)."""
    return {
        "LEDGER_SYNC_QBO_API_BASE": base_url,
        "LEDGER_SYNC_QBO_AUTHORIZE_URL": f"{base_url}/connect/oauth2",
        "LEDGER_SYNC_QBO_TOKEN_URL": f"{base_url}/oauth2/v1/tokens/bearer",
        "LEDGER_SYNC_QBO_REVOKE_URL": f"{base_url}/v2/oauth2/tokens/revoke",
        "LEDGER_SYNC_QBO_CLIENT_ID": SANDBOX_CLIENT_ID,
        "LEDGER_SYNC_QBO_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
    }
