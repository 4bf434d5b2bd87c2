"""S3's rules for browser POST uploads (presigned POST forms), which moto does not apply.

Pure: a multipart body and the bucket it was posted to in, `Refused` (S3's status, error code,
message and extra elements) or nothing out. `local.s3_post_guard` puts it in front of moto's S3.

What S3 checks, in the order applied here (S3 documents the codes, not an order):
- the body is multipart/form-data with a `file` part; fields after the file are ignored, as S3
  ignores them ("Bucket POST must contain a field named 'key'... check the order of the fields");
- a `key` field; a `policy` and a complete signature (SigV4 `x-amz-*` fields, or SigV2's
  `AWSAccessKeyId`/`signature`); no policy at all is an anonymous write to a private bucket;
- the signature, recomputed with the secret of the access key (the local stack's credentials);
- the policy document: base64 JSON with `expiration` and well-formed `conditions`;
- not expired; every condition holds (`bucket` is the bucket of the URL); the file's size is within
  `content-length-range`; every form field except `policy`, `x-amz-signature`, `signature`,
  `AWSAccessKeyId`, `file` and `x-ignore-*` is named by a condition.
Field names are compared case-insensitively, values exactly.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

MALFORMED = "The body of your POST request is not well-formed multipart/form-data."
ORDER = "If it is specified, please check the order of the fields."
V4_FIELDS = ("x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature")
V2_FIELDS = ("awsaccesskeyid", "signature")
# Canonical spellings S3 uses when it names a missing field.
SPELLING = {
    "x-amz-algorithm": "X-Amz-Algorithm",
    "x-amz-credential": "X-Amz-Credential",
    "x-amz-date": "X-Amz-Date",
    "x-amz-signature": "X-Amz-Signature",
    "awsaccesskeyid": "AWSAccessKeyId",
    "signature": "Signature",
}
UNCONDITIONED = {"policy", "x-amz-signature", "signature", "awsaccesskeyid", "file"}


@dataclass
class Refused(Exception):
    status: int
    code: str
    message: str
    details: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


@dataclass(frozen=True)
class Form:
    """The fields before the file, in order (names as sent), and the file, if there was one."""

    fields: tuple[tuple[str, str], ...]
    file: bytes | None

    def lookup(self) -> dict[str, str]:
        """Lower-cased names to values; the first of a repeated field wins."""
        found: dict[str, str] = {}
        for name, value in self.fields:
            found.setdefault(name.lower(), value)
        return found


def is_form_upload(method: str, content_type: str) -> bool:
    """Is this request a browser POST upload (the only multipart/form-data request S3 takes)?"""
    return method.upper() == "POST" and content_type.lower().startswith("multipart/form-data")


# -- the body ----------------------------------------------------------------------------------
def _param(header: str, name: str) -> str | None:
    for piece in header.split(";")[1:]:
        key, _, value = piece.strip().partition("=")
        if key.strip().lower() == name:
            value = value.strip()
            return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    return None


def parse_form(body: bytes, content_type: str) -> Form:
    """Split a multipart/form-data body (RFC 7578) up to and including its `file` part."""
    boundary = _param(content_type, "boundary")
    if not boundary:
        raise Refused(400, "MalformedPOSTRequest", MALFORMED)
    delimiter = b"\r\n--" + boundary.encode()
    chunks = (b"\r\n" + body).split(delimiter)
    if len(chunks) < 2 or not chunks[-1].startswith(b"--"):
        raise Refused(400, "MalformedPOSTRequest", MALFORMED)  # no closing delimiter: cut short
    fields: list[tuple[str, str]] = []
    for chunk in chunks[1:-1]:
        head, separator, content = chunk.partition(b"\r\n\r\n")
        if not separator:
            raise Refused(400, "MalformedPOSTRequest", MALFORMED)
        headers = {}
        for line in head.split(b"\r\n")[1:]:  # the first line is the delimiter's padding
            name, colon, value = line.decode("utf-8", "replace").partition(":")
            if colon:
                headers[name.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        part = _param(disposition, "name")
        if not disposition.lower().startswith("form-data") or part is None:
            raise Refused(400, "MalformedPOSTRequest", MALFORMED)
        if part.lower() == "file":
            return Form(tuple(fields), content)  # S3 ignores whatever follows the file
        fields.append((part, content.decode("utf-8", "replace")))
    return Form(tuple(fields), None)


# -- signatures --------------------------------------------------------------------------------
def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def sigv4_signature(
    secret: str, policy: str, *, date: str, region: str, service: str = "s3"
) -> str:
    """The SigV4 POST signature: the policy (as sent, base64) signed with the scope's key."""
    key = _hmac(("AWS4" + secret).encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return hmac.new(key, policy.encode(), hashlib.sha256).hexdigest()


def sigv2_signature(secret: str, policy: str) -> str:
    return base64.b64encode(
        hmac.new(secret.encode(), policy.encode(), hashlib.sha1).digest()
    ).decode()


def _missing(name: str) -> Refused:
    spelled = SPELLING.get(name, name)
    return Refused(
        400,
        "InvalidArgument",
        f"Bucket POST must contain a field named '{spelled}'.  {ORDER}",
        {"ArgumentName": spelled, "ArgumentValue": ""},
    )


def _check_signature(
    values: Mapping[str, str], secrets: Mapping[str, str], region: str | None
) -> None:
    if any(name in values for name in V4_FIELDS):
        _check_v4(values, secrets, region)
        return
    if not any(name in values for name in V2_FIELDS):
        raise _missing("awsaccesskeyid")
    for name in V2_FIELDS:
        if name not in values:
            raise _missing(name)
    secret = secrets.get(values["awsaccesskeyid"])
    if secret is None:
        raise _unknown_key(values["awsaccesskeyid"])
    if not hmac.compare_digest(sigv2_signature(secret, values["policy"]), values["signature"]):
        raise _mismatch()


def _check_v4(values: Mapping[str, str], secrets: Mapping[str, str], region: str | None) -> None:
    for name in V4_FIELDS:
        if name not in values:
            raise _missing(name)
    if values["x-amz-algorithm"] != "AWS4-HMAC-SHA256":
        raise Refused(
            400,
            "InvalidArgument",
            "Only AWS4-HMAC-SHA256 is supported.",
            {"ArgumentName": "X-Amz-Algorithm", "ArgumentValue": values["x-amz-algorithm"]},
        )
    scope = values["x-amz-credential"].split("/")
    if len(scope) != 5 or scope[3] != "s3" or scope[4] != "aws4_request":
        raise Refused(
            400,
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the Credential is "
            'mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/'
            'aws4_request".',
        )
    access_key, date, scope_region = scope[0], scope[1], scope[2]
    if region and scope_region != region:
        raise Refused(
            400,
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the region "
            f"'{scope_region}' is wrong; expecting '{region}'",
        )
    secret = secrets.get(access_key)
    if secret is None:
        raise _unknown_key(access_key)
    expected = sigv4_signature(secret, values["policy"], date=date, region=scope_region)
    if not hmac.compare_digest(expected, values["x-amz-signature"].lower()):
        raise _mismatch()


def _mismatch() -> Refused:
    return Refused(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you "
        "provided. Check your key and signing method.",
    )


def _unknown_key(access_key: str) -> Refused:
    return Refused(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        {"AWSAccessKeyId": access_key},
    )


# -- the policy document -----------------------------------------------------------------------
def _invalid(detail: str) -> Refused:
    return Refused(400, "InvalidPolicyDocument", f"Invalid Policy: {detail}")


def _parse_expiration(value: Any) -> datetime:
    if isinstance(value, str):
        for pattern in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
            try:
                return datetime.strptime(value, pattern).replace(tzinfo=UTC)
            except ValueError:
                continue
    raise _invalid(f"Invalid 'expiration' value: '{value}'")


@dataclass(frozen=True)
class Condition:
    op: str  # "eq", "starts-with" or "content-length-range"
    name: str  # the field, lower-cased, without "$" (empty for content-length-range)
    value: str = ""
    low: int = 0
    high: int = 0
    text: str = ""  # the condition as S3 quotes it in a refusal


def _quoted(raw: Any) -> str:
    return json.dumps(raw)


def _condition(raw: Any) -> Condition:
    if isinstance(raw, dict):
        if len(raw) != 1:
            raise _invalid(
                "Invalid Simple-Condition: Simple-Conditions must have exactly one "
                "property specified."
            )
        ((name, value),) = raw.items()
        if not isinstance(value, str):
            raise _invalid(f"Invalid Simple-Condition: value must be a string: {_quoted(raw)}")
        return Condition("eq", str(name).lower().removeprefix("$"), value, text=_quoted(raw))
    if not isinstance(raw, list) or not raw or not isinstance(raw[0], str):
        raise _invalid(f"Invalid Condition: {_quoted(raw)}")
    op = raw[0].lower()
    if op == "content-length-range" and len(raw) == 3:
        try:
            low, high = int(raw[1]), int(raw[2])
        except (TypeError, ValueError):
            raise _invalid(f"Invalid Condition: {_quoted(raw)}") from None
        return Condition(op, "", low=low, high=high, text=_quoted(raw))
    if (
        op in ("eq", "starts-with")
        and len(raw) == 3
        and isinstance(raw[1], str)
        and raw[1].startswith("$")
        and isinstance(raw[2], str)
    ):
        return Condition(op, raw[1][1:].lower(), raw[2], text=_quoted(raw))
    raise _invalid(f"Invalid Condition: {_quoted(raw)}")


def parse_policy(policy: str) -> tuple[datetime, list[Condition]]:
    try:
        document = json.loads(base64.b64decode(policy, validate=True))
    except (binascii.Error, ValueError):
        raise _invalid("Invalid JSON.") from None
    if not isinstance(document, dict):
        raise _invalid("Invalid JSON.")
    if "expiration" not in document:
        raise _invalid("Policy missing expiration.")
    if "conditions" not in document:
        raise _invalid("Policy missing conditions.")
    if not isinstance(document["conditions"], list):
        raise _invalid("Invalid 'conditions' value: must be a List.")
    return (
        _parse_expiration(document["expiration"]),
        [_condition(raw) for raw in document["conditions"]],
    )


def _holds(condition: Condition, actual: str | None) -> bool:
    if condition.op == "starts-with":
        if condition.value == "":
            return True  # S3's "any value", the field may even be absent
        if actual is None:
            return False
        if condition.name == "content-type":  # each type of a list must match
            return all(t.strip().startswith(condition.value) for t in actual.split(","))
        return actual.startswith(condition.value)
    return actual == condition.value


def _policy_failed(detail: str) -> Refused:
    return Refused(403, "AccessDenied", f"Invalid according to Policy: {detail}")


# -- the whole check ---------------------------------------------------------------------------
def check(
    form: Form, *, bucket: str, now: datetime, secrets: Mapping[str, str], region: str | None = None
) -> None:
    """Raise `Refused` where S3 would refuse this POST to `bucket`; return if it would store it.

    `secrets` maps access key ids to secret keys (who may sign forms); `region`, when given, is
    the bucket's region, which a SigV4 credential scope must name.
    """
    if form.file is None:
        raise Refused(
            400,
            "IncorrectNumberOfFilesInPostRequest",
            "POST requires exactly one file upload per request.",
        )
    values = form.lookup()
    if not values.get("key"):
        raise _missing("key")
    if "policy" not in values:
        raise Refused(403, "AccessDenied", "Access Denied")  # anonymous write, private bucket
    _check_signature(values, secrets, region)
    expiration, conditions = parse_policy(values["policy"])
    if now >= expiration:
        raise _policy_failed("Policy expired.")
    for condition in conditions:
        if condition.op == "content-length-range":
            _check_size(condition, len(form.file))
            continue
        actual = bucket if condition.name == "bucket" else values.get(condition.name)
        if not _holds(condition, actual):
            raise _policy_failed(f"Policy Condition failed: {condition.text}")
    _check_no_extra_fields(form, conditions)


def _check_size(condition: Condition, size: int) -> None:
    """The file's size within the policy's content-length-range."""
    if size < condition.low:
        raise Refused(
            400,
            "EntityTooSmall",
            "Your proposed upload is smaller than the minimum allowed size",
            {"ProposedSize": str(size), "MinSizeAllowed": str(condition.low)},
        )
    if size > condition.high:
        raise Refused(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            {"ProposedSize": str(size), "MaxSizeAllowed": str(condition.high)},
        )


def _check_no_extra_fields(form: Form, conditions: list[Condition]) -> None:
    """Every field of the form is one the policy names (or one S3 never asks a policy about)."""
    named = {c.name for c in conditions}
    for name, _ in form.fields:
        lowered = name.lower()
        if lowered in UNCONDITIONED or lowered.startswith("x-ignore-") or lowered in named:
            continue
        raise _policy_failed(f"Extra input fields: {name}")


def error_xml(refused: Refused, request_id: str) -> bytes:
    """S3's error document."""
    extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in refused.details.items())
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{refused.code}</Code>'
        f"<Message>{escape(refused.message)}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>"
    ).encode()
