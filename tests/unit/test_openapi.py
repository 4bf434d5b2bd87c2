"""docs/openapi.json is generated from the handlers; this fails when the two drift apart."""

import json

from infra.wiring import WIRING
from local.openapi import SPEC_PATH, build_spec, render


def test_committed_spec_matches_the_code():
    assert SPEC_PATH.read_text() == render(build_spec()), "run `make openapi` and commit"


def test_every_wired_route_is_described_and_organiser_routes_need_a_token():
    spec = json.loads(SPEC_PATH.read_text())
    assert spec["openapi"].startswith("3.1")
    for route, _ in WIRING.routes():
        operation = spec["paths"][route.path][route.method.lower()]
        if route.auth == "organiser":
            assert operation["security"] == [{"organiserJwt": []}]
            assert {"401", "403"} <= set(operation["responses"])
        else:
            assert "security" not in operation


def test_building_the_spec_leaves_the_environment_as_it_was(monkeypatch):
    # A test process that built the spec once handed its invented event week to every local
    # stack it started afterwards (they read EVENT_START from the environment).
    import os

    from local.openapi import build_spec

    for key in ("EVENT_START", "EVENT_END", "TABLE_NAME"):
        monkeypatch.delenv(key, raising=False)
    before = dict(os.environ)
    assert build_spec()["paths"]
    assert dict(os.environ) == before
