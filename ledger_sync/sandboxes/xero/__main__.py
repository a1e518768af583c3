"""Run the Xero sandbox on loopback: `python -m ledger_sync.sandboxes.xero [--port 8766]` (XERO_SANDBOX_* env)."""

import argparse

import uvicorn

from ledger_sync.sandboxes.xero.app import create_app
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    uvicorn.run(create_app(XeroSandboxConfig()), host="127.0.0.1", port=args.port, log_level="info")
