"""Reusable field types: emails (plain, trimmed, case-folded), opaque ids, event days, bounded
text that refuses control characters and bidirectional overrides."""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

# Explicit embeddings, overrides and isolates reorder what a reader sees ("Trojan Source");
# the implicit marks (U+200E/F, U+061C) only nudge neutral characters and stay allowed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# C0, DEL and C1 controls, lone surrogates, and the Unicode line and paragraph separators.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
_UNSAFE_RANGES = "\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069"
EMAIL_MESSAGE = "must be a plain address like name@school.sch.uk (no name, brackets or spaces)"


def _unsafe(char: str) -> bool:
    return char in BIDI_CONTROLS or unicodedata.category(char) in _UNSAFE_CATEGORIES


def normalise_email(value: str) -> str:
    """The one spelling of an address that keys a person: a plain `local@domain`, trimmed and
    case-folded, so that one mailbox is one person for limits, dedupe and erasure.

    Display names, brackets, comments, quotes, `mailto:`, stray punctuation and invisible
    characters are refused rather than cleaned: each would be another spelling of a mailbox.
    """
    from email_validator import EmailNotValidError, validate_email

    # Invisible characters are refused anywhere (zero-width ones are format characters, Cf);
    # then only spaces are left to trim.
    if any(_unsafe(c) or unicodedata.category(c) == "Cf" for c in value):
        raise ValueError(EMAIL_MESSAGE)
    email = value.strip()
    try:
        # No DNS (it would make every request wait on a look-up). SES takes only ASCII before
        # the @ (no SMTPUTF8); an international domain is kept in its ASCII (punycode) form.
        # `test_environment` admits `*.test`, which the tests and the local stack use and which,
        # like any made-up domain, is no more than a bounce.
        checked = validate_email(
            email,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            test_environment=True,
        )
    except EmailNotValidError:
        # A fixed message: the library's may quote part of the address, and errors are logged.
        raise ValueError(EMAIL_MESSAGE) from None
    return str(checked.ascii_email or checked.normalized).casefold()


def _valid_day(value: str) -> str:
    date.fromisoformat(value)  # raises ValueError on 2026-02-30
    return value


Email = Annotated[
    str,
    Field(max_length=320, json_schema_extra={"format": "email"}),
    AfterValidator(normalise_email),
]
Day = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    AfterValidator(_valid_day),
]
ObjectId = Annotated[str, StringConstraints(pattern=_ID.pattern)]


@dataclass(frozen=True)
class _Text:
    """Trimmed user text of bounded length, without control characters or bidi overrides.

    Checked before trimming, so a control character at either end is refused too. A multi-line
    field keeps line breaks (CRLF and CR become LF) but nothing else of the kind.
    """

    max_length: int
    min_length: int
    multiline: bool

    def _clean(self, value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the string schema refuses it
        if self.multiline:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if any(_unsafe(c) and not (self.multiline and c == "\n") for c in value):
            kind = (
                "control characters other than line breaks"
                if self.multiline
                else "line breaks, tabs, other control characters"
            )
            raise ValueError(f"must not contain {kind} or bidirectional overrides")
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        inner = core_schema.str_schema(
            strip_whitespace=True, min_length=self.min_length, max_length=self.max_length
        )
        return core_schema.no_info_before_validator_function(self._clean, inner)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        described = handler(schema)
        refused = (
            _UNSAFE_RANGES.replace(
                "\\u0000-\\u001f", "\\u0000-\\u0009\\u000b\\u000c\\u000e-\\u001f"
            )
            if self.multiline
            else _UNSAFE_RANGES
        )
        described["pattern"] = f"^[^{refused}]*$"
        return described


def bounded(max_length: int, min_length: int = 1, *, multiline: bool = False) -> Any:
    """Trimmed user text of bounded length: `Annotated[str, bounded(280)]`. Single-line unless
    `multiline` (a message, a report): then line breaks are kept."""
    return _Text(max_length, min_length, multiline)


def new_id() -> str:
    """An opaque, unguessable id (clients must not parse it)."""
    return secrets.token_urlsafe(12)


def is_id(value: str) -> bool:
    return bool(_ID.match(value))


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(instant: datetime) -> str:
    """ISO-8601 UTC with `Z`, to the second."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
