"""The IAM check as a pytest plugin: the laptop refuses what the synthesized policies would.

Every process that runs handlers (xdist workers, the local stacks they start) records each
function's AWS calls into one directory (`local.iam`); at the end of the session the controller
evaluates them all against the synthesized template (`tests.iam.policy`) and fails the run on
any call a function's policy would deny, naming the function, the action and the resource.

The template is synthesized once per session, in a background process started at the beginning
(so node's start-up overlaps the tests), and cached under .pytest_cache until infra/ changes.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.abc
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infra.wiring import WIRING
from local import iam
from tests.iam import policy

ROOT = Path(__file__).resolve().parents[2]
CHECKED = (ROOT / "tests" / "integration", ROOT / "tests" / "e2e")
CACHE_KEY = "techognition/iam-template"
REPORT = ROOT / "docs" / "IAM.md"
SYNTH_TIMEOUT_S = 600

_HANDLERS = {fn.module: fn for fn in WIRING.functions}


def _attribute(module: ModuleType) -> None:
    """Wrap a wired handler so the calls it makes are attributed to its function."""
    fn = _HANDLERS.get(module.__name__)
    if fn is None:
        return
    handler = getattr(module, fn.attribute, None)
    if handler is None or getattr(handler, "__iam_function__", None):
        return

    @functools.wraps(handler)
    def attributed(event: Any, context: Any) -> Any:
        with iam.running(fn.name):
            return handler(event, context)

    attributed.__iam_function__ = fn.name  # type: ignore[attr-defined]
    setattr(module, fn.attribute, attributed)


class _AttributeOnImport(importlib.abc.MetaPathFinder):
    """Tests import handlers inside test bodies, after the fixtures set the environment; this
    wraps them as they are imported, so import order and time stay as they were."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> Any:
        if fullname not in _HANDLERS:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        execute = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            execute(module)
            _attribute(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _covers_checked_tests(config: pytest.Config) -> bool:
    for arg in config.args:
        path = (Path(config.invocation_params.dir) / arg.split("::")[0]).resolve()
        for checked in CHECKED:
            if checked.is_relative_to(path) or path.is_relative_to(checked):
                return True
    return False


def _sources_digest() -> str:
    digest = hashlib.sha256()
    files = [
        *sorted((ROOT / "infra").rglob("*.py")),
        ROOT / "cdk.json",
        ROOT / "tests" / "iam" / "synth.py",
    ]
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


class Controller:
    """The process that evaluates: xdist's controller, or the only process without xdist."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.directory = Path(tempfile.mkdtemp(prefix="iam-records-"))
        os.environ[iam.RECORDS_ENV] = str(self.directory)  # inherited by workers and stacks
        self.digest = _sources_digest()
        self.synth_out = self.directory / "synth.json"
        self.synth: subprocess.Popen[bytes] | None = None
        self.lines: list[str] = []
        cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
        cached = cache.get(CACHE_KEY, None) if cache else None
        self.cached = cached["synth"] if cached and cached.get("digest") == self.digest else None
        if self.cached is None and _covers_checked_tests(config):
            self.synth = subprocess.Popen(
                [sys.executable, "-m", "tests.iam.synth", str(self.synth_out)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=(self.directory / "synth.log").open("wb"),
            )

    def _synthesized(self) -> dict[str, Any]:
        if self.cached is not None:
            return dict(self.cached)
        if self.synth is not None:
            self.synth.wait(timeout=SYNTH_TIMEOUT_S)
            if not self.synth_out.exists():
                log = (self.directory / "synth.log").read_text(errors="replace")
                raise RuntimeError(f"synth for the IAM check failed:\n{log[-3000:]}")
            synthesized = dict(json.loads(self.synth_out.read_text(encoding="utf-8")))
        else:
            from tests.iam.synth import synthesize

            synthesized = synthesize()
        cache = getattr(self.config, "cache", None)
        if cache:
            cache.set(CACHE_KEY, {"digest": self.digest, "synth": synthesized})
        return synthesized

    def finish(self, session: pytest.Session) -> None:
        try:
            calls = [
                policy.Call.of(json.loads(line))
                for path in sorted(self.directory.glob("*.jsonl"))
                for line in path.read_text(encoding="utf-8").splitlines()
                if line
            ]
            if not calls:
                return
            synthesized = self._synthesized()
            policies = policy.function_policies(synthesized["template"], synthesized["paths"])
            verdict = policy.evaluate(policies, calls)
            functions = sorted({c.function for c in calls})
            self.lines.append(
                f"{len(calls)} distinct AWS requests of {len(functions)} functions "
                "evaluated against the synthesized policies"
            )
            if os.environ.get("UPDATE_IAM_REPORT"):
                REPORT.write_text(policy.report(policies, verdict, calls) + "\n", encoding="utf-8")
                self.lines.append(f"unexercised grants written to {REPORT.relative_to(ROOT)}")
            if verdict.denied:
                self.lines += [
                    f"IAM would deny {call.describe()}: {why}" for call, why in verdict.denied
                ]
                self.lines.append(
                    f"FAILED: {len(verdict.denied)} calls the deployed functions' "
                    "policies would refuse (tests/iam/plugin.py)"
                )
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        except Exception as exc:  # the check itself broke: that fails the run too
            self.lines.append(f"IAM check could not run: {type(exc).__name__}: {exc}")
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        finally:
            if self.synth is not None and self.synth.poll() is None:
                self.synth.terminate()
                self.synth.wait(timeout=30)
            keep = os.environ.get("IAM_KEEP_RECORDS")  # a directory: for looking at the calls
            if keep:
                shutil.copytree(self.directory, keep, dirs_exist_ok=True)
            shutil.rmtree(self.directory, ignore_errors=True)


_CONTROLLER = pytest.StashKey[Controller]()


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):
        config.stash[_CONTROLLER] = Controller(config)
    if iam.install() is not None:
        sys.meta_path.insert(0, _AttributeOnImport())
        for name in _HANDLERS:
            if name in sys.modules:
                _attribute(sys.modules[name])


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    controller = session.config.stash.get(_CONTROLLER, None)
    if controller is not None:
        controller.finish(session)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    controller = config.stash.get(_CONTROLLER, None)
    if controller is not None and controller.lines:
        terminalreporter.section("IAM check")
        for line in controller.lines:
            terminalreporter.write_line(line)
