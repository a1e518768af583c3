"""Sign-in throttling and server-side sessions: a lock says when to try again, logout and "sign out everywhere"
end the session for every copy of its cookie, and a changed credential ends old sessions."""

import threading
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from ledger_sync.state.db import upgrade_state
from ledger_sync.state.store import StateStore
from ledger_sync.web.app import create_app
from ledger_sync.web.throttle import LoginThrottle, throttle_keys
from tests.web.stack import ADMIN_PASSWORD, ADMIN_USER, WebStack, csrf_of, log_in

PAGE = "/settings/integrations/accounting"
COOKIE = "ledger_sync_session"


class Clock:
    """The time the app goes by; tests move it instead of sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def _sign_in(browser: TestClient, password: str, username: str = ADMIN_USER) -> httpx.Response:
    token = csrf_of(browser.get("/login").text)
    return browser.post(
        "/login",
        data={"username": username, "password": password, "next": PAGE, "csrf_token": token},
        follow_redirects=False,
    )


def _signed_in(app: FastAPI, cookie: str) -> bool:
    """Whether a browser holding (a copy of) this session cookie gets the settings page."""
    with TestClient(app) as browser:
        browser.cookies.set(COOKIE, cookie)
        response = browser.get(PAGE, follow_redirects=False)
    assert response.status_code in (200, 303), response.text
    return response.status_code == 200


def test_failed_sign_ins_lock_the_account_and_even_the_right_password_waits(stack: WebStack) -> None:
    clock = Clock()
    app = create_app(stack.settings, clock)
    with TestClient(app) as browser:
        for _ in range(4):
            free = _sign_in(browser, "guess")
            assert free.status_code == 401 and "try again" not in free.text
        fifth = _sign_in(browser, "guess")
        assert fifth.status_code == 401
        assert "Wrong username or password. Too many failed sign-ins: try again in 30 s." in fifth.text
        right = _sign_in(browser, ADMIN_PASSWORD)
        assert right.status_code == 429
        assert "try again in 30 s" in right.text and right.headers["retry-after"] == "30"
        clock.advance(20)
        assert "try again in 10 s" in _sign_in(browser, ADMIN_PASSWORD).text
        clock.advance(10)
        sixth = _sign_in(browser, "guess")  # the lock is over; the next failure locks twice as long
        assert sixth.status_code == 401 and "try again in 60 s" in sixth.text
        with TestClient(create_app(stack.settings, clock)) as after_restart:  # the counts are in the state store
            assert "try again in 60 s" in _sign_in(after_restart, ADMIN_PASSWORD).text
        clock.advance(60)
        assert _sign_in(browser, ADMIN_PASSWORD).status_code == 303
        assert browser.get(PAGE, follow_redirects=False).status_code == 200
        for _ in range(4):  # a success cleared the count: four failures are free again
            assert _sign_in(browser, "guess").status_code == 401
        assert _sign_in(browser, ADMIN_PASSWORD).status_code == 303


def test_the_lock_holds_per_address_across_accounts_and_per_account_across_addresses(stack: WebStack) -> None:
    clock = Clock()
    app = create_app(stack.settings, clock)
    with TestClient(app, client=("198.51.100.7", 40000)) as sprayer:
        for name in ("root", "admin", "finance", "ops", "it"):
            assert _sign_in(sprayer, "guess", username=name).status_code == 401
        assert _sign_in(sprayer, ADMIN_PASSWORD).status_code == 429  # this address is locked, whatever the name
    with TestClient(app, client=("203.0.113.9", 40000)) as admin:
        assert _sign_in(admin, ADMIN_PASSWORD).status_code == 303  # another address, an untouched account
    for host in range(1, 6):
        with TestClient(app, client=(f"192.0.2.{host}", 40000)) as guesser:
            assert _sign_in(guesser, "guess").status_code == 401
    with TestClient(app, client=("203.0.113.9", 40000)) as admin:
        locked = _sign_in(admin, ADMIN_PASSWORD)  # the account is locked, from whichever address
        assert locked.status_code == 429 and "try again in 30 s" in locked.text


def test_logout_ends_the_session_for_every_copy_of_its_cookie(stack: WebStack) -> None:
    with TestClient(stack.app) as browser:
        log_in(browser)
        saved = browser.cookies[COOKIE]
        assert _signed_in(stack.app, saved)
        token = csrf_of(browser.get(PAGE).text)
        assert browser.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
        assert browser.get(PAGE, follow_redirects=False).status_code == 303
    assert not _signed_in(stack.app, saved)


def test_sign_out_everywhere_ends_every_admin_session(stack: WebStack) -> None:
    with TestClient(stack.app) as laptop, TestClient(stack.app) as phone:
        log_in(laptop)
        log_in(phone)
        saved = phone.cookies[COOKIE]
        page = laptop.get(PAGE).text
        assert 'formaction="/sessions/end-all"' in page
        ended = laptop.post("/sessions/end-all", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
        assert ended.status_code == 303 and ended.headers["location"] == "/login"
        assert "Signed out everywhere" in laptop.get("/login").text
        assert laptop.get(PAGE, follow_redirects=False).status_code == 303
        assert phone.get(PAGE, follow_redirects=False).status_code == 303
    assert not _signed_in(stack.app, saved)


def test_a_changed_password_ends_the_sessions_signed_in_with_the_old_one(stack: WebStack) -> None:
    with TestClient(stack.app) as browser:
        log_in(browser)
        saved = browser.cookies[COOKIE]
    assert _signed_in(create_app(stack.settings), saved)  # a restart alone keeps the session
    changed = stack.settings.model_copy(update={"admin_password": SecretStr("a brand new passphrase")})
    restarted = create_app(changed)
    assert not _signed_in(restarted, saved)
    assert not _signed_in(create_app(stack.settings), saved)  # ended, not just hidden
    with TestClient(restarted) as browser:
        assert _sign_in(browser, ADMIN_PASSWORD).status_code == 401
        assert _sign_in(browser, "a brand new passphrase").status_code == 303


def test_a_session_ends_eight_hours_after_sign_in(stack: WebStack) -> None:
    clock = Clock()
    app = create_app(stack.settings, clock)
    with TestClient(app) as browser:
        log_in(browser)
        clock.advance(8 * 3600 - 1)
        assert browser.get(PAGE, follow_redirects=False).status_code == 200
        clock.advance(1)
        assert browser.get(PAGE, follow_redirects=False).status_code == 303


def test_a_burst_of_parallel_guesses_gets_no_more_tries_than_one_after_another(state_url: str) -> None:
    """Each attempt is counted before the password is checked, one attempt at a time, on both backends."""
    upgrade_state(state_url)
    store = StateStore(state_url)
    throttle = LoginThrottle(store, Clock())
    keys = throttle_keys(ADMIN_USER, "198.51.100.7")
    waits: list[int] = []
    start = threading.Barrier(10)

    def guess() -> None:
        start.wait()
        waits.append(throttle.attempt(keys))

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    store.close()
    assert sorted(waits) == [0] * 5 + [30] * 5
