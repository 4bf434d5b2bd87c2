"""Runtime, data, storage and cost properties of the synthesized template."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infra.wiring import WIRING

from .conftest import of_type

STANDING_COST_TYPES = {
    "AWS::EC2::NatGateway",
    "AWS::EC2::VPC",
    "AWS::EC2::Instance",
    "AWS::KMS::Key",
    "AWS::WAFv2::WebACL",
    "AWS::RDS::DBInstance",
    "AWS::ElastiCache::CacheCluster",
    "AWS::Lambda::Version",  # provisioned concurrency hangs off versions/aliases
    "AWS::Lambda::Alias",
    "AWS::EC2::VPCEndpoint",
}


def test_every_function_is_python313_arm64_json_logged_and_traced(resources):
    functions = {
        k: f
        for k, f in of_type(resources, "AWS::Lambda::Function").items()
        if f["Properties"].get("Handler", "").startswith("functions.")
    }
    assert sorted(f["Properties"]["Handler"] for f in functions.values()) == sorted(
        fn.handler for fn in WIRING.functions
    )
    for fn in functions.values():
        props = fn["Properties"]
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["arm64"]
        assert props["LoggingConfig"]["LogFormat"] == "JSON"
        assert props["TracingConfig"] == {"Mode": "Active"}
        env = props["Environment"]["Variables"]
        assert env["EVENT_TZ"] == "Europe/London"
        assert env["PRESCREEN"] == "rekognition"
        assert env["MEDIA_BASE_URL"]["Fn::Join"][1][0] == "https://"
        assert env["MEDIA_BASE_URL"]["Fn::Join"][1][-1] == "/"


def test_function_limits_come_from_the_wiring(resources):
    functions = {
        f["Properties"]["Handler"]: f["Properties"]
        for f in of_type(resources, "AWS::Lambda::Function").values()
    }
    for spec in WIRING.functions:
        props = functions[spec.handler]
        assert props["MemorySize"] == spec.memory_mb
        assert props["Timeout"] == spec.timeout_s


def test_no_function_reserves_concurrency_so_a_new_account_can_deploy(resources):
    # A new account's quota is 10 and Lambda keeps 10 unreserved: any reservation fails deploy
    functions = of_type(resources, "AWS::Lambda::Function").values()
    assert [f for f in functions if "ReservedConcurrentExecutions" in f["Properties"]] == []
    assert all(fn.reserved_concurrency is None for fn in WIRING.functions)


def test_every_queue_consumer_is_capped_by_its_event_source(resources):
    # Given each function's logical id by handler
    by_handler = {
        f["Properties"]["Handler"]: logical_id
        for logical_id, f in of_type(resources, "AWS::Lambda::Function").items()
    }
    mappings = of_type(resources, "AWS::Lambda::EventSourceMapping").values()
    caps = {
        m["FunctionName"]["Ref"]: m["ScalingConfig"]["MaximumConcurrency"]
        for m in (mapping["Properties"] for mapping in mappings)
        if "StreamArn" not in str(m["EventSourceArn"])  # a stream runs one batch per shard
    }
    # Then every queue source has the maximum concurrency its wiring declares
    expected = {
        by_handler[fn.handler]: source.max_concurrency
        for fn in WIRING.functions
        for source in fn.queue_sources
    }
    assert caps == expected
    # And the processor, the one that could eat the account's concurrency, is capped at 20
    assert caps[by_handler["functions.upload.processor.lambda_handler"]] == 20


def test_each_function_has_its_own_role(resources):
    roles = [
        f["Properties"]["Role"]["Fn::GetAtt"][0]
        for f in of_type(resources, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"].startswith("functions.")
    ]
    assert len(set(roles)) == len(WIRING.functions)


def test_only_the_rekognition_function_may_call_rekognition(resources):
    text_by_role: dict[str, str] = {}
    for policy in of_type(resources, "AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            text_by_role.setdefault(role["Ref"], "")
            text_by_role[role["Ref"]] += str(policy["Properties"]["PolicyDocument"])
    with_rekognition = [r for r, text in text_by_role.items() if "rekognition:" in text]
    assert len(with_rekognition) == sum(fn.uses_rekognition for fn in WIRING.functions)


def test_table_is_on_demand_with_ttl_pitr_and_the_wiring_indexes(resources):
    (table,) = of_type(resources, "AWS::DynamoDB::Table").values()
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    assert props["TimeToLiveSpecification"] == {
        "AttributeName": WIRING.table.ttl_attribute,
        "Enabled": True,
    }
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["pk", "sk"]
    gsis = {g["IndexName"]: g for g in props["GlobalSecondaryIndexes"]}
    assert set(gsis) == set(WIRING.table.indexes)
    for name, gsi in gsis.items():
        assert [k["AttributeName"] for k in gsi["KeySchema"]] == [f"{name}pk", f"{name}sk"]
        assert gsi["Projection"] == {"ProjectionType": "ALL"}


def test_buckets_are_private_encrypted_and_expire_incoming(resources):
    buckets = of_type(resources, "AWS::S3::Bucket")
    assert len(buckets) == len(WIRING.buckets) + 2  # + the access-log and the site buckets
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    media = [b["Properties"] for b in buckets.values() if "CorsConfiguration" in b["Properties"]]
    assert len(media) == len(WIRING.buckets)
    rules = media[0]["LifecycleConfiguration"]["Rules"]
    assert {
        "Id": "expire-incoming",
        "Prefix": "incoming/",
        "ExpirationInDays": 1,
        "Status": "Enabled",
    } in rules
    assert any("AbortIncompleteMultipartUpload" in r for r in rules)
    # Private photo files expire with the retention: 7 event days + 180 days after upload;
    # approved photos' public copies are that year's archive and never expire.
    assert {
        "Id": "retention-private",
        "Prefix": "private/",
        "ExpirationInDays": 187,
        "Status": "Enabled",
    } in rules
    assert not [r for r in rules if str(r.get("Prefix", "")).startswith("public")]
    cors = media[0]["CorsConfiguration"]["CorsRules"][0]
    assert cors["AllowedMethods"] == ["POST"]
    # The site's own domain, and the CloudFront domain that also serves the pages
    site_url, cdn_origin = cors["AllowedOrigins"]
    assert site_url == "https://techognition.org.uk"
    assert cdn_origin["Fn::Join"][1][0] == "https://"
    assert cdn_origin["Fn::Join"][1][1]["Fn::GetAtt"][1] == "DomainName"


def test_uploads_notify_the_queue_only_under_incoming(resources):
    (notifications,) = of_type(resources, "Custom::S3BucketNotifications").values()
    (config,) = notifications["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Events"] == ["s3:ObjectCreated:*"]
    assert config["Filter"]["Key"]["FilterRules"] == [{"Name": "prefix", "Value": "incoming/"}]


def test_cdn_can_read_only_the_public_prefix(resources):
    policies = of_type(resources, "AWS::S3::BucketPolicy")
    statements = [
        s for p in policies.values() for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    (deny,) = [s for s in statements if s.get("Sid") == "CdnReadsPublicPrefixOnly"]
    assert deny["Effect"] == "Deny"
    assert deny["NotResource"]["Fn::Join"][1][-1] == "/public/*"
    (allow,) = [s for s in statements if s.get("Sid") == "CdnReadsPublicPrefix"]
    assert allow["Effect"] == "Allow" and allow["Action"] == "s3:GetObject"
    assert allow["Resource"]["Fn::Join"][1][-1] == "/public/*"
    assert "AWS:SourceArn" in allow["Condition"]["StringEquals"]  # this distribution only
    (distribution,) = of_type(resources, "AWS::CloudFront::Distribution").values()
    origins = distribution["Properties"]["DistributionConfig"]["Origins"]
    buckets = [origin for origin in origins if "S3OriginConfig" in origin]
    assert len(buckets) == 2  # the site and the media bucket (the third origin is the API)
    assert all("OriginAccessControlId" in origin for origin in buckets)


def test_ses_bounces_and_complaints_reach_the_feedback_topic(resources):
    (destination,) = of_type(resources, "AWS::SES::ConfigurationSetEventDestination").values()
    config = destination["Properties"]["EventDestination"]
    assert sorted(config["MatchingEventTypes"]) == ["bounce", "complaint"]
    assert "SnsDestination" in config
    (identity,) = of_type(resources, "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == "hello@techognition.org.uk"


def test_alarms_cover_dead_letters_functions_and_api(resources):
    alarms = [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]
    metrics = [a["MetricName"] for a in alarms]
    stream_dead_letters = {s.dead_letter for fn in WIRING.functions for s in fn.stream_sources}
    assert metrics.count("ApproximateNumberOfMessagesVisible") == sum(
        q.dead_letter for q in WIRING.queues
    ) + len(stream_dead_letters)
    assert metrics.count("IteratorAge") == 1  # the outbox's oldest unperformed effect
    assert metrics.count("5xx") == 1
    assert metrics.count("ModerationBacklogAgeSeconds") == 1
    assert all(a["AlarmActions"] for a in alarms)
    counts = [
        a for a in alarms if a["MetricName"] not in ("ModerationBacklogAgeSeconds", "IteratorAge")
    ]
    assert all(a["Threshold"] == 1 for a in counts)
    subscriptions = of_type(resources, "AWS::SNS::Subscription").values()
    (subscription,) = [s for s in subscriptions if s["Properties"]["Protocol"] == "email"]
    assert subscription["Properties"]["Endpoint"] == "ops@techognition.org.uk"


def test_one_errors_and_one_throttles_alarm_cover_every_function(resources):
    # Given the event's template
    alarms = [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()]
    # Then errors and throttles are each one alarm on the account/region-wide AWS/Lambda metric
    # (no FunctionName dimension, one metric: billed as one alarm metric, not one per function)
    for metric in ("Errors", "Throttles"):
        (alarm,) = [a for a in alarms if a.get("MetricName") == metric]
        assert alarm["Namespace"] == "AWS/Lambda"
        assert "Dimensions" not in alarm and "Metrics" not in alarm
        assert alarm["Statistic"] == "Sum"
        assert alarm["Threshold"] == 1
        assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # And the whole set stays small: dead letters, functions (2), API 5xx, moderation backlog.
    # With the outbox's dead letters and the age of its oldest owed effect (takedowns' CDN
    # invalidations are owed effects too: no queue of their own).
    dead_letter_queues = sum(q.dead_letter for q in WIRING.queues)
    outbox = sum(2 for fn in WIRING.functions for _ in fn.stream_sources)
    assert len(alarms) == dead_letter_queues + outbox + 4 <= 9
    assert all("Metrics" not in a for a in alarms)  # no metric math: one billed metric each


def test_api_stage_is_throttled_and_access_logged(resources):
    (stage,) = of_type(resources, "AWS::ApiGatewayV2::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "$default"
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == 200
    assert props["DefaultRouteSettings"]["ThrottlingBurstLimit"] == 400
    assert "$context.requestId" in props["AccessLogSettings"]["Format"]
    (api,) = of_type(resources, "AWS::ApiGatewayV2::Api").values()
    # No CORS: the pages call it on their own origin through the CDN (test_api_cdn.py)
    assert "CorsConfiguration" not in api["Properties"]


def test_outputs(template):
    outputs = template.to_json()["Outputs"]
    assert {
        "ApiUrl",
        "MediaBaseUrl",
        "UserPoolId",
        "UserPoolClientId",
        "SiteUrl",
        "CdnUrl",
        "CdnDistributionId",
    } <= set(outputs)


def test_no_resource_with_standing_cost(resources):
    types = {r["Type"] for r in resources.values()}
    assert not types & STANDING_COST_TYPES
    for fn in of_type(resources, "AWS::Lambda::Function").values():
        assert "VpcConfig" not in fn["Properties"]
    for table in of_type(resources, "AWS::DynamoDB::Table").values():
        assert "ProvisionedThroughput" not in table["Properties"]


def test_cfn_lint_reports_no_errors(template_json: Path):
    # parseable format: <file>:<line>:<col>:<line>:<col>:<rule>:<message>; E rules are errors
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", str(template_json)],
        capture_output=True,
        text=True,
        check=False,
    )
    findings = [line.split(":", 6) for line in result.stdout.splitlines() if line.strip()]
    errors = [f for f in findings if len(f) > 5 and f[5].startswith("E")]
    assert not errors, result.stdout
    assert result.returncode & 2 == 0, result.stderr  # exit bits: 2 errors, 4 warnings, 8 info
