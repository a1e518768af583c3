"""The ledger plug-in registry: the built-ins register themselves, unknown names fail clearly, and the
flows' `ledger` parameter is validated against it and offered as a dropdown."""

from dataclasses import replace

import pytest
from prefect.exceptions import ParameterTypeError
from prefect.utilities.callables import parameter_schema

from ledger_sync.connectors.registry import UnknownLedger, get, ledger_label, names, register, registered
from ledger_sync.flows.backfill import backfill
from ledger_sync.flows.sync import sync_company


def test_the_built_in_ledgers_register_themselves_with_what_they_declare() -> None:
    assert names()[:2] == ("qbo", "xero")
    qbo, xero = get("qbo"), get("xero")
    assert (qbo.label, qbo.max_batch_size, qbo.pkce, qbo.multiple_tenants) == ("QuickBooks Online", 30, False, False)
    assert (xero.label, xero.max_batch_size, xero.pkce, xero.multiple_tenants) == ("Xero", 50, True, True)
    assert (qbo.limits.doc_number_max, qbo.limits.email_max) == (21, 100)
    assert (xero.limits.doc_number_max, xero.limits.email_max) == (255, 255)
    assert (qbo.unused_expiry_days, xero.unused_expiry_days) == (None, 60)


def test_an_unknown_ledger_is_named_with_the_ones_there_are() -> None:
    with pytest.raises(UnknownLedger, match=r"unknown ledger 'sage'; expected one of qbo, xero"):
        get("sage")
    assert ledger_label("sage") == "sage"


def test_a_name_cannot_be_taken_twice_nor_limits_declared_for_another_ledger() -> None:
    qbo = get("qbo")
    assert register(qbo) is qbo
    with pytest.raises(ValueError, match="already registered"):
        register(replace(qbo, max_batch_size=10))
    with pytest.raises(ValueError, match="declares limits for 'qbo'"):
        register(replace(qbo, name="qbd"))
    sage = replace(qbo, name="sage", label="Sage", limits=replace(qbo.limits, ledger="sage", label="Sage"))
    with registered(sage):
        assert get("sage").label == "Sage"
    assert "sage" not in names()


def test_the_flows_ledger_parameter_is_a_dropdown_of_the_registered_ledgers() -> None:
    for flow in (sync_company, backfill):
        ledger = parameter_schema(flow).model_dump()["properties"]["ledger"]
        assert (ledger["enum"], ledger["default"]) == (["qbo", "xero"], "qbo")
    assert sync_company.validate_parameters({"company_id": 1, "ledger": "xero"})["ledger"] == "xero"
    with pytest.raises(ParameterTypeError, match="unknown ledger 'sage'"):
        sync_company.validate_parameters({"company_id": 1, "ledger": "sage"})
