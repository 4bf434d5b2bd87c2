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
