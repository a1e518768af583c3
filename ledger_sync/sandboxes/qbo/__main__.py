"""Run the QBO sandbox on loopback: `python -m ledger_sync.sandboxes.qbo [--port 8765]` (QBO_SANDBOX_* settings)."""

import argparse

import uvicorn

from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    uvicorn.run(create_app(QboSandboxConfig()), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
