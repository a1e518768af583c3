"""Driving the Xero sandbox the way a client app does: consent with PKCE, tokens, tenant-scoped calls."""

import base64
import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient

from ledger_sync.sandboxes.xero.app import create_app
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig

REDIRECT_URI = "http://127.0.0.1:8000/callback"
SCOPE = (
    "openid profile email offline_access accounting.invoices accounting.payments accounting.contacts "
    "accounting.settings accounting.banktransactions accounting.reports.read"
)
API = "/api.xro/2.0"


def sandbox(db_path: Path, **overrides: Any) -> TestClient:
    return TestClient(create_app(XeroSandboxConfig(db_path=db_path, **overrides)))


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_params(challenge: str, state: str = "st-1", scope: str = SCOPE) -> dict[str, str]:
    return {
        "client_id": "sandbox-client",
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": scope,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }


def consent(
    client: TestClient, challenge: str, tenants: list[str] | None = None, scope: str = SCOPE
) -> dict[str, list[str]]:
    """Show the consent page, press Allow; returns the redirect's query parameters."""
    params = authorize_params(challenge, scope=scope)
    page = client.get("/identity/connect/authorize", params=params)
    assert page.status_code == 200 and "Allow access" in page.text
    form: dict[str, Any] = {**params, "decision": "allow"}
    if tenants is not None:
        form["tenant"] = tenants
    else:
        orgs = client.get("/_sandbox/tenants").json()["tenants"]
        form["tenant"] = [org["id"] for org in orgs]
    answer = client.post("/identity/connect/authorize", data=form, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["location"]).query)


def token_request(client: TestClient, **form: str) -> httpx.Response:
    return client.post("/connect/token", data=form, auth=("sandbox-client", "sandbox-secret"))


@dataclass
class Session:
    access_token: str
    refresh_token: str
    tenant_id: str

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}", "xero-tenant-id": self.tenant_id, **extra}


def connect(client: TestClient, scope: str = SCOPE) -> Session:
    verifier, challenge = pkce()
    code = consent(client, challenge, scope=scope)["code"][0]
    tokens = token_request(
        client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier
    ).json()
    connections = client.get("/Connections", headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    return Session(tokens["access_token"], tokens["refresh_token"], connections[0]["tenantId"])


def xero_session(tmp_path: Path) -> tuple[TestClient, Session]:
    """A sandbox with one connected organisation."""
    client = sandbox(tmp_path / "x.db")
    return client, connect(client)


def contact(name: str, **fields: Any) -> dict[str, Any]:
    return {"Name": name, **fields}


def invoice(contact_id: str, lines: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "LineItems": lines,
        "Date": "2026-01-15",
        "DueDate": "2026-02-14",
        **fields,
    }


def line(amount: str, tax_type: str = "OUTPUT", account: str = "200", quantity: str = "1") -> dict[str, Any]:
    return {
        "Description": "Service call",
        "Quantity": float(quantity),
        "UnitAmount": float(amount),
        "AccountCode": account,
        "TaxType": tax_type,
    }


def create_contact(client: TestClient, session: Session, name: str, **fields: Any) -> dict[str, Any]:
    answer = client.put(f"{API}/Contacts", headers=session.headers(), json={"Contacts": [contact(name, **fields)]})
    assert answer.status_code == 200, answer.text
    return answer.json()["Contacts"][0]
