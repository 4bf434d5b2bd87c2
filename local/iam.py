"""Recording the AWS calls each function makes, as the IAM requests AWS would authorise.

Locally every call succeeds whatever the function's role says; in the cloud IAM refuses what the
role does not grant. So while tests run, each boto3 call made *inside a handler* is turned into
the (action, resource ARN, condition keys) AWS evaluates and appended to a file; the test suite
then evaluates every record against that function's policy in the synthesized template
(`tests/iam/`). Calls outside a handler (provisioning, seeding, assertions) are not recorded.

Names that differ between environments (table, bucket, sender, configuration set, distribution)
are recorded as `${VAR}`, the environment variable the function reads them from, so that a
record from moto compares with a template that names the real resources.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

RECORDS_ENV = "TECHOGNITION_IAM_RECORDS"  # a directory: each process appends to <pid>.jsonl
ACCOUNT = "123456789012"  # moto's account, and what the evaluator resolves AWS::AccountId to
# Environment variables whose values name resources: recorded as ${VAR}.
NAMED_BY_ENV = (
    "TABLE_NAME",
    "MEDIA_BUCKET",
    "SENDER_EMAIL",
    "SES_CONFIGURATION_SET",
    "CDN_DISTRIBUTION_ID",
)

current_function: ContextVar[str | None] = ContextVar("current_function", default=None)


@contextmanager
def running(function_name: str) -> Iterator[None]:
    """Attribute the AWS calls made in this block (this thread, this context) to a function."""
    from shared import secret

    token = current_function.set(function_name)
    scope = secret.cache_scope.set(function_name)  # a process of its own, as each Lambda has
    try:
        yield
    finally:
        secret.cache_scope.reset(scope)
        current_function.reset(token)


@dataclass(frozen=True)
class Request:
    """One authorisation AWS makes: a call may make several (a transaction: one per item)."""

    action: str
    resource: str
    # condition keys present in the request, e.g. {"dynamodb:LeadingKeys": ["PHOTO#1"]}
    context: dict[str, list[str]] = field(default_factory=dict)
    operation: str = ""


def _name(value: str) -> str:
    for var in NAMED_BY_ENV:
        if value and os.environ.get(var) == value:
            return "${" + var + "}"
    return value


def _s(attribute: Any) -> str:
    """The string form of a low-level DynamoDB attribute value ({"S": "x"})."""
    if isinstance(attribute, dict):
        for kind in ("S", "N", "B"):
            if kind in attribute:
                return str(attribute[kind])
    return str(attribute)


def _table_arn(region: str, table: str, index: str | None = None) -> str:
    arn = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{_name(table)}"
    return f"{arn}/index/{index}" if index else arn


def _partition_key(index: str | None) -> str:
    # The wiring's table: `pk`, and `<index>pk` for each index (infra.wiring.TableSpec).
    return f"{index}pk" if index else "pk"


def _leading(values: list[str]) -> dict[str, list[str]]:
    return {"dynamodb:LeadingKeys": sorted(set(values))}


_EQUALITY = re.compile(r"(#?[\w.]+)\s*=\s*(:\w+)")


def _query_partition(params: dict[str, Any], index: str | None) -> list[str]:
    wanted = _partition_key(index)
    names = params.get("ExpressionAttributeNames", {})
    values = params.get("ExpressionAttributeValues", {})
    for name, placeholder in _EQUALITY.findall(params.get("KeyConditionExpression", "")):
        if names.get(name, name) == wanted and placeholder in values:
            return [_s(values[placeholder])]
    legacy = params.get("KeyConditions", {}).get(wanted)
    if legacy:
        return [_s(v) for v in legacy.get("AttributeValueList", [])]
    return []


_ITEM_OPS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(op: str, p: dict[str, Any], region: str) -> list[Request]:
    if op in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        key = p.get("Key") or p.get("Item") or {}
        return [
            Request(
                f"dynamodb:{op}",
                _table_arn(region, p["TableName"]),
                _leading([_s(key.get("pk"))]),
                op,
            )
        ]
    if op in ("Query", "Scan"):
        index = p.get("IndexName")
        context = _leading(_query_partition(p, index)) if op == "Query" else {}
        return [Request(f"dynamodb:{op}", _table_arn(region, p["TableName"], index), context, op)]
    if op in ("TransactWriteItems", "TransactGetItems"):
        # No transaction action exists in IAM: AWS authorises each item's own action.
        out = []
        for entry in p.get("TransactItems", []):
            ((kind, item),) = entry.items()
            key = item.get("Key") or item.get("Item") or {}
            out.append(
                Request(
                    f"dynamodb:{_ITEM_OPS[kind]}",
                    _table_arn(region, item["TableName"]),
                    _leading([_s(key.get("pk"))]),
                    op,
                )
            )
        return out
    if op in ("BatchWriteItem", "BatchGetItem"):
        out = []
        for table, entries in p.get("RequestItems", {}).items():
            keys = (
                entries.get("Keys", [])
                if isinstance(entries, dict)
                else [
                    next(iter(e.values())).get("Item") or next(iter(e.values())).get("Key")
                    for e in entries
                ]
            )
            out.append(
                Request(
                    f"dynamodb:{op}",
                    _table_arn(region, table),
                    _leading([_s(k.get("pk")) for k in keys]),
                    op,
                )
            )
        return out
    table = p.get("TableName")
    return [Request(f"dynamodb:{op}", _table_arn(region, table) if table else "*", {}, op)]


def _object_arn(bucket: str, key: str) -> str:
    return f"arn:aws:s3:::{_name(bucket)}/{key}"


_S3_OBJECT_ACTIONS = {
    "HeadObject": "GetObject",
    "GetObject": "GetObject",
    "PutObject": "PutObject",
    "DeleteObject": "DeleteObject",
}


def _s3(op: str, p: dict[str, Any]) -> list[Request]:
    bucket = p.get("Bucket", "")
    if op in _S3_OBJECT_ACTIONS:
        return [Request(f"s3:{_S3_OBJECT_ACTIONS[op]}", _object_arn(bucket, p["Key"]), {}, op)]
    if op == "CopyObject":
        source = p["CopySource"]
        if isinstance(source, str):
            src_bucket, _, src_key = unquote(source.lstrip("/")).partition("/")
        else:
            src_bucket, src_key = source["Bucket"], source["Key"]
        return [
            Request("s3:PutObject", _object_arn(bucket, p["Key"]), {}, op),
            Request("s3:GetObject", _object_arn(src_bucket, src_key), {}, op),
        ]
    if op == "DeleteObjects":
        return [
            Request("s3:DeleteObject", _object_arn(bucket, o["Key"]), {}, op)
            for o in p.get("Delete", {}).get("Objects", [])
        ]
    if op in ("ListObjectsV2", "ListObjects", "ListObjectVersions"):
        action = "s3:ListBucketVersions" if op == "ListObjectVersions" else "s3:ListBucket"
        return [
            Request(
                action, f"arn:aws:s3:::{_name(bucket)}", {"s3:prefix": [p.get("Prefix", "")]}, op
            )
        ]
    if "Key" in p:
        return [Request(f"s3:{op}", _object_arn(bucket, p["Key"]), {}, op)]
    return [Request(f"s3:{op}", f"arn:aws:s3:::{_name(bucket)}", {}, op)]


def _ses(op: str, p: dict[str, Any], region: str) -> list[Request]:
    if op not in ("SendEmail", "SendRawEmail"):
        return [Request(f"ses:{op}", "*", {}, op)]
    sender = parseaddr(p.get("Source") or p.get("FromEmailAddress") or "")[1]
    base = f"arn:aws:ses:{region}:{ACCOUNT}"
    out = [Request(f"ses:{op}", f"{base}:identity/{_name(sender)}", {}, op)]
    if p.get("ConfigurationSetName"):
        out.append(
            Request(
                f"ses:{op}", f"{base}:configuration-set/{_name(p['ConfigurationSetName'])}", {}, op
            )
        )
    return out


def _queue_arn(region: str, url: str) -> str:
    return f"arn:aws:sqs:{region}:{ACCOUNT}:{urlparse(url).path.rstrip('/').rsplit('/', 1)[-1]}"


_SQS_BATCH = {
    "SendMessageBatch": "SendMessage",
    "DeleteMessageBatch": "DeleteMessage",
    "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
}


def _sqs(op: str, p: dict[str, Any], region: str) -> list[Request]:
    if "QueueUrl" in p:
        return [Request(f"sqs:{_SQS_BATCH.get(op, op)}", _queue_arn(region, p["QueueUrl"]), {}, op)]
    name = p.get("QueueName", "*")
    return [Request(f"sqs:{op}", f"arn:aws:sqs:{region}:{ACCOUNT}:{name}", {}, op)]


def _cloudfront(op: str, p: dict[str, Any], region: str) -> list[Request]:
    resource = (
        f"arn:aws:cloudfront::{ACCOUNT}:distribution/{_name(p['DistributionId'])}"
        if "DistributionId" in p
        else "*"
    )
    return [Request(f"cloudfront:{op}", resource, {}, op)]


def _ssm(op: str, p: dict[str, Any], region: str) -> list[Request]:
    names = p.get("Names") or [p.get("Name", "*")]
    return [
        Request(f"ssm:{op}", f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{n.lstrip('/')}", {}, op)
        for n in names
    ]


def _sns(op: str, p: dict[str, Any], region: str) -> list[Request]:
    return [Request(f"sns:{op}", p.get("TopicArn", "*"), {}, op)]


_SERVICES = {
    "dynamodb": _dynamodb,
    "s3": lambda op, p, region: _s3(op, p),
    "ses": _ses,
    "sesv2": _ses,
    "sqs": _sqs,
    "cloudfront": _cloudfront,
    "ssm": _ssm,
    "sns": _sns,
}


def requests_for(
    service: str, prefix: str, op: str, p: dict[str, Any], region: str
) -> list[Request]:
    """The IAM requests AWS makes for one API call (`prefix` is the IAM service prefix)."""
    mapped = _SERVICES.get(service)
    if mapped is not None:
        return mapped(op, p, region)
    # Rekognition and the like: no resource-level permissions, so the resource is "*".
    return [Request(f"{prefix}:{op}", "*", {}, op)]


class Recorder:
    """Appends each distinct (function, request) to `<directory>/<pid>.jsonl`."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / f"{os.getpid()}.jsonl"
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def record(self, function: str, requests: list[Request]) -> None:
        # A local stack inherits the variable of the test that started it: not the caller.
        test = (
            os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
            if "pytest" in sys.modules
            else "a local stack"
        )
        lines = []
        with self._lock:
            for request in requests:
                line = json.dumps({"function": function, **asdict(request)}, sort_keys=True)
                if line not in self._seen:
                    self._seen.add(line)
                    lines.append(
                        json.dumps(
                            {"function": function, **asdict(request), "test": test}, sort_keys=True
                        )
                    )
            if lines:
                with self.path.open("a", encoding="utf-8") as out:
                    out.write("".join(line + "\n" for line in lines))

    def call(self, client: Any, op: str, params: dict[str, Any]) -> None:
        function = current_function.get()
        if function is None:
            return  # set-up, seeding or an assertion: not the function's own call
        meta = client.meta
        try:
            requests = requests_for(
                meta.service_model.service_name,
                meta.service_model.signing_name,
                op,
                params,
                meta.region_name,
            )
        except Exception as exc:  # never hide a call: an unmapped one is recorded as denied
            requests = [Request(f"unmapped:{op}", f"{type(exc).__name__}: {exc}", {}, op)]
        self.record(function, requests)


_installed: list[Recorder] = []


def install(directory: Path | None = None) -> Recorder | None:
    """Hook botocore (once per process) if `directory` or $TECHOGNITION_IAM_RECORDS is set."""
    if _installed:
        return _installed[0]
    where = directory or (Path(os.environ[RECORDS_ENV]) if os.environ.get(RECORDS_ENV) else None)
    if where is None:
        return None
    from botocore import client as botocore_client
    from botocore import signers

    recorder = Recorder(where)
    _installed.append(recorder)
    make_api_call = getattr(botocore_client.BaseClient, "_make_api_call")  # noqa: B009 (private)
    presigned_post = signers.generate_presigned_post
    presigned_url = signers.generate_presigned_url

    def _make_api_call(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        recorder.call(self, operation_name, api_params)
        return make_api_call(self, operation_name, api_params)

    # botocore's own parameter names, as callers pass them by keyword
    def generate_presigned_post(self: Any, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
        # The browser's POST is authorised as the signer: s3:PutObject on the key.
        recorder.call(self, "PutObject", {"Bucket": Bucket, "Key": Key})
        return presigned_post(self, Bucket, Key, *args, **kwargs)

    def generate_presigned_url(
        self: Any,
        ClientMethod: str,
        Params: dict[str, Any] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        recorder.call(self, operation, Params or {})
        return presigned_url(self, ClientMethod, Params, *args, **kwargs)

    setattr(botocore_client.BaseClient, "_make_api_call", _make_api_call)  # noqa: B010
    signers.generate_presigned_post = generate_presigned_post
    signers.generate_presigned_url = generate_presigned_url
    return recorder
