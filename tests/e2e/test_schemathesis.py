"""A bounded schemathesis run against the local stack's own `GET /openapi.json`.

Every operation, valid and invalid inputs (positive and negative generation): no input may
give a 5xx, and every response must be documented (status code, content type, body schema).
The run gets its OWN local stack: fuzzed organiser calls (`POST /admin/erasure`,
`POST /admin/draws`, decisions) change state, which must not leak into the shared `stack`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import ROOT, sign_in, stack_fixture

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 12  # per operation and mode: bounded so the whole file stays near a minute here
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


fuzz_stack = stack_fixture("fuzz-stack")


@pytest.fixture(scope="module")
def fuzz_token(fuzz_stack: dict[str, Any]) -> str:
    return sign_in(fuzz_stack, "organiser")


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def api_schema(fuzz_stack: dict[str, Any]) -> Any:
    """The spec as the running API serves it (not the committed copy), with its base URL."""
    api_url = str(fuzz_stack["api_url"]).rstrip("/")
    schema = schemathesis.openapi.from_url(f"{api_url}/openapi.json", timeout=10)
    schema.config.update(base_url=api_url)
    return schema


# One test per operation of the committed spec (the drift test keeps it equal to the served one).
# schemathesis' own pytest loader (`from_fixture`) breaks on pytest 9, so the cases are driven
# with Hypothesis here, from each operation's strategy.
_SPEC = json.loads((ROOT / "docs" / "openapi.json").read_text())
OPERATIONS = [(method.upper(), path) for path, item in _SPEC["paths"].items() for method in item]


def _spoilable(operation: dict[str, Any]) -> bool:
    """Whether some input can be invalid: a body, or a parameter constrained beyond "any
    string" (a path id the spec leaves free-form accepts every value: nothing to spoil)."""
    return "requestBody" in operation or any(
        set(p.get("schema", {})) - {"type", "title", "description"}
        or p.get("schema", {}).get("type") != "string"
        for p in operation.get("parameters", [])
    )


# Invalid inputs only where there is an input to spoil.
CASES = [
    pytest.param(method, path, mode, id=f"{mode.value}-{method} {path}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _spoilable(_SPEC["paths"][path][method.lower()])
]


@pytest.mark.parametrize(("method", "path", "mode"), CASES)
def test_api_answers_generated_requests_as_documented(
    method: str,
    path: str,
    mode: GenerationMode,
    api_schema: Any,
    fuzz_token: str,
    http: requests.Session,
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same cases every run: a failure here is reproducible
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def check(case: Any) -> None:
        # Given a request the spec allows (or, invalid mode, almost allows), with the
        # organiser's token so that /admin routes are exercised past the authorizer
        headers = {"Authorization": f"Bearer {fuzz_token}"}
        # When it is sent
        response = case.call(session=http, headers=headers, timeout=30)
        # Then no 5xx, and the status, content type and body are the documented ones. One
        # exception: when an invalid case drops or spoils the token, the 401 comes from the
        # authorizer, i.e. API Gateway's own `{"message": "Unauthorized"}` JSON rather than our
        # problem+json (the real HTTP API answers so too): only its status is checked.
        sent = response.request.headers.get("Authorization")
        from_gateway = response.status_code == 401 and sent != headers["Authorization"]
        checks = [not_a_server_error, status_code_conformance] if from_gateway else CHECKS
        case.validate_response(response, checks=checks)

    check()
