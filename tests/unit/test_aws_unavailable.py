"""AWS failures that outlast the SDK's retries answer 503 with Retry-After, never 500; a request
stops calling AWS before its function's deadline (issue 17)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from shared import aws
from shared.dynamo import TransactionConflict
from shared.http import create_app


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "PutItem")


FAILURES: dict[str, Exception] = {
    "throttled": _client_error("ThrottlingException", 400),
    "5xx": _client_error("InternalServerError", 500),
    "unreachable": EndpointConnectionError(endpoint_url="https://dynamodb.test"),
    "timeout": ReadTimeoutError(endpoint_url="https://dynamodb.test"),
    "contended": TransactionConflict(["None", "TransactionConflict"]),
    "bug": _client_error("ValidationException", 400),
    "condition": TransactionConflict(["ConditionalCheckFailed", "None"]),
}

app = create_app()


@app.get("/fail/<kind>")
def _fail(kind: str) -> dict[str, Any]:
    raise FAILURES[kind]


def _get(kind: str) -> dict[str, Any]:
    from local.runtime import LocalContext

    path = f"/fail/{kind}"
    event = {
        "version": "2.0",
        "routeKey": f"GET {path}",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "isBase64Encoded": False,
        "requestContext": {
            "http": {"method": "GET", "path": path, "sourceIp": "203.0.113.1"},
            "stage": "$default",
            "requestId": "r",
        },
    }
    answer: dict[str, Any] = app.resolve(event, LocalContext("test", 128, 10))  # type: ignore[arg-type]
    return answer


@pytest.mark.parametrize("kind", ["throttled", "5xx", "unreachable", "timeout", "contended"])
def test_a_transient_aws_failure_is_a_503_with_retry_after(kind):
    answer = _get(kind)
    assert answer["statusCode"] == 503
    assert answer["headers"]["Content-Type"] == "application/problem+json"
    assert int(answer["headers"]["Retry-After"]) >= 1
    body = json.loads(answer["body"])
    assert (body["status"], body["title"]) == (503, "Service unavailable")
    assert "dynamodb.test" not in answer["body"]  # nothing of the AWS error is echoed


@pytest.mark.parametrize("kind", ["bug", "condition"])
def test_our_own_mistakes_stay_500(kind):
    assert _get(kind)["statusCode"] == 500


def test_no_aws_call_starts_once_a_whole_try_no_longer_fits_the_deadline(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws.reset_clients()
    sent: list[str] = []
    ddb = aws.client("dynamodb")
    ddb.meta.events.register("before-send", lambda request, **_: sent.append(request.url))
    try:
        # Given a request with less time left than one try (connect + read) and the answer
        aws.set_deadline(int((aws.CONNECT_TIMEOUT_S + aws.READ_TIMEOUT_S) * 1000))
        # When it calls DynamoDB, Then the call fails at once as a transient failure, unsent
        with pytest.raises(aws.deadline_error()) as raised:
            ddb.get_item(TableName="t", Key={"pk": {"S": "x"}})
        assert aws.transient(raised.value)
        assert sent == []
    finally:
        aws.set_deadline(None)
        aws.reset_clients()


def test_a_request_fits_its_function_timeout():
    # Every try of every call is bounded, and so are the tries: standard retries, 3 attempts.
    one_try = aws.CONNECT_TIMEOUT_S + aws.READ_TIMEOUT_S
    assert aws.MAX_ATTEMPTS * one_try < 10  # the API functions' timeout (infra/wiring.py)
