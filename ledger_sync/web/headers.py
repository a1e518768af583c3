"""Security headers on every answer: the settings pages run only our own script and cannot be framed;
the reports (Data Docs, written from Service Opus and ledger data) run no script at all.

A report is served with a CSP `sandbox` (no `allow-scripts`, no `allow-same-origin`): even a value that
slipped through escaping runs nothing and cannot reach the settings page's cookies, forms or DOM.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REPORTS = "/reports/"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
REPORT_POLICY = (
    "sandbox; default-src 'none'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""Data Docs pages carry inline styles (harmless) and reference scripts, which the policy blocks."""
COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""`no-referrer`: an OAuth callback URL (code, state) is never sent on to another site."""


def policy_for(path: str) -> str:
    return REPORT_POLICY if path.startswith(REPORTS) else PAGE_POLICY


class SecurityHeaders:
    """ASGI middleware adding the headers above to every HTTP answer, errors and redirects included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope["path"])

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.decode().lower() not in _SET]
                headers += [(k.lower().encode(), v.encode()) for k, v in {**COMMON, _CSP: policy}.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


_CSP = "Content-Security-Policy"
_SET = {name.lower() for name in (*COMMON, _CSP)}
