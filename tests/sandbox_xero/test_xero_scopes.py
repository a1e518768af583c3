"""Granular scopes: apps created from 2026-03-02 cannot ask for `accounting.transactions`, and each
collection needs its own scope (a `.read` one is enough to read)."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .helpers import API, authorize_params, connect, invoice, line, pkce, sandbox


def test_a_new_app_asking_for_the_legacy_transactions_scope_is_refused_an_older_app_is_not(tmp_path: Path) -> None:
    legacy = "offline_access accounting.contacts accounting.settings accounting.transactions"
    new_app = sandbox(tmp_path / "new.db")
    params = authorize_params(pkce()[1], scope=legacy)
    refused = new_app.get("/identity/connect/authorize", params=params, follow_redirects=False)
    assert refused.status_code == 302
    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == ["invalid_scope"]
    older_app = sandbox(tmp_path / "old.db", legacy_scopes=True)
    session = connect(older_app, scope=legacy)
    assert older_app.get(f"{API}/Invoices", headers=session.headers()).status_code == 200


def test_each_collection_needs_its_own_scope(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client, scope="offline_access accounting.contacts accounting.settings accounting.invoices.read")
    assert client.get(f"{API}/Invoices", headers=session.headers()).status_code == 200
    contact = client.put(f"{API}/Contacts", headers=session.headers(), json={"Contacts": [{"Name": "Scoped"}]})
    assert contact.status_code == 200
    contact_id = contact.json()["Contacts"][0]["ContactID"]
    body = {"Invoices": [invoice(contact_id, [line("10")])]}
    refused = client.put(f"{API}/Invoices", headers=session.headers(), json=body)
    assert refused.status_code == 403 and refused.json()["Detail"] == "AuthorizationUnsuccessful"
    assert client.get(f"{API}/Payments", headers=session.headers()).status_code == 403
    assert client.get(f"{API}/Invoices", headers=session.headers()).json()["Invoices"] == [], "nothing written"
