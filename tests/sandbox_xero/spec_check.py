"""Checks recorded sandbox responses against Xero's official OpenAPI specs (in ../shared, never copied)."""

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.exceptions import OpenAPIError
from openapi_core.templating.paths.exceptions import PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.schemas.exceptions import InvalidSchemaValue
from openapi_schema_validator import OAS30Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from ledger_sync.settings import Settings

XERO_HOST = "https://api.xero.com"


def xero_dir(kind: str) -> Path:
    """`specs/xero` or `golden/xero` under the shared folder; skips the test when it is absent."""
    folder = Settings().shared_dir / kind / "xero"
    if not folder.is_dir():
        pytest.skip(f"Xero's {kind} files are not available at {folder} (the ../shared folder is absent)")
    return folder


@cache
def load_yaml(path: Path) -> dict:
    with path.open() as handle:
        return yaml.load(handle, Loader=yaml.CSafeLoader)


@cache
def spec(name: str) -> OpenAPI:
    return OpenAPI.from_dict(load_yaml(xero_dir("specs") / name), config=Config(spec_validator_cls=None))


@dataclass
class SpecRequest:
    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None


@dataclass
class SpecResponse:
    status_code: int
    content_type: str
    headers: Headers
    data: bytes


@dataclass
class Verdicts:
    checked: int = 0
    undocumented: list[str] = field(default_factory=list)
    """Status codes the spec does not describe for that operation (401/403/429...): nothing to check."""
    violations: list[str] = field(default_factory=list)
    shared_with_real: list[str] = field(default_factory=list)
    """Departures from the spec that the recorded real Xero response makes too (e.g. zone-less
    `createdDateUtc` on /Connections): the sandbox follows the real service there."""


Problem = tuple[str, str]


def _problems(violation: OpenAPIError) -> set[Problem]:
    """(field path without list indices, failed keyword) for each schema error; whole error otherwise."""
    cause = violation.__cause__
    if isinstance(cause, InvalidSchemaValue):
        return {
            (".".join(str(part) for part in error.path if not isinstance(part, int)), str(error.validator))
            for error in cause.schema_errors
        }
    return {("", repr(violation))}


@cache
def real_problems() -> dict[tuple[str, str], frozenset[Problem]]:
    """How each recorded real response departs from the spec, by (method, spec path)."""
    found: dict[tuple[str, str], frozenset[Problem]] = {}
    for cassette in sorted(xero_dir("golden").glob("*.yaml")):
        for interaction in load_yaml(cassette)["interactions"]:
            url = httpx.URL(interaction["request"]["uri"])
            if url.host != "api.xero.com":
                continue
            request = httpx.Request(interaction["request"]["method"], url)
            recorded = interaction["response"]
            body = recorded["body"]["string"] or ""
            response = httpx.Response(
                recorded["status"]["code"],
                content=body if isinstance(body, bytes) else body.encode(),
                headers={"content-type": recorded["headers"]["Content-Type"][0]},
                request=request,
            )
            api, spec_path = _route(url.path)
            if api is None:
                continue
            try:
                api.validate_response(*_as_spec(response, spec_path))
            except OpenAPIError as violation:
                found[(request.method, spec_path)] = frozenset(_problems(violation))
    return found


def _as_spec(response: httpx.Response, path: str) -> tuple[SpecRequest, SpecResponse]:
    request = response.request
    parameters = RequestParameters(
        query=ImmutableMultiDict(parse_qs(request.url.query.decode(), keep_blank_values=True)),
        header=Headers(dict(request.headers)),
        cookie=ImmutableMultiDict(),
    )
    spec_request = SpecRequest(
        XERO_HOST,
        path,
        request.method.lower(),
        parameters,
        request.headers.get("content-type", "application/json"),
        request.content or None,
    )
    content_type = response.headers.get("content-type", "application/json").split(";")[0]
    return spec_request, SpecResponse(
        response.status_code, content_type, Headers(dict(response.headers)), response.content
    )


def _route(path: str) -> tuple[OpenAPI | None, str]:
    if path.startswith("/api.xro/2.0/"):
        return spec("xero_accounting.yaml"), path
    if path.lower().startswith("/connections"):
        return spec("xero-identity.yaml"), "/Connections" + path[len("/connections") :]
    return None, path  # consent page, revocation, sandbox admin: no spec describes them


def check_traffic(traffic: list[httpx.Response]) -> Verdicts:
    token_schema = load_yaml(xero_dir("specs") / "xero-identity.yaml")["components"]["schemas"]["AccessToken"]
    verdicts = Verdicts()
    for response in traffic:
        path = response.request.url.path
        where = f"{response.request.method} {path} -> {response.status_code}"
        if path == "/connect/token":
            verdicts.checked += 1
            body = json.loads(response.content)
            errors = [error.message for error in OAS30Validator(token_schema).iter_errors(body)]
            if response.status_code == 200 and (errors or "access_token" not in body):
                verdicts.violations.append(f"{where}: {errors}")
            elif response.status_code != 200 and set(body) != {"error"}:
                verdicts.violations.append(f"{where}: OAuth error body {body}")
            continue
        api, spec_path = _route(path)
        if api is None:
            continue
        request, answer = _as_spec(response, spec_path)
        try:
            api.validate_response(request, answer)
        except (ResponseNotFound, PathNotFound):
            verdicts.undocumented.append(where)
        except OpenAPIError as violation:
            if _problems(violation) <= real_problems().get((response.request.method, spec_path), frozenset()):
                verdicts.shared_with_real.append(where)
            else:
                verdicts.violations.append(f"{where}: {violation.__cause__ or violation!r}"[:2000])
        else:
            verdicts.checked += 1
    return verdicts
