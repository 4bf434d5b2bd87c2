"""The shared HTTP layer: every error a caller can provoke is a 4xx problem+json."""

import json
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import Response
from pydantic import BaseModel, Field

from shared.errors import Conflict, RateLimited
from shared.http import (
    MAX_BODY_BYTES,
    ListPage,
    create_app,
    csv_response,
    organiser,
    organiser_page,
)
from tests.events import MEMBER_CLAIMS, ORGANISER_CLAIMS


class _Body(BaseModel):
    caption: str = Field(min_length=1, max_length=5)
    size_bytes: int


app = create_app()


@app.post("/uploads")
def _create(body: _Body) -> dict:
    if body.caption == "taken":
        raise Conflict("That one is taken.")
    if body.caption == "slow":
        raise RateLimited("Slow down.", retry_after_s=42)
    if body.caption == "boom":
        raise RuntimeError("a bug of ours")
    return {"ok": True}


@app.get("/admin/photos")
def _admin() -> dict:
    return {"organiser": organiser(app)}


def _event(method, path, body=None, claims=None):
    event = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "203.0.113.1"},
            "stage": "$default",
            "requestId": "r",
        },
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    if claims is not None:
        from local.gateway import _flatten_claims

        event["requestContext"]["authorizer"] = {"jwt": {"claims": _flatten_claims(claims)}}
    return event


def _resolve(event: dict[str, Any]) -> dict[str, Any]:
    from local.runtime import LocalContext

    context: Any = LocalContext("test", 128, 3)  # what the local runtime hands every handler
    return app.resolve(event, context)


def _call(*args, **kwargs):
    response = _resolve(_event(*args, **kwargs))
    return response["statusCode"], response["headers"], json.loads(response["body"])


def test_malformed_json_is_a_400_problem():
    status, headers, body = _call("POST", "/uploads", body="{not json")
    assert status == 400
    assert headers["Content-Type"] == "application/problem+json"
    assert body["status"] == 400 and body["title"] and body["type"].startswith("https://")


def test_wrong_types_are_a_422_with_locations_and_no_echo_of_input():
    status, _, body = _call(
        "POST", "/uploads", body=json.dumps({"caption": "secret@example.org", "size_bytes": "x"})
    )
    assert status == 422
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert ("body", "caption") in locs and ("body", "size_bytes") in locs
    assert "secret@example.org" not in json.dumps(body)


def test_a_huge_body_is_a_413_before_parsing():
    status, _, body = _call("POST", "/uploads", body="x" * (MAX_BODY_BYTES + 1))
    assert status == 413 and body["status"] == 413


def test_domain_errors_keep_their_status_and_rate_limits_say_when_to_retry():
    status, _, body = _call(
        "POST", "/uploads", body=json.dumps({"caption": "taken", "size_bytes": 1})
    )
    assert (status, body["detail"]) == (409, "That one is taken.")
    status, headers, _ = _call(
        "POST", "/uploads", body=json.dumps({"caption": "slow", "size_bytes": 1})
    )
    assert status == 429 and headers["Retry-After"] == "42"


def test_a_bug_is_a_plain_500_problem_without_internals():
    status, _, body = _call(
        "POST", "/uploads", body=json.dumps({"caption": "boom", "size_bytes": 1})
    )
    assert status == 500
    assert "a bug of ours" not in json.dumps(body)


def test_unknown_paths_are_a_404_problem():
    status, _, body = _call("GET", "/nowhere")
    assert status == 404 and body["status"] == 404


@pytest.mark.parametrize(
    ("claims", "status"),
    [
        (None, 401),
        (MEMBER_CLAIMS, 403),
        (ORGANISER_CLAIMS, 200),
    ],
)
def test_the_organiser_group_is_checked_again_in_the_function(claims, status):
    got, _, body = _call("GET", "/admin/photos", claims=claims)
    assert got == status
    if status == 200:
        assert body == {"organiser": "org-ann"}


@app.post("/admin/things")
def _admin_thing(body: _Body) -> dict:
    return {"ok": True}


@pytest.mark.parametrize(("claims", "status"), [(None, 401), (MEMBER_CLAIMS, 403)])
def test_a_non_organiser_hears_no_before_the_body_is_validated(claims, status):
    # Given an admin route with a typed body, called with a body that would fail validation
    got, _, body = _call("POST", "/admin/things", body="{}", claims=claims)
    # Then the caller learns only that they may not: no validation detail
    assert got == status
    assert "errors" not in body


@pytest.mark.parametrize(
    "groups",
    [
        ["organisers,x"],  # one group whose name holds a comma (flattened "[organisers,x]")
        ["x,organisers"],
        "x,organisers",  # a plain string claim
        "[x,organisers]",
        "[organisers,]",
    ],
)
def test_a_group_name_holding_a_comma_does_not_grant_organiser(groups):
    # Given claims whose only group merely contains "organisers" next to a comma
    claims = {"cognito:username": "mel", "cognito:groups": groups, "sub": "sub-mel"}
    # When an organiser route is called
    got, _, _ = _call("GET", "/admin/photos", claims=claims)
    # Then HTTP API's whitespace-separated flattening is the only split: no organiser rights
    assert got == 403


def test_organisers_among_several_groups_is_still_an_organiser():
    claims = {**ORGANISER_CLAIMS, "cognito:groups": ["x,y", "organisers", "z"]}
    got, _, body = _call("GET", "/admin/photos", claims=claims)
    assert got == 200 and body == {"organiser": "org-ann"}


@pytest.mark.parametrize(
    "body", ['[{"caption": "ok", "size_bytes": 1}]', '"text"', "42", "null", "[]"]
)
def test_a_body_that_is_not_one_json_object_is_a_422(body):
    # Powertools alone would read a list around the object as the object it holds
    status, _headers, problem = _call("POST", "/uploads", body=body)
    assert status == 422
    assert problem["errors"] == [{"loc": ["body"], "msg": "Input should be a JSON object"}]


def test_one_json_object_still_passes_and_malformed_json_is_still_a_400():
    ok, _, _ = _call("POST", "/uploads", body='{"caption": "ok", "size_bytes": 1}')
    broken, _, _ = _call("POST", "/uploads", body='{"caption": ')
    assert ok == 200
    assert broken == 400


# -- the helpers every API function assembles ------------------------------------------------------
class _Row(BaseModel):
    name: str


@app.get("/admin/rows")
def _rows() -> ListPage[_Row]:
    return organiser_page(app, ListPage[_Row], lambda: ([_Row(name="a")], "next"))


@app.get("/admin/rows/export")
def _export() -> Response[str]:
    organiser(app)
    return csv_response(("name", "note"), [{"name": "=cmd()", "note": None}], filename="r.csv")


def test_an_organiser_list_checks_the_organiser_before_reading_and_answers_one_page():
    refused = _resolve(_event("GET", "/admin/rows", claims=MEMBER_CLAIMS))
    assert refused["statusCode"] == 403
    page = _resolve(_event("GET", "/admin/rows", claims=ORGANISER_CLAIMS))
    assert (page["statusCode"], json.loads(page["body"])) == (
        200,
        {"items": [{"name": "a"}], "next_cursor": "next"},
    )


def test_an_export_is_a_neutralised_csv_attachment_no_cache_keeps():
    response = _resolve(_event("GET", "/admin/rows/export", claims=ORGANISER_CLAIMS))
    assert response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/csv; charset=utf-8"
    assert response["headers"]["Content-Disposition"] == 'attachment; filename="r.csv"'
    assert response["headers"]["Cache-Control"] == "no-store"
    assert response["body"] == "name,note\r\n'=cmd(),\r\n"


def test_cursors_are_signed_per_list(monkeypatch):
    from shared import http
    from shared.errors import BadRequest

    monkeypatch.setattr(http, "cursor_key", lambda _table: b"k" * 32)
    cursors = http.Cursors("table")
    cursor = cursors.next({"pk": "WALL#PLEDGES", "sk": "x"}, "pledge-wall")
    assert cursors.start(cursor, "pledge-wall") == {"pk": "WALL#PLEDGES", "sk": "x"}
    assert cursors.next(None, "pledge-wall") is None
    with pytest.raises(BadRequest):
        cursors.start(cursor, "messages")
