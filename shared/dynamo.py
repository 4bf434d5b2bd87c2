"""The DynamoDB access base: one table, plain-Python items, conditional writes, sealed cursors.

Adapters in `shared/` and the functions build on `Table`; it speaks the low-level client (lighter
to import than the resource layer) and turns its errors into `ConditionFailed` /
`TransactionConflict`, so logic never sees botocore.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.aws import client
from shared.errors import BadRequest

Item = dict[str, Any]


class ConditionFailed(Exception):
    """A conditional write found the item in another state than the condition required."""

    def __init__(self, item: Item | None = None) -> None:
        super().__init__("condition failed")
        self.item = item


class TransactionConflict(Exception):
    """A transaction was cancelled; `reasons` has one code per operation ("None" when fine)."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(",".join(reasons))
        self.reasons = reasons


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return {_plain(v) for v in value}
    return value


def _number(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _number(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


class _Codec:
    def __init__(self) -> None:
        from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

        self._ser = TypeSerializer()
        self._de = TypeDeserializer()

    def dump(self, item: Mapping[str, Any]) -> dict[str, Any]:
        return {k: self._ser.serialize(_number(v)) for k, v in item.items() if v is not None}

    def load(self, raw: Mapping[str, Any]) -> Item:
        return {k: _plain(self._de.deserialize(v)) for k, v in raw.items()}


_codec: _Codec | None = None


def codec() -> _Codec:
    global _codec  # noqa: PLW0603 - created on first use, to keep it off the cold start
    if _codec is None:
        _codec = _Codec()
    return _codec


@dataclass(frozen=True)
class Page:
    items: list[Item]
    last_key: Item | None


class Table:
    """One DynamoDB table with plain-Python items (ints, not Decimals)."""

    def __init__(self, name: str) -> None:
        self.name = name

    # -- reads --------------------------------------------------------------------------------
    def get(self, pk: str, sk: str, *, consistent: bool = False) -> Item | None:
        raw = client("dynamodb").get_item(
            TableName=self.name,
            Key=codec().dump({"pk": pk, "sk": sk}),
            ConsistentRead=consistent,
        )
        return codec().load(raw["Item"]) if "Item" in raw else None

    def query(
        self,
        key_condition: str,
        values: Mapping[str, Any],
        *,
        names: Mapping[str, str] | None = None,
        index: str | None = None,
        limit: int | None = None,
        start_key: Item | None = None,
        forward: bool = True,
        consistent: bool = False,
        filter_expression: str | None = None,
    ) -> Page:
        params: dict[str, Any] = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": codec().dump(values),
            "ScanIndexForward": forward,
        }
        if names:
            params["ExpressionAttributeNames"] = dict(names)
        if index:
            params["IndexName"] = index
        elif consistent:
            params["ConsistentRead"] = True
        if limit:
            params["Limit"] = limit
        if start_key:
            params["ExclusiveStartKey"] = codec().dump(start_key)
        if filter_expression:
            params["FilterExpression"] = filter_expression
        raw = client("dynamodb").query(**params)
        last = raw.get("LastEvaluatedKey")
        return Page(
            items=[codec().load(i) for i in raw.get("Items", [])],
            last_key=codec().load(last) if last else None,
        )

    def newest_first(
        self, index: str, partition: str, *, limit: int, start_key: Item | None
    ) -> Page:
        """One page of a list: an index's partition (`<index>pk`), highest sort key first."""
        return self.query(
            f"{index}pk = :p",
            {":p": partition},
            index=index,
            limit=limit,
            start_key=start_key,
            forward=False,
        )

    def query_all(self, key_condition: str, values: Mapping[str, Any], **kwargs: Any) -> list[Item]:
        """Every item of a key condition, page by page (for bounded partitions only)."""
        items: list[Item] = []
        start: Item | None = None
        while True:
            page = self.query(key_condition, values, start_key=start, **kwargs)
            items.extend(page.items)
            if not page.last_key:
                return items
            start = page.last_key

    def count(
        self, key_condition: str, values: Mapping[str, Any], *, index: str | None = None
    ) -> int:
        """How many items match, without reading them (Select COUNT, page by page)."""
        total, start = 0, None
        while True:
            params: dict[str, Any] = {
                "TableName": self.name,
                "KeyConditionExpression": key_condition,
                "ExpressionAttributeValues": codec().dump(values),
                "Select": "COUNT",
            }
            if index:
                params["IndexName"] = index
            if start:
                params["ExclusiveStartKey"] = start
            raw = client("dynamodb").query(**params)
            total += int(raw.get("Count", 0))
            start = raw.get("LastEvaluatedKey")
            if not start:
                return total

    # -- writes -------------------------------------------------------------------------------
    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> None:
        params: dict[str, Any] = {"TableName": self.name, "Item": codec().dump(item)}
        self._conditions(params, condition, names, values)
        try:
            self._write("put_item", params)
        except ConditionFailed as exc:
            # The very item is already there: our own write, whose answer was lost and which
            # the SDK retried. Anything else is a real conflict.
            if exc.item != codec().load(params["Item"]):
                raise

    def update(
        self,
        pk: str,
        sk: str,
        expression: str,
        *,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        condition: str | None = None,
    ) -> Item:
        params: dict[str, Any] = {
            "TableName": self.name,
            "Key": codec().dump({"pk": pk, "sk": sk}),
            "UpdateExpression": expression,
            "ReturnValues": "ALL_NEW",
        }
        self._conditions(params, condition, names, values)
        return codec().load(self._write("update_item", params).get("Attributes", {}))

    def delete(self, pk: str, sk: str, *, condition: str | None = None) -> Item | None:
        params: dict[str, Any] = {
            "TableName": self.name,
            "Key": codec().dump({"pk": pk, "sk": sk}),
            "ReturnValues": "ALL_OLD",
        }
        self._conditions(params, condition, None, None)
        old = self._write("delete_item", params).get("Attributes")
        return codec().load(old) if old else None

    def transact(self, operations: Sequence[Mapping[str, Any]]) -> None:
        """Write all or nothing.

        Each operation is `{"Put" | "Update" | "Delete" | "ConditionCheck": {...}}` in client
        shape, but with plain values under Item / Key / ExpressionAttributeValues.
        """
        wire = []
        for op in operations:
            ((kind, body),) = op.items()
            body = dict(body)
            body["TableName"] = self.name
            for field in ("Item", "Key", "ExpressionAttributeValues"):
                if field in body:
                    body[field] = codec().dump(body[field])
            wire.append({kind: body})
        ddb = client("dynamodb")
        try:
            ddb.transact_write_items(TransactItems=wire)
        except ddb.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            raise TransactionConflict(reasons) from exc

    @staticmethod
    def _conditions(
        params: dict[str, Any],
        condition: str | None,
        names: Mapping[str, str] | None,
        values: Mapping[str, Any] | None,
    ) -> None:
        if condition:
            params["ConditionExpression"] = condition
            params["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        if names:
            params["ExpressionAttributeNames"] = dict(names)
        if values:
            params["ExpressionAttributeValues"] = codec().dump(values)

    @staticmethod
    def _write(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        ddb = client("dynamodb")
        try:
            result: dict[str, Any] = getattr(ddb, operation)(**params)
        except ddb.exceptions.ConditionalCheckFailedException as exc:
            old = exc.response.get("Item")
            raise ConditionFailed(codec().load(old) if old else None) from exc
        return result


# -- update expressions -----------------------------------------------------------------------
@dataclass
class Assignments:
    """An update's `SET` and `REMOVE` clauses with their placeholder names and values.

    Field placeholders are `#fN`/`:fN` and removals `#rN`: callers add their own clauses and
    placeholders (any other letters) before writing.
    """

    sets: list[str]
    removes: list[str]
    names: dict[str, str]
    values: dict[str, Any]

    @property
    def expression(self) -> str:
        clause = "SET " + ", ".join(self.sets)
        return clause + (" REMOVE " + ", ".join(self.removes) if self.removes else "")


def assignments(fields: Mapping[str, Any], remove: Sequence[str] = ()) -> Assignments:
    """`SET #fN = :fN` for each field, `REMOVE #rN` for each attribute in `remove`."""
    names = {f"#f{n}": name for n, name in enumerate(fields)}
    names.update({f"#r{n}": name for n, name in enumerate(remove)})
    return Assignments(
        sets=[f"#f{n} = :f{n}" for n in range(len(fields))],
        removes=[f"#r{n}" for n in range(len(remove))],
        names=names,
        values={f":f{n}": value for n, value in enumerate(fields.values())},
    )


# -- cursors ----------------------------------------------------------------------------------
# A cursor is the list's last key, encrypted and authenticated (a deterministic SIV construction
# from the standard library, so no crypto wheel rides in every function): the tag is an HMAC of
# the plaintext and doubles as the IV of an HMAC-SHA256 counter-mode keystream. Readable cursors
# leaked keys such as `PLEDGE#<pseudonym>`, linking people across lists. Both keys are derived
# per list (scope), so the same key gives unrelated cursors in two lists.
_TAG = 16
MAX_CURSOR_CHARS = 2048


def _cursor_keys(secret: bytes, scope: str) -> tuple[bytes, bytes]:
    label = scope.encode() + b"\0"
    return (
        hmac.new(secret, b"cursor-mac\0" + label, hashlib.sha256).digest(),
        hmac.new(secret, b"cursor-enc\0" + label, hashlib.sha256).digest(),
    )


def _keystream(key: bytes, iv: bytes, size: int) -> bytes:
    blocks = (
        hmac.new(key, iv + n.to_bytes(4, "big"), hashlib.sha256).digest()
        for n in range(-(-size // 32))
    )
    return b"".join(blocks)[:size]


def _xor(data: bytes, stream: bytes) -> bytes:
    return (int.from_bytes(data, "big") ^ int.from_bytes(stream, "big")).to_bytes(len(data), "big")


def encode_cursor(key: Item | None, *, secret: bytes, scope: str) -> str | None:
    """An opaque cursor over a list's last key: encrypted, and refused when forged."""
    if key is None:
        return None
    mac_key, enc_key = _cursor_keys(secret, scope)
    body = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    tag = hmac.new(mac_key, body, hashlib.sha256).digest()[:_TAG]
    sealed = _xor(body, _keystream(enc_key, tag, len(body)))
    return base64.urlsafe_b64encode(tag + sealed).decode().rstrip("=")


def decode_cursor(cursor: str | None, *, secret: bytes, scope: str) -> Item | None:
    """The key a cursor carries; a BadRequest (400) for anything not made by us for `scope`."""
    if not cursor:
        return None
    try:
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, sealed = raw[:_TAG], raw[_TAG:]
        if len(tag) < _TAG or not sealed:
            raise ValueError("too short")
        mac_key, enc_key = _cursor_keys(secret, scope)
        body = _xor(sealed, _keystream(enc_key, tag, len(sealed)))
        expected = hmac.new(mac_key, body, hashlib.sha256).digest()[:_TAG]
        if not hmac.compare_digest(tag, expected):
            raise ValueError("bad tag")
        key = json.loads(body)
        if not isinstance(key, dict) or not all(isinstance(v, str | int) for v in key.values()):
            raise ValueError("bad key")
    except ValueError as exc:  # binascii.Error and JSON/Unicode errors are ValueErrors
        raise BadRequest("The cursor is not valid: start again from the first page.") from exc
    return key
