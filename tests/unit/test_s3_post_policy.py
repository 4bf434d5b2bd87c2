"""S3's rules for presigned POST uploads (local.s3_post_policy) and the guard in front of moto.

The forms are the ones the upload function hands out: `S3Media.presigned_post`, signed by boto3
(offline) with the local stack's key pair; the bodies are encoded by `requests`, as clients send.
"""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from local.s3_post_guard import PostPolicyGuard, bucket_of
from local.s3_post_policy import (
    Form,
    Refused,
    check,
    error_xml,
    parse_form,
    sigv4_signature,
)
from shared.aws import set_client
from shared.media import S3Media

REGION = "eu-west-2"
BUCKET = "techognition-media"
KEY = "incoming/01JQ7Z4V5X8N2M3K4P5R6S7T8V"
SECRETS = {"local": "local"}
SIZE = 100
DATA = b"\xff\xd8" + b"j" * (SIZE - 2)


def _client(key_pair: tuple[str, str] = ("local", "local"), signature: str = "s3v4") -> Any:
    return boto3.client(
        "s3",
        region_name=REGION,
        aws_access_key_id=key_pair[0],
        aws_secret_access_key=key_pair[1],
        endpoint_url="http://127.0.0.1:9",
        config=Config(signature_version=signature, s3={"addressing_style": "path"}),
    )


def _form_fields(client: Any = None, key: str = KEY) -> dict[str, str]:
    """The fields of the form the upload function hands out for `key` (SIZE bytes, JPEG)."""
    set_client("s3", client or _client())
    try:
        _, fields = S3Media(BUCKET).presigned_post(
            key, content_type="image/jpeg", max_bytes=SIZE, expires_s=900
        )
    finally:
        set_client("s3", None)
    return fields


@pytest.fixture(scope="module")
def fields() -> dict[str, str]:
    return _form_fields()


def _encoded(fields: dict[str, str], data: bytes) -> tuple[bytes, str]:
    """The body and content type of the form as a client encodes it: fields, then the file."""
    prepared = requests.Request(
        "POST",
        f"http://127.0.0.1:9/{BUCKET}",
        data=fields,
        files={"file": ("photo.jpg", data, "image/jpeg")},
    ).prepare()
    body = prepared.body
    assert isinstance(body, bytes)
    return body, str(prepared.headers["Content-Type"])


def _posted(fields: dict[str, str], data: bytes = DATA, **after_file: str) -> Form:
    """The form as a client encodes it: fields first, then the file (then `after_file`)."""
    body, content_type = _encoded(fields, data)
    if after_file:
        delimiter = b"--" + content_type.split("boundary=")[1].encode()
        closing = body.rindex(delimiter + b"--")
        extra = b"".join(
            delimiter
            + b"\r\n"
            + f'Content-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in after_file.items()
        )
        body = body[:closing] + extra + body[closing:]
    return parse_form(body, content_type)


def _check(form: Form, *, bucket: str = BUCKET, now: datetime | None = None) -> None:
    check(form, bucket=bucket, now=now or datetime.now(UTC), secrets=SECRETS, region=REGION)


def _refusal(form: Form, **kwargs: Any) -> Refused:
    with pytest.raises(Refused) as refused:
        _check(form, **kwargs)
    return refused.value


def _without(fields: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in fields.items() if k != name}


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(base64.b64decode(fields["policy"]))
    return decoded


def _signed(document: Any, fields: dict[str, str]) -> dict[str, str]:
    """`fields` with `document` as its policy, signed with the local secret: a valid signer's."""
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    _, date, region, _, _ = fields["x-amz-credential"].split("/")
    return {
        **fields,
        "policy": policy,
        "x-amz-signature": sigv4_signature("local", policy, date=date, region=region),
    }


# -- honest uploads ----------------------------------------------------------------------------
def _starting_with(fields: dict[str, str], name: str, prefix: str) -> dict[str, str]:
    """`fields` signed again, their policy's condition on `name` now a `starts-with` `prefix`."""
    document = _policy(fields)
    document["conditions"] = [c for c in document["conditions"] if name not in c]
    document["conditions"].append(["starts-with", f"${name}", prefix])
    return _signed(document, fields)


def test_the_upload_functions_form_with_its_file_is_accepted(fields) -> None:
    # Given the form the upload function hands out, posted as a client posts it
    form = _posted(fields)
    # Then the file and the fields are read back exactly, and S3 would store it
    assert form.file == DATA
    assert dict(form.fields) == fields
    _check(form)


def test_a_file_of_exactly_the_reserved_size_and_ignored_fields_are_accepted(fields) -> None:
    _check(_posted({**fields, "x-ignore-progress": "1"}, b"j" * SIZE))
    _check(_posted(fields, b"j"))  # the range starts at 1 byte


def test_field_names_are_compared_case_insensitively(fields) -> None:
    renamed = {("content-type" if k == "Content-Type" else k): v for k, v in fields.items()}
    _check(_posted(renamed))


def test_sigv2_forms_are_checked_too() -> None:
    fields = _form_fields(_client(signature="s3"))
    assert "signature" in fields and "AWSAccessKeyId" in fields
    _check(_posted(fields))
    tampered = {**fields, "signature": "A" + fields["signature"][1:]}
    assert _refusal(_posted(tampered)).code == "SignatureDoesNotMatch"


def test_a_starts_with_key_condition_takes_any_key_under_its_prefix(fields) -> None:
    signed = _starting_with(fields, "key", "incoming/")
    _check(_posted({**signed, "key": "incoming/another"}))
    refused = _refusal(_posted({**signed, "key": "public/defaced.jpg"}))
    assert (refused.status, refused.code) == (403, "AccessDenied")
    assert refused.message == (
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "incoming/"]'
    )


# -- refusals ----------------------------------------------------------------------------------
def test_an_expired_form_is_refused(fields) -> None:
    later = datetime.now(UTC) + timedelta(seconds=901)
    refused = _refusal(_posted(fields), now=later)
    assert (refused.status, refused.code) == (403, "AccessDenied")
    assert refused.message == "Invalid according to Policy: Policy expired."


def test_a_key_other_than_the_policys_is_refused(fields) -> None:
    refused = _refusal(_posted({**fields, "key": "public/defaced.jpg"}))
    assert (refused.status, refused.code) == (403, "AccessDenied")
    assert refused.message == (
        f'Invalid according to Policy: Policy Condition failed: {{"key": "{KEY}"}}'
    )


@pytest.mark.parametrize("content_type", ["image/png", "text/html", "image/jpeg; x=1", ""])
def test_a_content_type_other_than_the_pinned_one_is_refused(fields, content_type) -> None:
    refused = _refusal(_posted({**fields, "Content-Type": content_type}))
    assert (refused.status, refused.code) == (403, "AccessDenied")
    assert "Policy Condition failed" in refused.message and "image/jpeg" in refused.message


def test_a_form_without_the_pinned_content_type_is_refused(fields) -> None:
    refused = _refusal(_posted(_without(fields, "Content-Type")))
    assert (refused.status, refused.code) == (403, "AccessDenied")


def test_a_file_larger_than_the_range_is_refused(fields) -> None:
    refused = _refusal(_posted(fields, DATA + b"!"))
    assert (refused.status, refused.code) == (400, "EntityTooLarge")
    assert refused.details == {"ProposedSize": str(SIZE + 1), "MaxSizeAllowed": str(SIZE)}


def test_an_empty_file_is_refused(fields) -> None:
    refused = _refusal(_posted(fields, b""))
    assert (refused.status, refused.code) == (400, "EntityTooSmall")
    assert refused.details == {"ProposedSize": "0", "MinSizeAllowed": "1"}


def test_a_bucket_other_than_the_policys_is_refused(fields) -> None:
    refused = _refusal(_posted(fields), bucket="someone-elses-bucket")
    assert (refused.status, refused.code) == (403, "AccessDenied")
    assert f'{{"bucket": "{BUCKET}"}}' in refused.message


@pytest.mark.parametrize(
    ("name", "spelled"),
    [
        ("x-amz-signature", "X-Amz-Signature"),
        ("x-amz-credential", "X-Amz-Credential"),
        ("x-amz-date", "X-Amz-Date"),
        ("x-amz-algorithm", "X-Amz-Algorithm"),
        ("key", "key"),
    ],
)
def test_a_missing_field_is_refused(fields, name, spelled) -> None:
    refused = _refusal(_posted(_without(fields, name)))
    assert (refused.status, refused.code) == (400, "InvalidArgument")
    assert refused.message.startswith(f"Bucket POST must contain a field named '{spelled}'.")


def test_fields_after_the_file_are_ignored_as_s3_ignores_them(fields) -> None:
    # a key sent after the file does not count, so the form has none
    form = _posted(_without(fields, "key"), key=KEY)
    assert form.lookup().get("key") is None
    assert _refusal(form).code == "InvalidArgument"


def test_a_form_without_a_policy_is_an_anonymous_write_and_refused(fields) -> None:
    refused = _refusal(_posted({"key": KEY, "Content-Type": "image/jpeg"}))
    assert (refused.status, refused.code, refused.message) == (403, "AccessDenied", "Access Denied")


def test_a_form_without_a_file_is_refused(fields) -> None:
    prepared = requests.Request("POST", "http://x/b", data=fields, files={"other": b"x"}).prepare()
    assert isinstance(prepared.body, bytes)
    form = parse_form(prepared.body, str(prepared.headers["Content-Type"]))
    assert form.file is None
    refused = _refusal(form)
    assert (refused.status, refused.code) == (400, "IncorrectNumberOfFilesInPostRequest")


@pytest.mark.parametrize("extra", ["x-amz-meta-owner", "acl", "success_action_redirect"])
def test_a_field_no_condition_names_is_refused(fields, extra) -> None:
    refused = _refusal(_posted({**fields, extra: "public-read"}))
    assert (refused.status, refused.code) == (403, "AccessDenied")
    assert refused.message == f"Invalid according to Policy: Extra input fields: {extra}"


def test_a_changed_signature_is_refused(fields) -> None:
    flipped = ("0" if fields["x-amz-signature"][0] != "0" else "1") + fields["x-amz-signature"][1:]
    refused = _refusal(_posted({**fields, "x-amz-signature": flipped}))
    assert (refused.status, refused.code) == (403, "SignatureDoesNotMatch")


def test_a_form_signed_with_another_secret_is_refused() -> None:
    forged = _form_fields(_client(("local", "not-the-local-secret")))
    assert _refusal(_posted(forged)).code == "SignatureDoesNotMatch"


def test_a_form_signed_by_an_unknown_key_is_refused() -> None:
    refused = _refusal(_posted(_form_fields(_client(("AKIDUNKNOWN", "local")))))
    assert (refused.status, refused.code) == (403, "InvalidAccessKeyId")


def test_a_policy_widened_after_signing_is_refused(fields) -> None:
    # Given the policy re-encoded with a larger size limit, under the original signature
    document = _policy(fields)
    document["conditions"] = [
        ["content-length-range", 1, 10**9]
        if isinstance(c, list) and c[0] == "content-length-range"
        else c
        for c in document["conditions"]
    ]
    policy = base64.b64encode(json.dumps(document).encode()).decode()
    refused = _refusal(_posted({**fields, "policy": policy}, DATA * 3))
    assert refused.code == "SignatureDoesNotMatch"


def test_a_credential_scope_for_another_region_is_refused(fields) -> None:
    elsewhere = fields["x-amz-credential"].replace(REGION, "us-east-1")
    refused = _refusal(_posted({**fields, "x-amz-credential": elsewhere}))
    assert (refused.status, refused.code) == (400, "AuthorizationQueryParametersError")


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ("not json", "Invalid JSON."),
        ({"conditions": []}, "Policy missing expiration."),
        ({"expiration": "2099-01-01T00:00:00Z"}, "Policy missing conditions."),
        ({"expiration": "tomorrow", "conditions": []}, "Invalid 'expiration' value: 'tomorrow'"),
        (
            {"expiration": "2099-01-01T00:00:00Z", "conditions": [{"a": "1", "b": "2"}]},
            "Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.",
        ),
        (
            {"expiration": "2099-01-01T00:00:00Z", "conditions": [["matches", "$key", ".*"]]},
            'Invalid Condition: ["matches", "$key", ".*"]',
        ),
    ],
)
def test_a_malformed_policy_document_is_refused(fields, document, detail) -> None:
    if isinstance(document, str):
        policy = base64.b64encode(document.encode()).decode()
        _, date, region, _, _ = fields["x-amz-credential"].split("/")
        signed = {
            **fields,
            "policy": policy,
            "x-amz-signature": sigv4_signature("local", policy, date=date, region=region),
        }
    else:
        signed = _signed(document, fields)
    refused = _refusal(_posted(signed))
    assert (refused.status, refused.code) == (400, "InvalidPolicyDocument")
    assert refused.message == f"Invalid Policy: {detail}"


def test_a_comma_separated_content_type_must_match_the_prefix_in_each_part(fields) -> None:
    signed = _starting_with(fields, "Content-Type", "image/")
    _check(_posted({**signed, "Content-Type": "image/jpeg, image/png"}))
    assert (
        _refusal(_posted({**signed, "Content-Type": "image/jpeg, text/html"})).code
        == "AccessDenied"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n',  # never closed
        b"--b\r\nno headers here\r\n--b--\r\n",
        b"--b\r\nContent-Disposition: attachment\r\n\r\nx\r\n--b--\r\n",
    ],
)
def test_a_body_that_is_not_multipart_form_data_is_refused(body) -> None:
    with pytest.raises(Refused) as refused:
        parse_form(body, "multipart/form-data; boundary=b")
    assert (refused.value.status, refused.value.code) == (400, "MalformedPOSTRequest")
    for content_type in ("multipart/form-data", "multipart/form-data; boundary=\u2603"):
        with pytest.raises(Refused):
            parse_form(body, content_type)


def test_the_error_document_is_s3s() -> None:
    document = error_xml(
        Refused(400, "EntityTooLarge", "Too <big>", {"ProposedSize": "2", "MaxSizeAllowed": "1"}),
        "REQ1",
    )
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<Error>')
    assert b"<Code>EntityTooLarge</Code><Message>Too &lt;big&gt;</Message>" in document
    assert b"<ProposedSize>2</ProposedSize><MaxSizeAllowed>1</MaxSizeAllowed>" in document
    assert b"<RequestId>REQ1</RequestId>" in document


# -- the guard in front of moto ----------------------------------------------------------------
class _Moto:
    """Stands in for moto's WSGI application: records what reaches it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("204 No Content", [])
        return []


def _call(
    guard: PostPolicyGuard, fields: dict[str, str], data: bytes = DATA, **environ: str
) -> tuple[str, dict[str, str], bytes]:
    body, content_type = _encoded(fields, data)
    answered: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered.update(status=status, headers=dict(headers))

    result = guard(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": f"/{BUCKET}",
            "HTTP_HOST": "127.0.0.1:8001",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            **environ,
        },
        start_response,
    )
    return answered["status"], answered["headers"], b"".join(result)


def test_the_guard_replays_an_accepted_form_to_moto_byte_for_byte(fields) -> None:
    moto = _Moto()
    status, _, _ = _call(PostPolicyGuard(moto, SECRETS, REGION), fields)
    assert status.startswith("204")
    [body] = moto.bodies
    assert (
        DATA in body
        and parse_form(
            body, "multipart/form-data; boundary=" + body.split(b"\r\n")[0][2:].decode()
        ).file
        == DATA
    )


def test_the_guard_answers_a_refused_form_itself_and_moto_never_sees_it(fields) -> None:
    moto = _Moto()
    status, headers, body = _call(
        PostPolicyGuard(moto, SECRETS, REGION),
        {**fields, "key": "public/x"},
        HTTP_ORIGIN="http://site",
    )
    assert moto.bodies == []
    assert status == "403 Forbidden"
    assert headers["Content-Type"] == "application/xml"
    assert headers["Access-Control-Allow-Origin"] == "http://site"  # the page can read it
    assert b"<Code>AccessDenied</Code>" in body


def test_the_guard_passes_every_other_request_untouched() -> None:
    moto = _Moto()
    guard = PostPolicyGuard(moto, SECRETS, REGION)
    answered: list[str] = []
    sent = b"Action=SendMessage"
    guard(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/",
            "HTTP_HOST": "127.0.0.1:8001",
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(sent)),
            "wsgi.input": io.BytesIO(sent),
        },
        lambda status, headers: answered.append(status),
    )
    assert moto.bodies == [sent] and answered == ["204 No Content"]


@pytest.mark.parametrize(
    ("host", "path", "bucket"),
    [
        ("127.0.0.1:8001", "/media/", "media"),
        ("localhost:4566", "/media", "media"),
        ("[::1]:8001", "/media", "media"),
        ("media.s3.eu-west-2.amazonaws.com", "/", "media"),
    ],
)
def test_the_guard_reads_the_bucket_as_moto_does(host, path, bucket) -> None:
    assert bucket_of({"HTTP_HOST": host, "PATH_INFO": path}) == bucket
