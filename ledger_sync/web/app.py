"""The settings web app: `create_app(settings)` wires the admin session, login and the Accounting tab.

Missing settings fail here, at startup, with a message saying what to set (the admin password, the
session secret outside demo mode, the token encryption key outside demo mode). `clock` is the time the
sessions and the login throttle go by (tests pass their own).
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware

from ledger_sync.connectors.service_opus.extract import ServiceOpusSource
from ledger_sync.settings import Settings
from ledger_sync.state.db import make_engine
from ledger_sync.state.store import StateStore
from ledger_sync.state.tokens import TokenCipher
from ledger_sync.web.accounting import accounting_router
from ledger_sync.web.activity import activity_router
from ledger_sync.web.connect import connect_router
from ledger_sync.web.existing_records import existing_records_router
from ledger_sync.web.headers import SecurityHeaders
from ledger_sync.web.login import login_router
from ledger_sync.web.logs import redact_access_log
from ledger_sync.web.security import LoginRequired, admin_password, login_redirect, session_secret
from ledger_sync.web.sessions import SESSION_LIFETIME, AdminSessions, credential_fingerprint
from ledger_sync.web.throttle import LoginThrottle


def _utcnow() -> datetime:
    return datetime.now(UTC)


def create_app(settings: Settings, clock: Callable[[], datetime] = _utcnow) -> FastAPI:
    secret = session_secret(settings)
    password = admin_password(settings)
    TokenCipher.from_settings(settings)  # the token encryption key, checked before the first request
    redact_access_log()  # before uvicorn logs the first request
    store = StateStore.open(settings)
    source = ServiceOpusSource(make_engine(settings.resolved_source_url))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()
        source.engine.dispose()

    app = FastAPI(title="Opus Ledger Sync settings", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    credential = credential_fingerprint(secret, settings.admin_username, password.get_secret_value())
    app.state.admin_sessions = AdminSessions(store, credential, clock)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie="ledger_sync_session",
        same_site="lax",
        https_only=settings.web_base_url.startswith("https://"),
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, redirects and errors included
    app.add_exception_handler(LoginRequired, login_redirect)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(login_router(settings, LoginThrottle(store, clock)))
    app.include_router(connect_router(settings, store))
    app.include_router(accounting_router(settings, store, source))
    app.include_router(activity_router(settings, store, source))
    app.include_router(existing_records_router(settings, store))
    return app
