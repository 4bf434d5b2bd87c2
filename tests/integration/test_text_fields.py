"""Free text through the handlers, against moto: single-line fields refuse control characters
and bidi overrides (a name must not carry "\\nVisit http://evil.example to claim your prize" into
an official email); multi-line fields keep line breaks and refuse the rest."""

from __future__ import annotations

from typing import Any

import pytest

from tests.events import ORGANISER_CLAIMS, body_of, http_event
from tests.settings import AllSettings
from tests.unit.test_shared_types import SEPARATORS_AND_BIDI

UPLOAD = {
    "caption": "Titration practical",
    "display_name": "Crieff High Techies",
    "school": "Crieff High School",
    "email": "tech@crieff.sch.uk",
    "content_type": "image/jpeg",
    "size_bytes": 2_000_000,
    "consent": True,
}
PLEDGE = {
    "name": "Ada Lovelace",
    "email": "ada@hill.sch.uk",
    "role": "teacher",
    "organisation": "Hill School",
    "show_on_wall": True,
}
SIGNUP = {
    "email": "sam@hill.sch.uk",
    "name": "Sam",
    "role": "other",
    "organisation": "Hill School",
    "consent": True,
}
MESSAGE = {"message": "Thank you, technicians.", "name": "Sam", "role": "other"}

# (module, method, path, valid body, claims, single-line fields)
SINGLE_LINE = [
    (
        "functions.upload.handler",
        "POST",
        "/uploads",
        UPLOAD,
        None,
        ("caption", "display_name", "school"),
    ),
    ("functions.pledge.handler", "POST", "/pledges", PLEDGE, None, ("name", "organisation")),
    ("functions.pledge.handler", "POST", "/signups", SIGNUP, None, ("name", "organisation")),
    ("functions.pledge.handler", "POST", "/messages", MESSAGE, None, ("name",)),
    (
        "functions.prizedraw.handler",
        "POST",
        "/admin/draws/2027-03-09/redraw",
        {"position": 1, "reason": "Winner unreachable"},
        ORGANISER_CLAIMS,
        ("reason",),
    ),
]
INJECTIONS = ["\n", "\r\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", *SEPARATORS_AND_BIDI]


def _call(
    module: str,
    method: str,
    path: str,
    ctx: Any,
    body: Any,
    claims: dict[str, Any] | None = None,
    ip: str = "203.0.113.7",
) -> dict[str, Any]:
    import importlib

    result: dict[str, Any] = importlib.import_module(module).lambda_handler(
        http_event(method, path, body=body, claims=claims, source_ip=ip), ctx
    )
    return result


@pytest.mark.parametrize(
    ("module", "method", "path", "body", "claims", "fields"),
    SINGLE_LINE,
    ids=[row[2] for row in SINGLE_LINE],
)
def test_single_line_fields_refuse_control_characters_and_bidi_overrides(
    aws_env, lambda_context, module, method, path, body, claims, fields
):
    wrong = []
    for field in fields:
        for char in INJECTIONS:
            # When the field carries the character (here: a second line to an email)
            spoilt = {**body, field: f"Sam{char}Visit http://evil.example to claim your prize"}
            response = _call(module, method, path, lambda_context, spoilt, claims)
            # Then it is a 422 naming the field
            errors = (body_of(response) or {}).get("errors", [])
            if response["statusCode"] != 422 or [e["loc"][-1] for e in errors] != [field]:
                wrong.append((field, f"U+{ord(char[-1]):04X}", response["statusCode"]))
    assert wrong == []


def test_ordinary_single_line_text_is_accepted(aws_env, lambda_context):
    # Names and schools in any script, an emoji sequence (joined by U+200D), a Hebrew name
    # with its implicit right-to-left mark: none is a control character or an override
    text = {
        "caption": "Tech team \U0001f469\u200d\U0001f52c \u2013 prep room",
        "school": "Ysgol Gyfun Gymraeg Glantaf",
        "display_name": "\u05e9\u05e8\u05d4 \u200f(Sarah)",
    }
    assert (
        _call("functions.upload.handler", "POST", "/uploads", lambda_context, {**UPLOAD, **text})[
            "statusCode"
        ]
        == 201
    )
    assert (
        _call(
            "functions.pledge.handler",
            "POST",
            "/signups",
            lambda_context,
            {**SIGNUP, "name": "Si\u00e2n O'Brien-Jones"},
        )["statusCode"]
        == 202
    )


def _approved_photo() -> str:
    from tests.integration.test_moderation import make_photo

    photo_id = make_photo(status="pending_moderation")
    from shared.config import load
    from shared.dynamo import Table
    from shared.photos import Status, get_photo, move

    table = Table(load(AllSettings).table_name)
    item = get_photo(table, photo_id, consistent=True)
    assert item is not None
    move(table, item, leaving=(Status.PENDING_MODERATION,), to=Status.APPROVED)
    return photo_id


def test_a_report_reason_keeps_its_lines_and_refuses_other_controls(aws_env, lambda_context):
    photo_id = _approved_photo()
    path = f"/photos/{photo_id}/reports"
    # Given reasons with a control character or an override: each is a 422 naming `reason`
    # (from a different address each: reports have their own, tighter, per-IP limit)
    for n, char in enumerate(("\t", "\x00", "\x1b", "\x85", "\u2028", "\u202e", "\u2066")):
        response = _call(
            "functions.upload.handler",
            "POST",
            path,
            lambda_context,
            {"reason": f"Shows a pupil{char}clearly"},
            ip=f"198.51.100.{n + 1}",
        )
        assert response["statusCode"] == 422, (f"U+{ord(char):04X}", response)
        assert [e["loc"][-1] for e in body_of(response)["errors"]] == ["reason"]
    # When a reason on several lines is sent, then it is accepted
    response = _call(
        "functions.upload.handler",
        "POST",
        path,
        lambda_context,
        {"reason": "Shows a pupil's face.\r\nSecond row, left."},
        ip="198.51.100.99",
    )
    assert 200 <= response["statusCode"] < 300, response


def test_a_message_to_government_keeps_its_lines(aws_env, lambda_context):
    response = _call(
        "functions.pledge.handler",
        "POST",
        "/messages",
        lambda_context,
        {**MESSAGE, "message": "Dear Minister,\n\nThank you.\nSam"},
    )
    assert response["statusCode"] == 202, response


def test_a_message_to_government_refuses_other_controls_and_overrides(aws_env, lambda_context):
    for char in ("\t", "\x00", "\x1b", "\x85", "\u2028", "\u202e", "\u2066"):
        response = _call(
            "functions.pledge.handler",
            "POST",
            "/messages",
            lambda_context,
            {**MESSAGE, "message": f"Dear Minister,{char}thank you."},
        )
        assert response["statusCode"] == 422, (f"U+{ord(char):04X}", response)
