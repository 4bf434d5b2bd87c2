"""Builds the API's OpenAPI 3.1 description from the handlers' own resolvers.

`python -m local.openapi` writes `docs/openapi.json`; the upload function serves that file at
`GET /openapi.json`, and a test fails when the file and the code drift apart.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from infra.wiring import WIRING, Wiring
from shared.http import problems

SPEC_PATH = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
# Importing a handler must not need AWS (here for the spec; bench/hotkeys.py for its in-process
# runs): placeholder values, which never reach the spec.
PLACEHOLDER_ENV = {
    "TABLE_NAME": "techognition",
    "MEDIA_BUCKET": "media",
    "MEDIA_BASE_URL": "https://x/",
    "EVENT_START": "2027-03-08",
    "EVENT_END": "2027-03-14",
    "AWS_DEFAULT_REGION": "eu-west-2",
}


@contextmanager
def _placeholder_environment() -> Iterator[None]:
    """The placeholders for as long as the handlers are imported, and then gone: a test process
    that built the spec must not hand an invented event week to what it starts next (a local
    stack takes EVENT_START from its environment)."""
    added = [key for key in PLACEHOLDER_ENV if key not in os.environ]
    os.environ.update({key: PLACEHOLDER_ENV[key] for key in added})
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def build_spec(wiring: Wiring = WIRING) -> dict[str, Any]:
    with _placeholder_environment():
        parts = [
            _schema(importlib.import_module(fn.module).app) for fn in wiring.functions if fn.routes
        ]
    spec: dict[str, Any] = {}
    for part in parts:
        if not spec:
            spec = part
            continue
        spec["paths"].update(part.get("paths", {}))
        spec.setdefault("components", {}).setdefault("schemas", {}).update(
            part.get("components", {}).get("schemas", {})
        )
    return _finish(spec, wiring)


def _schema(app: Any) -> dict[str, Any]:
    return dict(
        json.loads(
            app.get_openapi_json_schema(
                title="#TECHOGNITION API",
                version="1.0.0",
                description="The public contract of the #TECHOGNITION backend (see API.md).",
                security_schemes={
                    "organiserJwt": {
                        "type": "http",
                        "scheme": "bearer",
                        "bearerFormat": "JWT",
                        "description": "Cognito IdToken of a user in the `organisers` group",
                    }
                },
            )
        )
    )


def _finish(spec: dict[str, Any], wiring: Wiring) -> dict[str, Any]:
    organiser_paths = {r.path for r, _ in wiring.routes() if r.auth == "organiser"}
    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            # Validation errors are problem+json here, not Powertools' default shape.
            if "422" in responses:
                responses.update({str(k): v for k, v in problems(400, 422).items()})
            if path in organiser_paths:
                operation["security"] = [{"organiserJwt": []}]
                responses.update({str(k): v for k, v in problems(401, 403).items()})
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    spec["paths"] = dict(sorted(spec.get("paths", {}).items()))
    return spec


def render(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    SPEC_PATH.parent.mkdir(exist_ok=True)
    SPEC_PATH.write_text(render(build_spec()))
    print(f"wrote {SPEC_PATH}", file=sys.stderr)
