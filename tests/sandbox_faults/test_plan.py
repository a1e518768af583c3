"""The fault plan: read from each sandbox's settings, refused when impossible, and the same seed replays."""

import pytest
from pydantic import ValidationError

from ledger_sync.sandboxes.clock import ScaledClock
from ledger_sync.sandboxes.faults import FaultInjector, FaultPlan, VendorFaults
from ledger_sync.sandboxes.qbo.app import create_app
from ledger_sync.sandboxes.qbo.config import QboSandboxConfig
from ledger_sync.sandboxes.qbo.fault_hooks import qbo_vendor_faults
from ledger_sync.sandboxes.xero.config import XeroSandboxConfig

MIXED = FaultPlan(seed=7, server_error_rate=0.1, throttle_rate=0.1, slow_rate=0.05, drop_after_commit_rate=0.1)


@pytest.fixture(scope="module")
def vendor(tmp_path_factory: pytest.TempPathFactory) -> VendorFaults:
    app = create_app(QboSandboxConfig(db_path=tmp_path_factory.mktemp("plan") / "qbo.db"))
    return qbo_vendor_faults(app.state.sandbox)


def injector(plan: FaultPlan, vendor: VendorFaults) -> FaultInjector:
    return FaultInjector(plan, vendor, ScaledClock())


def decisions(vendor: VendorFaults, plan: FaultPlan, requests: int = 400) -> list[str | None]:
    faults = injector(plan, vendor)
    return [faults.decide("POST", "/v3/company/1/batch").kind for _ in range(requests)]


def test_faults_are_off_unless_configured() -> None:
    assert not QboSandboxConfig().faults.enabled
    assert not XeroSandboxConfig().faults.enabled


def test_the_plan_comes_from_json_or_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBO_SANDBOX_FAULTS", '{"seed": 3, "throttle_rate": 0.05, "revoke_after": [40]}')
    monkeypatch.setenv("XERO_SANDBOX_FAULTS__SLOW_RATE", "0.25")
    monkeypatch.setenv("XERO_SANDBOX_FAULTS__TOUCH_AFTER_WRITES", "[2, 9]")
    qbo = QboSandboxConfig().faults
    assert (qbo.seed, qbo.throttle_rate, qbo.revoke_after, qbo.enabled) == (3, 0.05, [40], True)
    xero = XeroSandboxConfig().faults
    assert (xero.slow_rate, xero.touch_after_writes) == (0.25, [2, 9])


@pytest.mark.parametrize(
    "fields", [{"throttle_rate": 1.5}, {"slow_rate": -0.1}, {"server_error_rate": 0.6, "throttle_rate": 0.6}]
)
def test_impossible_rates_are_refused(fields: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        FaultPlan(**fields)


def test_the_same_seed_replays_the_same_faults_and_another_seed_does_not(vendor: VendorFaults) -> None:
    first = decisions(vendor, MIXED)
    assert decisions(vendor, MIXED) == first
    assert decisions(vendor, MIXED.model_copy(update={"seed": 8})) != first
    assert {"server_error", "throttle", "slow", "drop_after_commit", None} == set(first)


def test_reads_are_never_dropped_and_admin_routes_never_faulted(vendor: VendorFaults) -> None:
    faults = injector(FaultPlan(drop_after_commit_rate=1.0), vendor)
    assert faults.decide("POST", "/v3/company/1/query").kind is None
    assert faults.decide("GET", "/v3/company/1/invoice/3").kind is None
    assert faults.decide("POST", "/v3/company/1/invoice").kind == "drop_after_commit"
    assert not faults.covers("/_sandbox/realms/1/Invoice")
    assert not faults.covers("/oauth2/v1/tokens/bearer")
    assert injector(FaultPlan(include_token_endpoint=True), vendor).covers("/oauth2/v1/tokens/bearer")


def test_scheduled_events_fire_at_their_request_and_write_numbers(vendor: VendorFaults) -> None:
    faults = injector(FaultPlan(revoke_after=[2], touch_after_writes=[2]), vendor)
    seen = [faults.decide(method, "/v3/company/1/customer") for method in ("GET", "POST", "POST", "POST")]
    assert [d.revoke for d in seen] == [False, True, False, False]
    assert [d.write for d in seen] == [None, 1, 2, 3]
    assert [d.touch for d in seen] == [False, False, True, False]
