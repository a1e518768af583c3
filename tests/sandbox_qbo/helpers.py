"""Helpers for the QBO sandbox tests: configs, the OAuth dance, and a small Accounting API client."""

from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient

from ledger_sync.sandboxes.qbo import wire
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig

REDIRECT_URI = "http://127.0.0.1:8000/integrations/accounting/qbo/callback"
SCOPE = "com.intuit.quickbooks.accounting"
CLIENT = ("sandbox-client", "sandbox-secret")


def make_config(db_path: Path, **overrides: Any) -> QboSandboxConfig:
    """A near-frozen clock (0.001 sandbox s per real s) so windows and lifetimes move only by `advance()`."""
    values: dict[str, Any] = {"db_path": db_path, "time_scale": 0.001, "per_second": 10_000, "per_minute": 100_000}
    values["batch_per_minute"] = 10_000
    values.update(overrides)
    return QboSandboxConfig(**values)


def authorize_params(state: str = "st-1", **overrides: str) -> dict[str, str]:
    params = {
        "client_id": CLIENT[0],
        "response_type": "code",
        "scope": SCOPE,
        "redirect_uri": REDIRECT_URI,
        "state": state,
    }
    params.update(overrides)
    return params


def consent(client: TestClient) -> dict[str, str]:
    """Show the consent page, press Connect, and return the redirect's query (code, state, realmId)."""
    page = client.get("/connect/oauth2", params=authorize_params())
    assert page.status_code == 200 and "Connect" in page.text
    response = client.post("/connect/oauth2", data=authorize_params())
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def token_request(client: TestClient, headers: dict[str, str] | None = None, **form: str) -> httpx.Response:
    return client.post("/oauth2/v1/tokens/bearer", data=form, auth=CLIENT, headers=headers or {})


class Qbo:
    """Calls to one realm's Accounting API with a bearer token, as the connector makes them."""

    def __init__(self, client: TestClient, realm_id: str, tokens: dict[str, Any]) -> None:
        self.client = client
        self.realm_id = realm_id
        self.tokens = tokens

    @property
    def base(self) -> str:
        return f"/v3/company/{self.realm_id}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['access_token']}", "Accept": "application/json"}

    def post(self, entity: str, body: object, **params: str) -> httpx.Response:
        """JSON with exact Decimal numbers, as a connector sends money."""
        return self.client.post(
            f"{self.base}/{entity.lower()}",
            content=wire.dumps(body),
            params={"minorversion": "75", **params},
            headers={**self.headers(), "Content-Type": "application/json"},
        )

    def get(self, entity: str, entity_id: str) -> httpx.Response:
        return self.client.get(
            f"{self.base}/{entity.lower()}/{entity_id}", params={"minorversion": "75"}, headers=self.headers()
        )

    def query(self, text: str) -> httpx.Response:
        return self.client.get(
            f"{self.base}/query", params={"query": text, "minorversion": "75"}, headers=self.headers()
        )

    def rows(self, text: str) -> list[dict[str, Any]]:
        response = self.query(text)
        assert response.status_code == 200, response.text
        body = wire.loads(response.content)["QueryResponse"]
        return next((v for v in body.values() if isinstance(v, list)), [])

    def batch(self, items: list[dict[str, Any]], **params: str) -> httpx.Response:
        return self.client.post(
            f"{self.base}/batch",
            content=wire.dumps({"BatchItemRequest": items}),
            params=params,
            headers={**self.headers(), "Content-Type": "application/json"},
        )

    def create(self, entity: str, body: dict[str, Any], **params: str) -> dict[str, Any]:
        response = self.post(entity, body, **params)
        assert response.status_code == 200, response.text
        return wire.loads(response.content)[entity]

    def named(self, entity: str, name: str) -> dict[str, Any]:
        field = "Name" if entity in ("Account", "TaxCode", "TaxRate", "Item") else "DisplayName"
        [row] = self.rows(f"SELECT * FROM {entity} WHERE {field} = '{name}' AND Active IN (true, false)")
        return row

    def item(self, name: str = "Gutter cleaning", **fields: Any) -> dict[str, Any]:
        income = self.named("Account", "Services")
        return self.create(
            "Item", {"Name": name, "Type": "Service", "IncomeAccountRef": {"value": income["Id"]}, **fields}
        )

    def customer(self, name: str = "Beta Builders") -> dict[str, Any]:
        return self.create("Customer", {"DisplayName": name})

    def sales_line(self, item: dict[str, Any], qty: str, price: str, amount: str, tax_code: str) -> dict[str, Any]:
        """A sales line; the numbers are given as text and sent as exact JSON numbers."""
        code = self.named("TaxCode", tax_code)
        return {
            "Amount": Decimal(amount),
            "DetailType": "SalesItemLineDetail",
            "SalesItemLineDetail": {
                "ItemRef": {"value": item["Id"]},
                "Qty": Decimal(qty),
                "UnitPrice": Decimal(price),
                "TaxCodeRef": {"value": code["Id"]},
            },
        }


def assert_fault(
    response: httpx.Response, status: int, code: str, fault_type: str = "ValidationFault"
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["Fault"]["type"] == fault_type, body
    [error] = body["Fault"]["Error"]
    assert error["code"] == code, error
    assert "time" in body
    return error
