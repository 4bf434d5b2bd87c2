"""The IAM check's two halves: calls turned into IAM requests, and requests judged by a policy."""

from __future__ import annotations

from typing import Any

import pytest

from local.iam import ACCOUNT, requests_for
from tests.iam import policy

REGION = policy.REGION
TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/${{TABLE_NAME}}"


@pytest.fixture(autouse=True)
def names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_NAME", "techognition")
    monkeypatch.setenv("MEDIA_BUCKET", "media")


def statement(
    effect: str = "Allow",
    actions: tuple[str, ...] = ("dynamodb:GetItem",),
    resources: tuple[str, ...] = (TABLE,),
    condition: Any = None,
    not_actions: tuple[str, ...] = (),
) -> policy.Statement:
    return policy.Statement("fn", 0, effect, actions, not_actions, resources, (), condition)


def allowed(
    statements: list[policy.Statement],
    action: str,
    resource: str,
    context: dict[str, list[str]] | None = None,
) -> bool:
    policies = {"fn": [s.__class__(**{**s.__dict__, "index": i}) for i, s in enumerate(statements)]}
    verdict = policy.evaluate(policies, [policy.Call("fn", action, resource, context or {})])
    return not verdict.denied


def leading(*prefixes: str) -> dict[str, Any]:
    return {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(prefixes)}}


# ---- requests: what AWS authorises for each call ---------------------------------------------


def test_a_transaction_is_authorised_item_by_item_with_each_items_partition_key():
    params = {
        "TransactItems": [
            {"Put": {"TableName": "techognition", "Item": {"pk": {"S": "PHOTO#1"}}}},
            {"Update": {"TableName": "techognition", "Key": {"pk": {"S": "DAY#2027-03-08"}}}},
            {"ConditionCheck": {"TableName": "techognition", "Key": {"pk": {"S": "RATE#x"}}}},
        ]
    }
    requests = requests_for("dynamodb", "dynamodb", "TransactWriteItems", params, REGION)
    assert [(r.action, r.resource, r.context["dynamodb:LeadingKeys"]) for r in requests] == [
        ("dynamodb:PutItem", TABLE, ["PHOTO#1"]),
        ("dynamodb:UpdateItem", TABLE, ["DAY#2027-03-08"]),
        ("dynamodb:ConditionCheckItem", TABLE, ["RATE#x"]),
    ]


def test_a_query_on_an_index_names_the_index_and_its_partition_key_value():
    params = {
        "TableName": "techognition",
        "IndexName": "gsi1",
        "KeyConditionExpression": "#p = :p AND begins_with(#s, :s)",
        "ExpressionAttributeNames": {"#p": "gsi1pk", "#s": "gsi1sk"},
        "ExpressionAttributeValues": {":p": {"S": "GALLERY"}, ":s": {"S": "2027"}},
    }
    (request,) = requests_for("dynamodb", "dynamodb", "Query", params, REGION)
    assert request.resource == f"{TABLE}/index/gsi1"
    assert request.context == {"dynamodb:LeadingKeys": ["GALLERY"]}


def test_a_copy_needs_put_on_the_target_and_get_on_the_source():
    params = {
        "Bucket": "media",
        "Key": "public/1/display.jpg",
        "CopySource": {"Bucket": "media", "Key": "private/1/display.jpg"},
    }
    requests = requests_for("s3", "s3", "CopyObject", params, REGION)
    assert [(r.action, r.resource) for r in requests] == [
        ("s3:PutObject", "arn:aws:s3:::${MEDIA_BUCKET}/public/1/display.jpg"),
        ("s3:GetObject", "arn:aws:s3:::${MEDIA_BUCKET}/private/1/display.jpg"),
    ]


def test_a_send_names_the_sender_identity_and_the_configuration_set(monkeypatch):
    monkeypatch.setenv("SENDER_EMAIL", "hello@x.test")
    params = {"Source": "Techognition <hello@x.test>", "ConfigurationSetName": "other-set"}
    requests = requests_for("ses", "ses", "SendEmail", params, REGION)
    assert [r.resource for r in requests] == [
        f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/${{SENDER_EMAIL}}",
        f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/other-set",  # not the function's
    ]


# ---- evaluation ------------------------------------------------------------------------------


def test_wildcards_match_actions_case_insensitively_and_resources_exactly():
    grants = [statement(actions=("S3:Get*",), resources=("arn:aws:s3:::media/public/*",))]
    assert allowed(grants, "s3:GetObject", "arn:aws:s3:::media/public/1/a.jpg")
    assert not allowed(grants, "s3:GetObject", "arn:aws:s3:::media/private/1/a.jpg")
    assert not allowed(grants, "s3:PutObject", "arn:aws:s3:::media/public/1/a.jpg")
    assert not allowed(grants, "s3:GetObject", "arn:aws:s3:::MEDIA/public/1/a.jpg")


def test_an_explicit_deny_wins_over_any_allow():
    grants = [
        statement(actions=("dynamodb:*",)),
        statement(effect="Deny", actions=("dynamodb:GetItem",)),
    ]
    assert not allowed(grants, "dynamodb:GetItem", TABLE)
    assert allowed(grants, "dynamodb:PutItem", TABLE)


def test_not_action_allows_everything_but_the_named_actions():
    grants = [statement(actions=(), not_actions=("dynamodb:Scan",))]
    assert allowed(grants, "dynamodb:Query", TABLE)
    assert not allowed(grants, "dynamodb:Scan", TABLE)


def test_leading_keys_allow_only_the_granted_partitions():
    grants = [statement(actions=("dynamodb:PutItem",), condition=leading("PHOTO#*", "DAY#*"))]
    assert allowed(grants, "dynamodb:PutItem", TABLE, {"dynamodb:LeadingKeys": ["PHOTO#1"]})
    assert not allowed(grants, "dynamodb:PutItem", TABLE, {"dynamodb:LeadingKeys": ["CONFIG"]})
    # a batch is allowed only if every key is
    assert not allowed(
        grants, "dynamodb:PutItem", TABLE, {"dynamodb:LeadingKeys": ["PHOTO#1", "CONFIG"]}
    )


def test_for_all_values_holds_for_a_request_without_the_key_as_iam_evaluates_it():
    # A Scan carries no LeadingKeys, so a LeadingKeys-conditioned Scan grant reads everything:
    # the evaluator must say so, or a narrowed policy would look tighter than it is.
    grants = [statement(actions=("dynamodb:Scan",), condition=leading("PHOTO#*"))]
    assert allowed(grants, "dynamodb:Scan", TABLE, {})


def test_a_plain_condition_on_a_missing_key_fails_unless_negated_or_if_exists():
    equals = {"StringEquals": {"s3:prefix": "public/"}}
    assert not allowed(
        [statement(actions=("s3:ListBucket",), condition=equals)], "s3:ListBucket", TABLE, {}
    )
    if_exists = {"StringEqualsIfExists": {"s3:prefix": "public/"}}
    assert allowed(
        [statement(actions=("s3:ListBucket",), condition=if_exists)], "s3:ListBucket", TABLE, {}
    )


def test_an_unmodelled_condition_operator_is_an_error_not_a_silent_allow():
    grants = [statement(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})]
    with pytest.raises(NotImplementedError):
        allowed(grants, "dynamodb:GetItem", TABLE)


def test_template_intrinsics_resolve_to_the_recorded_names():
    template = {
        "Resources": {
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Environment": {"Variables": {"TABLE_NAME": {"Ref": "Table"}}},
                },
            },
            "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
            "Policy": {
                "Type": "AWS::IAM::Policy",
                "Properties": {
                    "Roles": [{"Ref": "Role"}],
                    "PolicyDocument": {
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": "dynamodb:GetItem",
                                "Resource": {
                                    "Fn::Join": ["", [{"Fn::GetAtt": ["Table", "Arn"]}, "/index/*"]]
                                },
                                "Condition": {
                                    "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["GALLERY"]}
                                },
                            }
                        ]
                    },
                },
            },
        }
    }
    paths = {"Fn": "Stack/Functions/upload-api/Function/Resource"}
    (granted,) = policy.function_policies(template, paths)["upload-api"]
    assert granted.resources == (f"{TABLE}/index/*",)
    assert granted.condition == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["GALLERY"]}}
