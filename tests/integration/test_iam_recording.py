"""The IAM check's recorder: a handler's calls are recorded under its function, set-up is not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local import iam
from tests.events import http_event


def recorded(recorder: iam.Recorder) -> list[dict[str, Any]]:
    if not recorder.path.exists():
        return []
    return [json.loads(line) for line in recorder.path.read_text().splitlines() if line]


@pytest.fixture
def recorder() -> iam.Recorder:
    installed = iam.install()
    assert installed is not None, "the IAM plugin installs the recorder in every test process"
    return installed


def test_a_handlers_calls_are_recorded_under_its_function_and_set_up_calls_are_not(
    aws_env, lambda_context, recorder
):
    from shared.aws import client

    # Given an item the test itself writes (set-up: no function's call)
    client("dynamodb").put_item(
        TableName=aws_env.table_name, Item={"pk": {"S": "PHOTO#setup-only"}, "sk": {"S": "X"}}
    )
    # When the upload API serves a status request, imported as the tests import handlers
    from functions.upload.handler import lambda_handler

    lambda_handler(http_event("GET", "/uploads/AAAAAAAAAAAAAAAA"), lambda_context)
    # Then its read of that photo's partition is recorded under upload-api
    records = recorded(recorder)
    reads = [
        r
        for r in records
        if r["function"] == "upload-api"
        and r["action"] == "dynamodb:GetItem"
        and r["context"] == {"dynamodb:LeadingKeys": ["PHOTO#AAAAAAAAAAAAAAAA"]}
    ]
    assert reads, records[-5:]
    assert reads[0]["resource"].endswith(":table/${TABLE_NAME}")
    # and the set-up write is not recorded at all
    assert not [
        r for r in records if r["context"].get("dynamodb:LeadingKeys") == ["PHOTO#setup-only"]
    ]


def test_each_function_reads_the_server_secret_itself_as_in_its_own_lambda(
    aws_env, lambda_context, recorder
):
    # Given the secret already read by one function in this process
    from functions.pledge.handler import lambda_handler as pledges
    from functions.upload.handler import lambda_handler as uploads

    pledges(http_event("GET", "/pledges"), lambda_context)
    # When another function that needs it runs in the same process
    uploads(http_event("GET", "/photos"), lambda_context)
    # Then it read the secret too (in the cloud it has no cache of the other's), so the IAM
    # check sees both reads
    readers = {
        r["function"]
        for r in recorded(recorder)
        if r["action"] == "dynamodb:GetItem"
        and r["context"] == {"dynamodb:LeadingKeys": ["CONFIG"]}
    }
    assert {"pledge-api", "upload-api"} <= readers
