"""Hot keys: writes per partition key per second at the peak, from the real write code.

The peak is 100 uploads and 50 pledges a second for a minute. Nothing here re-states the key
layout: the REAL domain code runs (`functions.upload.logic.reserve` and `process_upload`,
`functions.pledge.logic.pledge` with its `PledgeStore`, the IP limit of `shared.ratelimit`),
through the real `shared.dynamo.Table`, against an in-memory stand-in of the DynamoDB client
that applies each write and records, per second, the write units it costs on the table and on
every GSI partition it touches (projection ALL: an index entry added, kept-and-changed or
removed costs a write there; a moved key costs two). Conditions are assumed to pass (no
contention). Each photo is processed 2 s after its reservation. Capacity per write is
estimated from item sizes as in `bench.calls` (x2 in a transaction on the table).

Goal: no partition key above 10% of DynamoDB's 1,000 WCU per-partition limit (100 WCU/s).

    .venv/bin/python -m bench hotkeys
"""

from __future__ import annotations

import os
import random
import re
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from bench.calls import INDEXES, item_size, wcu
from bench.report import show, table
from local.openapi import PLACEHOLDER_ENV

SECONDS = 60
UPLOADS_PER_S = 100
PLEDGES_PER_S = 50
PROCESS_LAG_S = 2
PARTITION_WCU = 1000
GOAL_WCU = PARTITION_WCU // 10
START = datetime(2027, 3, 9, 12, 0, tzinfo=UTC)  # a day of the event week, at lunchtime
Wire = dict[str, Any]


class _Refused(Exception):
    def __init__(self, *_: Any, **__: Any) -> None:
        super().__init__("refused")
        self.response: dict[str, Any] = {}


class FakeDynamo:
    """The low-level client calls `shared.dynamo.Table` makes, in memory, with a write log."""

    class exceptions:
        ConditionalCheckFailedException = _Refused
        TransactionCanceledException = _Refused

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Wire] = {}
        self.second = -1  # < 0: set-up, not counted
        # (second, "table" | index name, partition key) -> write units
        self.units: dict[tuple[int, str, str], float] = defaultdict(float)

    # -- reads ------------------------------------------------------------------------------
    def get_item(self, *, Key: Wire, **_: Any) -> Wire:
        found = self.items.get(self._key(Key))
        return {"Item": found} if found else {}

    def query(self, **_: Any) -> Wire:
        return {"Items": [], "Count": 0}

    # -- writes -----------------------------------------------------------------------------
    def put_item(self, *, Item: Wire, **_: Any) -> Wire:
        self._apply(self._key(Item), dict(Item), factor=1)
        return {}

    def update_item(
        self,
        *,
        Key: Wire,
        UpdateExpression: str,
        ExpressionAttributeNames: Mapping[str, str] | None = None,
        ExpressionAttributeValues: Mapping[str, Wire] | None = None,
        **_: Any,
    ) -> Wire:
        new = updated(
            self.items.get(self._key(Key)) or dict(Key),
            UpdateExpression,
            ExpressionAttributeNames or {},
            ExpressionAttributeValues or {},
        )
        self._apply(self._key(Key), new, factor=1)
        return {"Attributes": new}

    def delete_item(self, *, Key: Wire, **_: Any) -> Wire:
        old = self.items.get(self._key(Key))
        self._apply(self._key(Key), None, factor=1)
        return {"Attributes": old} if old else {}

    def transact_write_items(self, *, TransactItems: list[Wire]) -> Wire:
        for op in TransactItems:
            ((kind, body),) = op.items()
            if kind == "Put":
                self._apply(self._key(body["Item"]), dict(body["Item"]), factor=2)
            elif kind == "Update":
                key = self._key(body["Key"])
                new = updated(
                    self.items.get(key) or dict(body["Key"]),
                    body["UpdateExpression"],
                    body.get("ExpressionAttributeNames", {}),
                    body.get("ExpressionAttributeValues", {}),
                )
                self._apply(key, new, factor=2)
            elif kind == "Delete":
                self._apply(self._key(body["Key"]), None, factor=2)
        return {}

    @staticmethod
    def _key(item: Mapping[str, Wire]) -> tuple[str, str]:
        return item["pk"]["S"], item["sk"]["S"]

    def _apply(self, key: tuple[str, str], new: Wire | None, *, factor: int) -> None:
        old = self.items.get(key)
        if new is None:
            self.items.pop(key, None)
        else:
            self.items[key] = new
        if self.second < 0:
            return
        self.units[(self.second, "table", key[0])] += factor * wcu(
            max(item_size(old), item_size(new))
        )
        for index in INDEXES:
            before, after = _index_pk(old, index), _index_pk(new, index)
            if before and after and before == after:
                if old != new:
                    self.units[(self.second, index, after)] += wcu(item_size(new))
                continue
            if before:
                self.units[(self.second, index, before)] += wcu(item_size(old))
            if after:
                self.units[(self.second, index, after)] += wcu(item_size(new))


def _index_pk(item: Mapping[str, Wire] | None, index: str) -> str | None:
    if not item or f"{index}pk" not in item or f"{index}sk" not in item:
        return None
    return str(item[f"{index}pk"].get("S"))


_CLAUSE = re.compile(r"\b(SET|ADD|REMOVE|DELETE)\b")


def _split(text: str) -> list[str]:
    """Comma-separated parts, ignoring commas inside parentheses."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        parts.append(current.strip())
    return parts


def _number(value: Wire | None) -> float:
    return float(value["N"]) if value and "N" in value else 0.0


def _n(x: float) -> Wire:
    return {"N": str(int(x)) if x == int(x) else str(x)}


def updated(
    item: Wire, expression: str, names: Mapping[str, str], values: Mapping[str, Wire]
) -> Wire:
    """The item after an UpdateExpression (the forms our code writes: =, +, if_not_exists)."""
    new = dict(item)

    def name(token: str) -> str:
        return names.get(token.strip(), token.strip())

    def operand(token: str) -> Wire | None:
        token = token.strip()
        if token.startswith(":"):
            return values[token]
        found = re.fullmatch(r"if_not_exists\((.+),(.+)\)", token)
        if found:
            return new.get(name(found[1])) or operand(found[2])
        return new.get(name(token))

    pieces = _CLAUSE.split(expression)
    for keyword, body in zip(pieces[1::2], pieces[2::2], strict=True):
        for part in _split(body):
            if keyword == "SET":
                target, rhs = (s.strip() for s in part.split("=", 1))
                arithmetic = re.fullmatch(r"(.+?)\s*([+-])\s*(.+)", rhs)
                if arithmetic and not rhs.startswith("if_not_exists"):
                    a, b = _number(operand(arithmetic[1])), _number(operand(arithmetic[3]))
                    new[name(target)] = _n(a + b if arithmetic[2] == "+" else a - b)
                else:
                    new[name(target)] = operand(rhs) or {"NULL": True}
            elif keyword == "ADD":
                target, token = part.split()
                new[name(target)] = _n(_number(new.get(name(target))) + _number(values[token]))
            elif keyword == "REMOVE":
                new.pop(name(part), None)
    return new


# -- the peak ---------------------------------------------------------------------------------
@dataclass
class Workload:
    name: str
    per_second: int
    run: Callable[[int, int], None]  # (second, n-th of that second)
    error: str = ""


def _environment() -> None:
    os.environ.update(
        {
            **PLACEHOLDER_ENV,
            "WRITES_PER_IP_PER_HOUR": "1000000",
            "UPLOADS_PER_EMAIL_PER_DAY": "1000000",
            "PRESCREEN": "caption",
            "POWERTOOLS_LOG_LEVEL": "ERROR",
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )


def workloads(fake: FakeDynamo, rng: random.Random) -> list[Workload]:
    from shared.config import BaseConfig, load
    from shared.dynamo import Table

    db = Table(load(BaseConfig).table_name)
    del fake
    return [*_upload_workloads(db, rng), *_pledge_workloads(db, rng)]


def _upload_workloads(db: Any, rng: random.Random) -> list[Workload]:
    """Reservations at the peak, and each photo processed PROCESS_LAG_S later."""
    pending: dict[int, list[str]] = defaultdict(list)  # second -> photo ids to process then
    try:
        from functions.upload import logic as upload
        from functions.upload import processing
        from functions.upload.events import S3Object
        from functions.upload.models import UploadIn
        from functions.upload.settings import api_settings, processor_settings
        from shared.media import incoming_key

        class Media:
            def presigned_post(self, key: str, **_: Any) -> tuple[str, dict[str, str]]:
                return "https://upload.test/", {"key": key}

            def read(self, key: str, *, max_bytes: int) -> bytes:
                return b"jpeg"

            def write(self, key: str, data: bytes, *, content_type: str) -> None:
                pass

            def delete(self, keys: Any) -> None:
                pass

        processed = SimpleNamespace(
            display=b"d" * 100, thumbnail=b"t" * 10, width=1600, height=1200, source_format="JPEG"
        )

        def reserve(second: int, n: int) -> None:
            body = UploadIn.model_validate(
                {
                    "caption": "Titration rig ready for year 10 practicals",
                    "display_name": "Sam",
                    "school": f"School {n}",
                    "email": f"tech{rng.randrange(3000)}@school.test",
                    "content_type": "image/jpeg",
                    "size_bytes": 3_500_000,
                    "consent": True,
                }
            )
            created = upload.reserve(
                db,
                Media(),
                api_settings(),
                body,
                ip=f"10.{rng.randrange(8)}.{rng.randrange(250)}.1",
                now=START + timedelta(seconds=second),
            )
            pending[second + PROCESS_LAG_S].append(created.photo_id)

        def process(second: int, _n: int) -> None:
            ports = processing.Ports(
                table=db,
                media=Media(),
                settings=processor_settings(),
                process_image=lambda _data: processed,
                prescreen=lambda _i, _c: {"status": "clear", "flags": []},
                clock=lambda: START + timedelta(seconds=second),
            )
            for photo_id in pending.pop(second, []):
                obj = S3Object(
                    bucket=ports.settings.media_bucket,
                    key=incoming_key(photo_id),
                    etag="e",
                    sequencer="01",
                    size=3_500_000,
                )
                processing.process_upload(ports, obj)

        return [
            Workload("upload reservations", UPLOADS_PER_S, reserve),
            Workload(f"upload processing (+{PROCESS_LAG_S} s)", 1, process),
        ]
    except ImportError as exc:
        return [Workload("uploads", UPLOADS_PER_S, lambda s, n: None, f"not built: {exc}")]


def _pledge_workloads(db: Any, rng: random.Random) -> list[Workload]:
    """Pledges at the peak, each confirmed by its emailed link at once."""
    from functions.pledge.settings import PledgeSettings
    from shared.config import load

    config = load(PledgeSettings)
    try:
        from functions.pledge import logic as pledges
        from functions.pledge.models import ROLES, PledgeIn
        from functions.pledge.store import PledgeStore
        from shared.people import person_id, retention_ttl
        from shared.ratelimit import hit, ip_key

        class _LinkKeepingStore(PledgeStore):
            """The real store, keeping the link of the email it is asked to owe (the outbox
            would send it; here the supporter clicks it at once)."""

            links: list[str]

            def register_pledge(self, person: str, mailing: pledges.Mailing) -> bool:
                text = str(mailing.owed.payload["text"])
                self.links = [text.split("token=", 1)[1].split(maxsplit=1)[0]]
                return bool(super().register_pledge(person, mailing))

        def pledge(second: int, n: int) -> None:
            now = START + timedelta(seconds=second)
            ip = f"172.16.{rng.randrange(40)}.{rng.randrange(250)}"
            hit(db, ip_key(config, ip), config.writes_per_ip_per_hour, 3600, now)
            body = PledgeIn.model_validate(
                {
                    "name": "Ada Lovelace",
                    "email": f"p{second}-{n}@school.test",
                    "role": rng.choice(ROLES),
                    "organisation": "Hilltop Academy",
                    "show_on_wall": rng.random() < 0.5,
                }
            )  # half choose the wall (an assumption)
            # A pledge counts when its emailed link is confirmed: both writes, as people do.
            store = _LinkKeepingStore(db)
            settings = pledges.LinkSettings("https://site.test", timedelta(days=7), timedelta(0))
            pledges.pledge(
                store, body, person=person_id(config, body.email), now=now, settings=settings
            )
            pledges.confirm_pledge(store, store.links[0], now=now, ttl=retention_ttl(config))

        return [Workload("pledges", PLEDGES_PER_S, pledge)]
    except ImportError as exc:
        return [Workload("pledges", PLEDGES_PER_S, lambda s, n: None, f"not built: {exc}")]


@dataclass
class Hot:
    target: str
    key: str
    peak: float
    mean: float


def simulate() -> tuple[list[Hot], list[Workload], int]:
    _environment()
    from shared import aws

    fake = FakeDynamo()
    aws.set_client("dynamodb", fake)
    rng = random.Random(8)
    try:
        loads = workloads(fake, rng)
        for second in range(SECONDS + PROCESS_LAG_S):
            fake.second = second
            for load in loads:
                if load.error or (second >= SECONDS and load.per_second > 1):
                    continue
                for n in range(load.per_second):
                    try:
                        load.run(second, n)
                    except Exception as exc:
                        load.error = f"{type(exc).__name__}: {exc}"
                        break
    finally:
        aws.set_client("dynamodb", None)
    per_key: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for (second, target, key), units in fake.units.items():
        per_key[(target, key)][second] = units
    hot = [
        Hot(target, _redact(key), max(by.values()), sum(by.values()) / SECONDS)
        for (target, key), by in per_key.items()
    ]
    hot.sort(key=lambda h: -h.peak)
    return hot, loads, len(per_key)


def _redact(key: str) -> str:
    """Show the shape of per-entity keys, the whole of shared ones."""
    head, sep, rest = key.partition("#")
    if sep and re.search(r"[0-9a-f]{8}|[0-9A-Z]{20}", rest):
        return f"{head}#<id>" + ("#" + rest.rsplit("#", 1)[1] if "#" in rest else "")
    return key


def main() -> str:
    hot, loads, keys = simulate()
    rows = [
        [
            h.target,
            f"`{h.key}`",
            f"{h.peak:g}",
            f"{h.mean:.1f}",
            f"{h.peak / PARTITION_WCU:.1%}",
            "OVER" if h.peak > GOAL_WCU else "ok",
        ]
        for h in hot[:12]
    ]
    headers = [
        "table / index",
        "partition key",
        "peak WCU/s",
        "mean WCU/s",
        "of 1,000 WCU",
        f"goal ≤ {GOAL_WCU}",
    ]
    result = table(headers, rows)
    problems = [f"- {w.name}: {w.error}" for w in loads if w.error]
    show(
        f"Hot keys at {UPLOADS_PER_S} uploads/s + {PLEDGES_PER_S} pledges/s for {SECONDS} s "
        f"({keys} partition keys written)",
        result,
    )
    if problems:
        print("\n".join(problems))
    over = [h for h in hot if h.peak > GOAL_WCU]
    verdict = (
        "Every key is within the goal."
        if not over
        else "Over the goal: "
        + ", ".join(f"`{h.key}` on {h.target} ({h.peak:g} WCU/s)" for h in over)
        + "."
    )
    return f"""## Hot keys

Command: `.venv/bin/python -m bench hotkeys`. A minute at {UPLOADS_PER_S} upload reservations
and {PLEDGES_PER_S} pledges a second, each photo processed {PROCESS_LAG_S} s after it was
reserved, through the REAL domain code (`functions.upload.logic.reserve` / `process_upload`,
`functions.pledge.logic.pledge` + `PledgeStore`, `shared.ratelimit.hit`) and the real
`shared.dynamo.Table`, over an in-memory DynamoDB client that records write units per second
per partition key on the table and on each GSI. Units are estimated from item sizes (x2 for
transactional writes on the table). Half the pledgers choose the wall (an assumption).
Moderation runs at human speed and is not part of the peak. Top 12 of {keys} partition keys:

{result}

{verdict}
{chr(10).join(problems)}
"""


if __name__ == "__main__":
    main()
