"""The HTTP client: Fault typing, retries with the same requestid, one refresh on 401, no leaked tokens."""

import httpx
import pytest

from ledger_sync.core.ledger import ErrorKind, LedgerError, WriteOp
from ledger_sync.core.tokens import AuthRejected
from tests.connector_support import ACCESS_TOKEN, REFRESHED_TOKEN

from .conftest import REALM, customer, fault

CUSTOMER_OK = {"Customer": {"Id": "7", "SyncToken": "0", "DisplayName": "Acme Ltd"}, "time": "2026-01-01T00:00:00Z"}
XML_THROTTLE = (
    b'<?xml version="1.0" encoding="UTF-8"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3">'
    b'<Fault type="ValidationFault"><Error code="3001"><Message>message=ThrottleExceeded</Message>'
    b"<Detail>Request has been throttled</Detail></Error></Fault></IntuitResponse>"
)


def one_customer_op() -> WriteOp:
    return WriteOp(record=customer(), idempotency_key="key-customer-1")


def sequence(*responses: httpx.Response | Exception):
    """A handler answering each request with the next response (or raising the next exception)."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (
            400,
            fault("2020", "Required param missing, need to supply the required value for the API"),
            "validation",
            "2020",
        ),
        (
            400,
            fault("6000", "A business validation error has occurred while processing your request"),
            "validation",
            "6000",
        ),
        (400, fault("610", "Object Not Found"), "validation", "610"),
        (400, fault("6240", "Duplicate Name Exists Error"), "duplicate", "6240"),
        (400, fault("6140", "Duplicate Document Number Error"), "duplicate", "6140"),
        (400, fault("6999", "Duplicate Document Number Error"), "duplicate", "6999"),
        (400, fault("5010", "Stale Object Error : You and someone else have edited"), "conflict", "5010"),
        (403, fault("003100", "ApplicationAuthorizationFailed", "AuthorizationFault"), "auth", "003100"),
    ],
)
def test_faults_that_are_not_retried_map_to_their_kind(harness_for, status, body, kind, code) -> None:
    harness = harness_for(lambda request: httpx.Response(status, json=body))
    with pytest.raises(LedgerError) as caught:
        harness.connector.read("Customer", "7")
    assert (caught.value.kind, caught.value.code) == (ErrorKind(kind), code)
    assert len(harness.requests) == 1


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (httpx.Response(429, json=fault("3001", "ThrottleExceeded")), ErrorKind.THROTTLED),
        (httpx.Response(429, text="Too Many Requests"), ErrorKind.THROTTLED),
        (httpx.Response(429, content=XML_THROTTLE, headers={"Content-Type": "application/xml"}), ErrorKind.THROTTLED),
        (httpx.Response(403, json=fault("3001", "message=ThrottleExceeded")), ErrorKind.THROTTLED),
        (httpx.Response(400, content=XML_THROTTLE), ErrorKind.THROTTLED),
        (
            httpx.Response(500, json=fault("10000", "An application error has occurred", "SystemFault")),
            ErrorKind.UNAVAILABLE,
        ),
        (httpx.Response(503, text="<html>Service Unavailable</html>"), ErrorKind.UNAVAILABLE),
        (httpx.Response(502, text=""), ErrorKind.UNAVAILABLE),
        (httpx.Response(200, text="not json"), ErrorKind.UNAVAILABLE),
    ],
)
def test_throttles_and_outages_are_retried_then_raised(harness_for, response, kind) -> None:
    harness = harness_for(lambda request: response, max_attempts=3)
    with pytest.raises(LedgerError) as caught:
        harness.connector.read("Customer", "7")
    assert caught.value.kind is kind
    assert len(harness.requests) == 3
    assert len(harness.sleeps) == 2


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(429, json=fault("3001", "ThrottleExceeded")),
        httpx.Response(503, text="unavailable"),
        httpx.ReadTimeout("timed out"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
    ],
)
def test_write_retry_reuses_the_same_requestid(harness_for, failure) -> None:
    harness = harness_for(sequence(failure, failure, httpx.Response(200, json=CUSTOMER_OK)))
    [outcome] = harness.connector.write(customer().entity_type, [one_customer_op()])
    assert outcome.ok and outcome.ref is not None and outcome.ref.id == "7"
    ids = {request.url.params["requestid"] for request in harness.requests}
    assert ids == {"key-customer-1"}
    assert len(harness.requests) == 3
    assert harness.connector.calls == 3


def test_backoff_grows_exponentially_with_jitter_and_is_capped(harness_for) -> None:
    harness = harness_for(
        lambda request: httpx.Response(503), max_attempts=6, backoff_base_seconds=1, backoff_max_seconds=4
    )
    with pytest.raises(LedgerError):
        harness.connector.read("Customer", "7")
    ceilings = [1, 2, 4, 4, 4]
    assert len(harness.sleeps) == len(ceilings)
    for slept, ceiling in zip(harness.sleeps, ceilings, strict=True):
        assert ceiling / 2 <= slept <= ceiling


def test_retry_after_is_honoured(harness_for) -> None:
    throttled = httpx.Response(429, json=fault("3001", "ThrottleExceeded"), headers={"Retry-After": "7"})
    harness = harness_for(sequence(throttled, httpx.Response(200, json=CUSTOMER_OK)))
    harness.connector.read("Customer", "7")
    assert harness.sleeps == [7.0]


def test_exhausted_throttle_carries_retry_after(harness_for) -> None:
    throttled = httpx.Response(429, json=fault("3001", "ThrottleExceeded"), headers={"Retry-After": "12"})
    harness = harness_for(lambda request: throttled, max_attempts=2)
    with pytest.raises(LedgerError) as caught:
        harness.connector.read("Customer", "7")
    assert caught.value.retry_after == 12.0 and caught.value.kind is ErrorKind.THROTTLED


def test_401_refreshes_once_and_retries_with_the_new_token(harness_for) -> None:
    harness = harness_for(
        sequence(
            httpx.Response(401, json=fault("3200", "AuthenticationFailed", "AUTHENTICATION")),
            httpx.Response(200, json=CUSTOMER_OK),
        )
    )
    harness.connector.read("Customer", "7")
    assert harness.tokens.rejected == [ACCESS_TOKEN]
    assert [r.headers["Authorization"] for r in harness.requests] == [
        f"Bearer {ACCESS_TOKEN}",
        f"Bearer {REFRESHED_TOKEN}",
    ]


def test_401_after_refresh_is_auth_and_not_refreshed_again(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(401, text="Unauthorized"))
    with pytest.raises(LedgerError) as caught:
        harness.connector.read("Customer", "7")
    assert caught.value.kind is ErrorKind.AUTH
    assert harness.tokens.rejected == [ACCESS_TOKEN]
    assert len(harness.requests) == 2


def test_refused_refresh_is_auth(harness_for) -> None:
    harness = harness_for(lambda request: httpx.Response(401))

    def refuse(rejected: str) -> str:
        raise AuthRejected("invalid_grant")

    harness.tokens.refreshed_access_token = refuse  # type: ignore[method-assign]
    with pytest.raises(LedgerError) as caught:
        harness.connector.read("Customer", "7")
    assert caught.value.kind is ErrorKind.AUTH


def test_every_call_has_minorversion_bearer_and_company_path(harness_for) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/query"):
            return httpx.Response(200, json={"QueryResponse": {}})
        return httpx.Response(200, json={"Invoice": {"Id": "130", "SyncToken": "2"}})

    harness = harness_for(handler)
    harness.connector.list_accounts()
    harness.connector.read("Invoice", "130")
    for request in harness.requests:
        assert request.url.params["minorversion"] == "75"
        assert request.url.path.startswith(f"/v3/company/{REALM}/")
        assert request.headers["Accept"] == "application/json"
    assert harness.requests[1].url.path == f"/v3/company/{REALM}/invoice/130"


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(401),
        httpx.Response(400, json=fault("2050", "Invalid request")),
        httpx.Response(503),
        httpx.ConnectError("connection refused"),
    ],
)
def test_no_token_in_exception_messages_or_reprs(harness_for, answer) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    harness = harness_for(handler, max_attempts=2)
    with pytest.raises(LedgerError) as caught:
        harness.connector.read("Customer", "7")
    texts = [str(caught.value), repr(caught.value), repr(harness.connector), repr(harness.connector._client)]
    texts += [str(e) for e in (caught.value.__cause__, caught.value.__context__) if e is not None]
    for text in texts:
        assert ACCESS_TOKEN not in text and REFRESHED_TOKEN not in text
