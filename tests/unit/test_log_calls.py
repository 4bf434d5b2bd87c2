"""Logger calls never name a reserved `LogRecord` attribute as a field.

`logger.info("pledge recorded", created=True)` raises `KeyError: "Attempt to overwrite 'created'
in LogRecord"` at INFO, so a route that logs it answers 500 in Lambda while a test run at WARNING
never formats the record. This check reads the source, so it holds whatever level a test runs at.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("functions", "shared", "local", "infra", "bench")
LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log"}
# Every attribute a LogRecord has, plus the two the formatter adds.
RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def bad_log_fields(source: str, filename: str = "<source>") -> list[str]:
    """`file:line: field` for each logger call whose keyword is reserved or cannot be checked."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in LOG_METHODS or not _is_logger(node.func.value):
            continue
        for keyword in node.keywords:
            if keyword.arg is None:  # **fields: names unknown until run time
                found.append(f"{filename}:{node.lineno}: **{ast.unparse(keyword.value)}")
            elif keyword.arg in RESERVED:
                found.append(f"{filename}:{node.lineno}: {keyword.arg}")
    return found


def _is_logger(target: ast.expr) -> bool:
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return "logger" in name.lower()


def test_no_logger_call_names_a_reserved_record_attribute() -> None:
    # Given every module the functions, the local stack and the tools run
    files = [
        path
        for top in CHECKED
        for path in sorted((ROOT / top).rglob("*.py"))
        if not {".cache", "__pycache__"} & set(path.relative_to(ROOT).parts)
    ]
    assert len(files) > 50

    # When their logger calls are read
    bad = [
        line
        for path in files
        for line in bad_log_fields(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]

    # Then none names a LogRecord attribute (or hides its names behind **)
    assert bad == []


@pytest.mark.parametrize(
    "field",
    [
        "created",
        "name",
        "msg",
        "args",
        "module",
        "filename",
        "levelname",
        "process",
        "message",
        "exc_info",
    ],
)
def test_a_planted_reserved_field_is_found(field: str) -> None:
    planted = f'logger.info("pledge recorded", {field}=True, role="teacher")\n'
    assert bad_log_fields(planted) == [f"<source>:1: {field}"]


def test_fields_behind_double_star_are_found() -> None:
    assert bad_log_fields('self.logger.warning("x", **counts)\n') == ["<source>:1: **counts"]


def test_ordinary_fields_and_other_calls_pass() -> None:
    source = 'logger.info("ok", photo_id=1, new_pledge=True)\nprint("x", name=1)\n'
    assert bad_log_fields(source) == []


def test_the_reserved_field_really_breaks_logging_at_info() -> None:
    # The reason for the check: Powertools refuses a reserved key as soon as INFO is on.
    from aws_lambda_powertools import Logger

    logger = Logger(service="check", level="INFO")
    with pytest.raises(KeyError, match="created"):
        logger.info("pledge recorded", created=True)
