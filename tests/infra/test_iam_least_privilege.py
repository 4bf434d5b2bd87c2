"""Least privilege in the synthesized template: partitions per function, the secret and the draw
seeds readable only where needed, and the image processor kept to its own files."""

from __future__ import annotations

from typing import Any

import pytest

from local.iam import ACCOUNT
from shared.entries import seed_key
from tests.iam import policy
from tests.iam.synth import paths_of

TABLE = f"arn:aws:dynamodb:{policy.REGION}:{ACCOUNT}:table/${{TABLE_NAME}}"
MEDIA = "arn:aws:s3:::${MEDIA_BUCKET}"
# Functions that key pseudonyms (a person's email) or sign cursors: packs key the requester too.
NEEDS_SECRET = {
    "upload-api",
    "moderation-api",
    "pledge-api",
    "people-api",
    "people-email-feedback",
    "prizedraw-api",
    "prizedraw-nightly",
    "campaign-api",
}
DRAW = {"prizedraw-api", "prizedraw-nightly"}


@pytest.fixture(scope="module")
def policies(synthesized) -> dict[str, list[policy.Statement]]:
    _, stack, template = synthesized
    return policy.function_policies(template.to_json(), paths_of(stack))


def who_may(
    policies: dict[str, list[policy.Statement]],
    action: str,
    resource: str,
    context: dict[str, list[str]] | None = None,
) -> set[str]:
    calls = [policy.Call(fn, action, resource, context or {}) for fn in policies]
    denied = {call.function for call, _ in policy.evaluate(policies, calls).denied}
    return set(policies) - denied


# Reading the table's stream (the outbox consumer's event source) reaches no item by key.
STREAM_READS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}


def dynamodb_statements(resources: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        statement
        for res in resources.values()
        if res["Type"] == "AWS::IAM::Policy"
        for statement in res["Properties"]["PolicyDocument"]["Statement"]
        if any(str(a).startswith("dynamodb:") for a in policy._as_list(statement["Action"]))
        and not set(policy._as_list(statement["Action"])) <= STREAM_READS
    ]


def test_no_function_has_unconditioned_access_to_the_table_or_may_scan_it(resources):
    statements = dynamodb_statements(resources)
    assert statements
    for statement in statements:
        # Every table grant is limited to named partitions...
        condition = statement.get("Condition", {}).get("ForAllValues:StringLike", {})
        assert condition.get("dynamodb:LeadingKeys"), statement
        # ...and none is an action without a leading key, which such a condition cannot limit.
        actions = set(policy._as_list(statement["Action"]))
        assert not actions & {
            "dynamodb:Scan",
            "dynamodb:BatchGetItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:PartiQLSelect",
            "dynamodb:*",
        }


def test_the_server_secret_is_readable_only_by_the_functions_that_key_pseudonyms(policies):
    context = {"dynamodb:LeadingKeys": ["CONFIG"]}
    assert who_may(policies, "dynamodb:GetItem", TABLE, context) == NEEDS_SECRET
    # the image processor, which decodes untrusted files, is not among them
    assert "upload-processor" in policies


def test_the_draw_seeds_are_readable_only_by_the_draw(policies):
    context = {"dynamodb:LeadingKeys": [seed_key("2027-03-08")[0]]}
    assert who_may(policies, "dynamodb:GetItem", TABLE, context) == DRAW
    assert who_may(policies, "dynamodb:Query", TABLE, context) == DRAW
    # the outbox creates a day's commitment when it enters an approval (settle_photo), so it
    # may write a seed, never read one
    assert who_may(policies, "dynamodb:PutItem", TABLE, context) == DRAW | {"outbox"}


def test_the_image_processor_reads_uploads_and_writes_private_derivatives_only(policies):
    processor = {"upload-processor": policies["upload-processor"]}
    assert who_may(processor, "s3:GetObject", f"{MEDIA}/incoming/p1") == {"upload-processor"}
    assert who_may(processor, "s3:PutObject", f"{MEDIA}/private/p1/display.jpg") == {
        "upload-processor"
    }
    for action, key in (
        ("s3:PutObject", "public/p1/display.jpg"),
        ("s3:GetObject", "private/p2/display.jpg"),
        ("s3:PutObject", "incoming/p3"),
    ):
        assert who_may(processor, action, f"{MEDIA}/{key}") == set(), (action, key)
    # and only its photos' partitions of the table
    for partition in ("PLEDGE#x", "SIGNUP#x", "DRAW#2027-03-08", "CONFIG"):
        assert (
            who_may(processor, "dynamodb:GetItem", TABLE, {"dynamodb:LeadingKeys": [partition]})
            == set()
        ), partition


def test_listing_the_bucket_is_limited_to_the_granted_prefixes(policies):
    everything = {"s3:prefix": [""]}
    assert who_may(policies, "s3:ListBucket", MEDIA, everything) == set()
    public = {"s3:prefix": ["public/p1/"]}
    assert who_may(policies, "s3:ListBucket", MEDIA, public) == {"people-api", "outbox"}
