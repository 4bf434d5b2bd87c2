"""Calls per operation: AWS API calls and DynamoDB capacity per user-visible operation.

Runs the real handlers in-process against moto (every wired resource provisioned, the
functions' environment set, as `tests/conftest.py` does), with events shaped as API Gateway and
SQS deliver them, and counts every AWS call the handler makes by wrapping botocore's
`BaseClient._make_api_call` (so clients made outside `shared.aws`, e.g. by Powertools, count
too). The bench's own set-up and inspection calls run "quietly" and are not counted.

Capacity: moto reports a constant, so units are ESTIMATED from item sizes with DynamoDB's
rules: a write costs ceil(max(old, new) / 1 KB) WCU on the table (x2 in a transaction) plus
one index write per GSI whose keys it adds, keeps (projection ALL) or removes (two when it
moves); a read costs ceil(size / 4 KB) RCU (x0.5 eventually consistent; a Query sums the items
it reads, a COUNT still reads them). Each operation runs twice with fresh inputs and the
second (warm) run is shown; what the first run of a process adds (the server secret, cached
per cold start) is in the last column.

    .venv/bin/python -m bench calls
"""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bench.report import show, table

REGION = "eu-west-2"
# The event's settings, as the in-process benches (this one and bench/draw.py) give them.
EVENT_SETTINGS = {
    "EVENT_START": "2027-03-08",
    "EVENT_END": "2027-03-14",
    "EVENT_TZ": "Europe/London",
    "SITE_URL": "https://site.test",
    "SENDER_EMAIL": "hello@techognition.test",
    "PRESCREEN": "caption",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}
SETTINGS = {**EVENT_SETTINGS, "WRITES_PER_IP_PER_HOUR": "100000"}
INDEXES = ("gsi1", "gsi2", "gsi3", "gsi4")
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


# -- DynamoDB item sizes (wire format) ---------------------------------------------------------
def value_size(value: Mapping[str, Any]) -> int:  # noqa: PLR0911 - one per type
    ((kind, v),) = value.items()
    if kind == "S":
        return len(str(v).encode())
    if kind == "N":
        digits = str(v).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(v)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in v)
    if kind == "NS":
        return sum(value_size({"N": n}) for n in v)
    if kind == "L":
        return 3 + sum(value_size(e) + 1 for e in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + value_size(e) + 1 for k, e in v.items())
    return 0


def item_size(item: Mapping[str, Any] | None) -> int:
    """Bytes DynamoDB bills for an item in wire format (names plus values)."""
    return sum(len(k.encode()) + value_size(v) for k, v in (item or {}).items())


def wcu(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def rcu(size: int, *, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units) if consistent else units / 2


def _index_key(item: Mapping[str, Any] | None, index: str) -> tuple[Any, Any] | None:
    if not item or f"{index}pk" not in item or f"{index}sk" not in item:
        return None
    return json.dumps(item[f"{index}pk"]), json.dumps(item[f"{index}sk"])


def index_writes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> float:
    """Index WCU of one item changing from `old` to `new` (projection ALL on every GSI)."""
    total = 0
    for index in INDEXES:
        before, after = _index_key(old, index), _index_key(new, index)
        if before and after and before == after:
            total += wcu(item_size(new)) if old != new else 0
        else:
            total += wcu(item_size(old)) if before else 0
            total += wcu(item_size(new)) if after else 0
    return total


# -- counting -----------------------------------------------------------------------------------
@dataclass
class Tally:
    calls: Counter[str] = field(default_factory=Counter)
    rcu: float = 0.0
    wcu: float = 0.0
    index_wcu: float = 0.0
    scans: int = 0
    trail: list[str] = field(default_factory=list)  # each call, with the key prefixes it touched

    def total(self) -> int:
        return sum(self.calls.values())

    def breakdown(self) -> str:
        return ", ".join(f"{k}x{v}" for k, v in sorted(self.calls.items())) or "—"


class Counter_:
    """Wraps botocore's `_make_api_call`: every AWS call made while `tally` is set counts."""

    def __init__(self) -> None:
        self.tally: Tally | None = None
        self._quiet = threading.local()
        self._raw: Any = None

    @contextmanager
    def quiet(self) -> Iterator[None]:
        previous = getattr(self._quiet, "on", False)
        self._quiet.on = True
        try:
            yield
        finally:
            self._quiet.on = previous

    def install(self) -> None:
        from botocore.client import BaseClient
        from botocore.exceptions import ClientError

        original = BaseClient._make_api_call  # type: ignore[attr-defined]
        counter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if counter.tally is None or getattr(counter._quiet, "on", False):
                return original(client, operation, params)
            service = client.meta.service_model.service_name
            with counter.quiet():
                olds = counter._old_images(service, operation, params)
            try:
                result = original(client, operation, params)
            except ClientError as exc:
                counter._record(service, operation, params, exc.response, olds, failed=True)
                raise
            counter._record(service, operation, params, result, olds, failed=False)
            return result

        BaseClient._make_api_call = counted  # type: ignore[attr-defined]

    def raw(self) -> Any:
        if self._raw is None:
            import boto3

            self._raw = boto3.client("dynamodb", region_name=REGION)
        return self._raw

    def _get(self, table: str, key: Mapping[str, Any]) -> Any:
        return self.raw().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _old_images(self, service: str, operation: str, params: Mapping[str, Any]) -> list[Any]:
        if service != "dynamodb":
            return []
        if operation == "PutItem":
            key = {k: params["Item"][k] for k in ("pk", "sk")}
            return [self._get(params["TableName"], key)]
        if operation in ("UpdateItem", "DeleteItem"):
            return [self._get(params["TableName"], params["Key"])]
        if operation == "TransactWriteItems":
            olds = []
            for op in params["TransactItems"]:
                ((_kind, body),) = op.items()
                key = body.get("Key") or {k: body["Item"][k] for k in ("pk", "sk")}
                olds.append(self._get(body["TableName"], key))
            return olds
        return []

    def _record(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        result: Mapping[str, Any],
        olds: list[Any],
        *,
        failed: bool,
    ) -> None:
        tally = self.tally
        assert tally is not None
        tally.calls[f"{service}:{operation}"] += 1
        tally.trail.append(f"{operation}({_keys_of(service, params)})" + (" ✗" if failed else ""))
        if service != "dynamodb":
            return
        with self.quiet():
            if operation in WRITES:
                self._write(tally, operation, params, olds[0], failed=failed)
            elif operation == "TransactWriteItems":
                for op, old in zip(params["TransactItems"], olds, strict=True):
                    ((kind, body),) = op.items()
                    if kind == "ConditionCheck":
                        tally.wcu += 2 * wcu(item_size(old))
                        continue
                    name = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}[kind]
                    self._write(tally, name, body, old, failed=failed, factor=2)
            elif operation == "GetItem":
                tally.rcu += rcu(
                    item_size(result.get("Item")), consistent=bool(params.get("ConsistentRead"))
                )
            elif operation == "BatchGetItem":
                for items in result.get("Responses", {}).values():
                    tally.rcu += sum(rcu(item_size(i), consistent=False) for i in items)
            elif operation == "TransactGetItems":
                tally.rcu += sum(
                    2 * rcu(item_size(r.get("Item")), consistent=True)
                    for r in result.get("Responses", [])
                )
            elif operation in ("Query", "Scan"):
                tally.scans += operation == "Scan"
                tally.rcu += self._read_cost(operation, params)

    def _write(
        self,
        tally: Tally,
        operation: str,
        params: Mapping[str, Any],
        old: Any,
        *,
        failed: bool,
        factor: int = 1,
    ) -> None:
        if operation == "PutItem":
            new = params["Item"]
        elif operation == "DeleteItem":
            new = None
        else:
            new = self._get(params["TableName"], params["Key"])
        if failed:  # a refused conditional write is still billed, and changes no index
            tally.wcu += factor * wcu(max(item_size(old), item_size(params.get("Item"))))
            return
        tally.wcu += factor * wcu(max(item_size(old), item_size(new)))
        tally.index_wcu += index_writes(old, new)

    def _read_cost(self, operation: str, params: Mapping[str, Any]) -> float:
        """What the read touched: the same request re-run quietly, items returned in full."""
        again = {
            k: v
            for k, v in params.items()
            if k not in ("Select", "FilterExpression", "ProjectionExpression")
        }
        if "FilterExpression" in params and "ExpressionAttributeValues" in again:
            used = params.get("KeyConditionExpression", "")
            again["ExpressionAttributeValues"] = {
                k: v for k, v in again["ExpressionAttributeValues"].items() if k in used
            }
            if "ExpressionAttributeNames" in again:
                again["ExpressionAttributeNames"] = {
                    k: v for k, v in again["ExpressionAttributeNames"].items() if k in used
                }
                if not again["ExpressionAttributeNames"]:
                    del again["ExpressionAttributeNames"]
        raw = getattr(self.raw(), "query" if operation == "Query" else "scan")(**again)
        size = sum(item_size(i) for i in raw.get("Items", []))
        return rcu(size, consistent=bool(params.get("ConsistentRead")))


COUNTER = Counter_()


def _prefix(value: Any) -> str:
    text = str(value.get("S", value)) if isinstance(value, Mapping) else str(value)
    head, sep, _ = text.partition("#")
    return head + sep if sep else text


def _keys_of(service: str, params: Mapping[str, Any]) -> str:
    """Where a call went, without ids: `PHOTO#`, `gsi1:GALLERY`, `incoming/`."""
    if service == "s3":
        s3_key = str(params.get("Key") or params.get("CopySource", {}) or "")
        return s3_key.split("/", 1)[0] + "/" if "/" in s3_key else s3_key
    if service != "dynamodb":
        return ""
    if "TransactItems" in params:
        parts = []
        for op in params["TransactItems"]:
            ((kind, body),) = op.items()
            found: Mapping[str, Any] = body.get("Key") or body.get("Item") or {}
            parts.append(f"{kind} {_prefix(found.get('pk', '?'))}")
        return "; ".join(parts)
    key: Mapping[str, Any] | None = params.get("Key") or params.get("Item")
    if key:
        return _prefix(key.get("pk", "?"))
    if "KeyConditionExpression" in params:
        values: Mapping[str, Any] = params.get("ExpressionAttributeValues", {})
        first: Any = next(iter(values.values()), {})
        return f"{params.get('IndexName', 'table')}:{_prefix(first)}"
    return ""


# -- the operations -----------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    how: str
    status: str = "not built yet"
    warm: Tally | None = None
    cold_extra: str = ""
    note: str = ""


def _handler(module: str) -> Callable[[dict[str, Any], Any], Any] | None:
    try:
        return importlib.import_module(module).lambda_handler  # type: ignore[no-any-return]
    except ModuleNotFoundError:
        return None


def _http(module: str, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
    from local.runtime import LocalContext
    from tests.events import http_event

    handler = _handler(module)
    if handler is None:
        return None
    return handler(http_event(method, path, **kwargs), LocalContext("bench", 256, 30))  # type: ignore[no-any-return]


def _built(response: Mapping[str, Any] | None) -> bool:
    return response is not None and response.get("statusCode") not in (404, 501)


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 120, 200)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


class Run:
    """One operation measured twice (cold for the process, then warm)."""

    def __init__(self, result: Result) -> None:
        self.result = result
        self.tallies: list[Tally] = []

    @contextmanager
    def measure(self) -> Iterator[Tally]:
        tally = Tally()
        COUNTER.tally = tally
        try:
            yield tally
        finally:
            COUNTER.tally = None
            self.tallies.append(tally)

    def call(self, module: str, method: str, path: str, **kwargs: Any) -> dict[str, Any] | None:
        """One measured HTTP call; None (its measure dropped) while the route is not built yet."""
        with self.measure():
            response = _http(module, method, path, **kwargs)
        if not _built(response) or response is None:
            self.tallies.clear()
            return None
        return response

    def finish(self, status: str) -> None:
        self.result.status = status
        if self.tallies:
            warm = self.result.warm = self.tallies[-1]
            cold = self.tallies[0]
            extra = cold.calls - warm.calls
            self.result.cold_extra = ", ".join(f"+{k}x{v}" for k, v in sorted(extra.items()))


def run_operations(provisioned: Any) -> list[Result]:
    from tests.events import ORGANISER_CLAIMS

    results: list[Result] = []
    upload = "functions.upload.handler"
    moderation = "functions.moderation.handler"
    pledge = "functions.pledge.handler"

    def person(n: int) -> str:
        return f"tech{n}-{uuid.uuid4().hex[:6]}@school.test"

    image = _jpeg()
    photo_ids: list[str] = []

    # reserve
    reserve = Run(Result("reserve an upload", "POST /uploads"))
    status = "not built yet"
    for n in range(2):
        body = {
            "caption": "Titration rig ready for year 10",
            "display_name": "Sam",
            "school": "Hilltop Academy",
            "email": person(n),
            "content_type": "image/jpeg",
            "size_bytes": len(image),
            "consent": True,
        }
        response = reserve.call(
            upload, "POST", "/uploads", body=body, source_ip=f"198.51.100.{n + 1}"
        )
        if response is None:
            break
        status = str(response["statusCode"])
        if response["statusCode"] == 201:
            photo_ids.append(json.loads(response["body"])["photo_id"])
    reserve.finish(status)
    results.append(reserve.result)

    # process (S3 → SQS → processor)
    process = Run(Result("process an upload", "S3 ObjectCreated via SQS (1 photo)"))
    processor = _handler("functions.upload.processor")
    status = "not built yet"
    if processor is not None and photo_ids:
        status = _process(process, processor, provisioned, photo_ids, image)
    process.finish(status)
    results.append(process.result)

    # approve
    approve = Run(Result("approve a photo", "POST /admin/photos/{id}/decision"))
    status = "not built yet"
    for photo_id in photo_ids:
        response = approve.call(
            moderation,
            "POST",
            f"/admin/photos/{photo_id}/decision",
            body={"decision": "approve"},
            claims=ORGANISER_CLAIMS,
        )
        if response is None:
            break
        status = str(response["statusCode"])
    approve.finish(status)
    results.append(approve.result)

    for name, how, module, path in (
        ("gallery page", "GET /photos?limit=20", upload, "/photos"),
        (
            "upload status",
            "GET /uploads/{id}",
            upload,
            f"/uploads/{photo_ids[0]}" if photo_ids else "/uploads/x",
        ),
        ("pledge summary", "GET /pledges/summary", pledge, "/pledges/summary"),
        ("pledge wall page", "GET /pledges?limit=20", pledge, "/pledges"),
    ):
        run = Run(Result(name, how))
        status = "not built yet"
        for _ in range(2):
            query = {"limit": "20"} if "limit" in how else None
            response = run.call(module, "GET", path, query=query)
            if response is None:
                break
            status = str(response["statusCode"])
        run.finish(status)
        results.append(run.result)

    makers: tuple[tuple[str, str, str, Callable[[int], dict[str, Any]]], ...] = (
        (
            "pledge",
            "POST /pledges",
            "/pledges",
            lambda n: {
                "name": "Ada",
                "email": person(n),
                "role": "teacher",
                "organisation": "Hilltop Academy",
                "show_on_wall": True,
            },
        ),
        (
            "sign-up",
            "POST /signups",
            "/signups",
            lambda n: {"email": person(n), "name": "Ada", "consent": True},
        ),
    )
    for name, how, path, make in makers:
        run = Run(Result(name, how))
        status = "not built yet"
        for n in range(2):
            response = run.call(
                pledge, "POST", path, body=make(n), source_ip=f"198.51.100.{n + 10}"
            )
            if response is None:
                break
            status = str(response["statusCode"])
        run.finish(status)
        results.append(run.result)
    return results


def _process(
    run: Run, processor: Callable[..., Any], provisioned: Any, photo_ids: list[str], image: bytes
) -> str:
    import boto3

    from infra.wiring import MEDIA_BUCKET, PHOTO_UPLOADS
    from local.pollers import sqs_event
    from local.runtime import LocalContext

    s3 = boto3.client("s3", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    bucket = provisioned.bucket_names[MEDIA_BUCKET]
    queue_url = provisioned.queue_urls[PHOTO_UPLOADS]
    queue_arn = provisioned.queue_arns[PHOTO_UPLOADS]
    status = "no event"
    for photo_id in photo_ids:
        with COUNTER.quiet():
            s3.put_object(
                Bucket=bucket, Key=f"incoming/{photo_id}", Body=image, ContentType="image/jpeg"
            )
            messages: list[Any] = []
            for _ in range(5):
                got = sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=10,
                    AttributeNames=["All"],
                    WaitTimeSeconds=0,
                )
                messages = [m for m in got.get("Messages", []) if photo_id in m["Body"]]
                if messages:
                    break
        if not messages:
            return "no S3 event delivered"
        with run.measure():
            out = (
                processor(
                    sqs_event(messages[:1], queue_arn, REGION), LocalContext("bench", 1536, 60)
                )
                or {}
            )
        status = "ok" if not out.get("batchItemFailures") else "failed"
    return status


def measure() -> list[Result]:
    from moto import mock_aws

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(key, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }
    )
    with mock_aws():
        import boto3

        from infra.wiring import MEDIA_BUCKET, WIRING, environment
        from local.provision import provision

        session = boto3.session.Session(region_name=REGION)
        provisioned = provision(WIRING, session, sender_email=SETTINGS["SENDER_EMAIL"])
        os.environ.update(
            environment(
                table_name=provisioned.table_name,
                media_bucket=provisioned.bucket_names[MEDIA_BUCKET],
                media_base_url="https://media.test/",
                settings=SETTINGS,
            )
        )
        COUNTER.install()
        return run_operations(provisioned)


def main() -> str:
    results = measure()
    rows: list[list[object]] = []
    for r in results:
        t = r.warm
        if t is None:
            rows.append([r.name, r.how, r.status, "", "", "", "", "", r.note])
            continue
        rows.append(
            [
                r.name,
                r.how,
                r.status,
                t.total(),
                t.breakdown(),
                f"{t.rcu:g}",
                f"{t.wcu:g}",
                f"{t.index_wcu:g}",
                r.cold_extra or "—",
            ]
        )
    rows.append(
        [
            "draw, 1,000 / 100,000 entrants",
            "POST /admin/draws",
            "see ## Prize draw",
            "",
            "bench/draw.py (prize-draw engineer) measures it",
            "",
            "",
            "",
            "",
        ]
    )
    headers = [
        "operation",
        "request",
        "status",
        "AWS calls",
        "calls",
        "RCU (est.)",
        "table WCU (est.)",
        "index WCU (est.)",
        "first call of a process adds",
    ]
    result = table(headers, rows)
    show("Calls per operation (warm; moto in-process)", result)
    trails = "\n".join(
        f"- {r.name}: " + " → ".join(r.warm.trail) for r in results if r.warm is not None
    )
    print("\nWhat each call touched (warm run):\n" + trails)
    return f"""## Calls per operation

Command: `.venv/bin/python -m bench calls`. The real handlers, in-process against moto, with
API Gateway / SQS-shaped events; every AWS call counted by wrapping botocore's
`_make_api_call` (Powertools' own clients included). Each operation runs twice with fresh
inputs; the table shows the second (warm) run, and the last column what the first run in a
process adds (cached per cold start). Capacity units are ESTIMATES from item sizes (moto
reports a constant): writes ceil(max(old,new)/1 KB) WCU, x2 in a transaction; index writes
per GSI touched (projection ALL; a moved key costs a delete and a put); reads ceil(size/4 KB)
RCU, x0.5 when eventually consistent (a COUNT query still reads its items). The draw's figures
(1,000 and 100,000 entrants) are in the Prize draw section (`bench/draw.py`).
Goal: the fewest calls the design allows (a gallery page is one Query, a pledge one
transaction, a draw's reads proportional to entrants and no Scan).

{result}

What each call touched (warm run; key prefixes only, ✗ = refused by its condition):

{trails}
"""


if __name__ == "__main__":
    main()
