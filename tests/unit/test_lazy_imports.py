"""Eager third-party `__init__` files kept out of the cold start (shared/lazy_imports.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.coldstart import ENV  # the functions' placeholder environment, as benchmarked
from infra.constants import PROJECT_ROOT
from infra.wiring import WIRING, Function
from shared.lazy_imports import defer_package_init

API_FUNCTIONS = [fn for fn in WIRING.functions if fn.routes]
# What the real `event_handler/__init__.py` would import for every function, used by none.
NEVER_AT_START = ("asyncio", "aws_lambda_powertools.event_handler.appsync")


def _fresh_interpreter(code: str) -> object:
    """Runs `code` in a new Python, as a Lambda cold start would, and returns what it printed."""
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env={"PATH": "/usr/bin:/bin", **ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.mark.parametrize("fn", API_FUNCTIONS, ids=lambda fn: fn.name)
def test_an_api_function_starts_without_resolvers_it_does_not_use(fn: Function) -> None:
    # Given Lambda's init: a fresh interpreter importing the handler module as configured
    module = fn.module
    code = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    # When it is imported
    loaded = _fresh_interpreter(code)
    # Then nothing only AppSync (and its asyncio) needs was loaded
    assert isinstance(loaded, list)
    assert module in loaded
    assert [name for name in NEVER_AT_START if name in loaded] == []


def test_a_deferred_package_gives_the_names_its_init_would_have_bound() -> None:
    code = """
import json
import functions  # defers the eager packages, as every entry point does
import aws_lambda_powertools.event_handler as handlers
from aws_lambda_powertools.event_handler import AppSyncResolver, Response
from aws_lambda_powertools.event_handler.api_gateway import Response as Original
from aws_lambda_powertools.utilities.data_classes import SQSEvent
namespace = {}
exec("from aws_lambda_powertools.event_handler import *", namespace)
print(json.dumps({
    "same": Response is Original,
    "appsync": AppSyncResolver.__module__,
    "sqs": SQSEvent.__module__,
    "star": sorted(set(handlers.__all__) - set(namespace)),
    "listed": "APIGatewayHttpResolver" in dir(handlers),
}))
"""
    assert _fresh_interpreter(code) == {
        "same": True,
        "appsync": "aws_lambda_powertools.event_handler.appsync",
        "sqs": "aws_lambda_powertools.utilities.data_classes.sqs_event",
        "star": [],
        "listed": True,
    }


@pytest.fixture
def packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    before = set(sys.modules)
    yield tmp_path
    for name in set(sys.modules) - before:
        del sys.modules[name]


def _package(root: Path, name: str, init: str) -> None:
    (root / name).mkdir()
    (root / name / "__init__.py").write_text(init)
    (root / name / "heavy.py").write_text("import json\nVALUE = object()\n")
    (root / name / "other.py").write_text("OTHER = 2\n")


def test_a_reexporting_package_imports_each_name_on_first_use(packages: Path) -> None:
    # Given a package whose __init__ only re-exports (absolute and relative) and lists __all__
    _package(
        packages,
        "reexports",
        '"""Doc."""\nfrom .heavy import VALUE\nfrom reexports.other import OTHER as RENAMED\n'
        '__all__ = ["VALUE", "RENAMED"]\n',
    )
    # When it is deferred
    assert defer_package_init("reexports")
    import reexports  # type: ignore[import-not-found]

    # Then no submodule ran until a name was asked for, and each name is the original
    assert "reexports.heavy" not in sys.modules
    assert reexports.VALUE is sys.modules["reexports.heavy"].VALUE
    assert reexports.RENAMED == 2
    assert reexports.__all__ == ["VALUE", "RENAMED"]
    # and a name it never had is an AttributeError, so `from package import submodule` still works
    with pytest.raises(AttributeError):
        _ = reexports.missing
    from reexports import other  # type: ignore[import-not-found]

    assert other.OTHER == 2


def test_a_reexported_submodule_is_imported_as_from_import_would(packages: Path) -> None:
    # `other` and `heavy` are submodules, named absolutely and relatively
    _package(packages, "subs", "from subs import other\nfrom . import heavy as renamed\n")
    assert defer_package_init("subs")
    import subs  # type: ignore[import-not-found]

    assert subs.other is sys.modules["subs.other"]
    assert subs.renamed is sys.modules["subs.heavy"]


def test_without_all_a_star_import_binds_the_public_names(packages: Path) -> None:
    _package(packages, "plain", "from __future__ import annotations\nfrom .heavy import VALUE\n")
    assert defer_package_init("plain")
    namespace: dict[str, object] = {}
    exec("from plain import *", namespace)  # noqa: S102 - the statement under test
    assert namespace["VALUE"] is sys.modules["plain.heavy"].VALUE
    assert "annotations" not in namespace


def test_a_star_reexport_is_not_deferred(packages: Path) -> None:
    _package(packages, "starred", "from .heavy import *\n")  # which names: only running it says
    assert not defer_package_init("starred")
    assert "starred" not in sys.modules


def test_a_package_that_does_more_than_reexport_runs_as_written(packages: Path) -> None:
    _package(packages, "busy", "from .heavy import VALUE\nSTARTED = True\n")
    assert not defer_package_init("busy")
    assert "busy" not in sys.modules
    import busy  # type: ignore[import-not-found]

    assert busy.STARTED is True


def test_a_package_already_imported_is_left_alone(packages: Path) -> None:
    _package(packages, "early", "from .heavy import VALUE\n")
    import early  # type: ignore[import-not-found]

    assert not defer_package_init("early")
    assert sys.modules["early"] is early
