"""The settings that point the connectors at a local sandbox instead of the vendor's production hosts."""

SANDBOX_CLIENT_ID = "sandbox-client"
SANDBOX_CLIENT_SECRET = "sandbox-secret"  # the local sandbox's published test credential


def qbo_sandbox_env(base_url: str, time_scale: float = 1.0) -> dict[str, str]:
    """LEDGER_SYNC_* variables for a QBO sandbox at `base_url` (it serves every QBO host's paths).

    `time_scale` is the sandbox's: its rate limit minute passes that much faster in real time.
    """
    return {
        "LEDGER_SYNC_QBO_API_BASE": base_url,
        "LEDGER_SYNC_QBO_AUTHORIZE_URL": f"{base_url}/connect/oauth2",
        "LEDGER_SYNC_QBO_TOKEN_URL": f"{base_url}/oauth2/v1/tokens/bearer",
        "LEDGER_SYNC_QBO_REVOKE_URL": f"{base_url}/v2/oauth2/tokens/revoke",
        "LEDGER_SYNC_QBO_CLIENT_ID": SANDBOX_CLIENT_ID,
        "LEDGER_SYNC_QBO_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "LEDGER_SYNC_QBO_MINUTE_SECONDS": str(60 / time_scale),
        "LEDGER_SYNC_VENDOR_CLOCK_SCALE": str(time_scale),
    }


def xero_sandbox_env(base_url: str, time_scale: float = 1.0) -> dict[str, str]:
    """LEDGER_SYNC_* variables for a Xero sandbox at `base_url` (it serves identity and API paths alike).

    `time_scale` is the sandbox's: its minute limit window passes that much faster in real time.
    """
    return {
        "LEDGER_SYNC_XERO_API_BASE": f"{base_url}/api.xro/2.0",
        "LEDGER_SYNC_XERO_CONNECTIONS_URL": f"{base_url}/connections",
        "LEDGER_SYNC_XERO_AUTHORIZE_URL": f"{base_url}/identity/connect/authorize",
        "LEDGER_SYNC_XERO_TOKEN_URL": f"{base_url}/connect/token",
        "LEDGER_SYNC_XERO_REVOKE_URL": f"{base_url}/connect/revocation",
        "LEDGER_SYNC_XERO_CLIENT_ID": SANDBOX_CLIENT_ID,
        "LEDGER_SYNC_XERO_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
        "LEDGER_SYNC_XERO_MINUTE_WINDOW_SECONDS": str(60 / time_scale),
        "LEDGER_SYNC_VENDOR_CLOCK_SCALE": str(time_scale),
    }
