"""Call limits of the Xero sandbox: remaining counts on every answer, 429s that say why and for how long."""

from pathlib import Path

from .helpers import API, connect, sandbox


def test_every_answer_carries_the_remaining_counts(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client)
    first = client.get(f"{API}/Accounts", headers=session.headers())
    second = client.get(f"{API}/TaxRates", headers=session.headers())
    assert first.headers["X-MinLimit-Remaining"] == "59" and second.headers["X-MinLimit-Remaining"] == "58"
    assert second.headers["X-DayLimit-Remaining"] == "4998"
    assert second.headers["X-AppMinLimit-Remaining"] == "9998"


def test_minute_limit_answers_429_with_retry_after_in_real_seconds(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db", per_minute=3, time_scale=10.0)
    session = connect(client)
    for _ in range(3):
        assert client.get(f"{API}/Accounts", headers=session.headers()).status_code == 200
    refused = client.get(f"{API}/Accounts", headers=session.headers())
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "minute"
    assert refused.headers["X-MinLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 6  # 60 sandbox seconds at 10x
    client.post("/_sandbox/clock/advance", json={"seconds": 61})
    assert client.get(f"{API}/Accounts", headers=session.headers()).status_code == 200


def test_day_and_app_limits_name_their_problem(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db", per_day=2, app_per_minute=100)
    session = connect(client)
    client.get(f"{API}/Accounts", headers=session.headers())
    client.get(f"{API}/Accounts", headers=session.headers())
    refused = client.get(f"{API}/Accounts", headers=session.headers())
    assert refused.status_code == 429 and refused.headers["X-Rate-Limit-Problem"] == "day"
    assert int(refused.headers["Retry-After"]) > 80000
    app_limited = sandbox(tmp_path / "y.db", app_per_minute=1)
    other = connect(app_limited)
    app_limited.get(f"{API}/Accounts", headers=other.headers())
    assert app_limited.get(f"{API}/Accounts", headers=other.headers()).headers["X-Rate-Limit-Problem"] == "appminute"


def test_concurrency_cap_answers_429_concurrent(tmp_path: Path) -> None:
    client = sandbox(tmp_path / "x.db")
    session = connect(client)
    cap = client.app.state.sandbox.limits.concurrency  # type: ignore[attr-defined]
    for _ in range(5):  # five calls in flight for this tenant
        assert cap.enter(session.tenant_id)
    refused = client.get(f"{API}/Accounts", headers=session.headers())
    assert refused.status_code == 429
    assert refused.headers["X-Rate-Limit-Problem"] == "concurrent" and refused.headers["Retry-After"] == "1"
    cap.leave(session.tenant_id)
    assert client.get(f"{API}/Accounts", headers=session.headers()).status_code == 200
