"""scripts/ensure_chromium.py: `make test` installs Chromium when it can, else stops at once with
the exact command (the decision, on every kind of machine; and the script as make runs it)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure_chromium.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ensure_chromium", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


ensure = _load()


def machine(**changes: object) -> object:
    base = {
        "has_chromium": False,
        "is_root": False,
        "has_apt": True,
        "sudo": "none",
        "interactive": False,
    }
    return ensure.Machine(**{**base, **changes})


def test_nothing_to_do_when_chromium_is_there():
    assert ensure.plan(machine(has_chromium=True, has_apt=False)) == ("ok", [])


def test_root_installs_with_apt():
    assert ensure.plan(machine(is_root=True)) == (
        "install",
        ["apt-get update", "apt-get install -y chromium"],
    )


@pytest.mark.parametrize(("sudo", "interactive"), [("passwordless", False), ("password", True)])
def test_a_user_who_can_sudo_installs_with_sudo(sudo, interactive):
    assert ensure.plan(machine(sudo=sudo, interactive=interactive)) == (
        "install",
        ["sudo apt-get update", "sudo apt-get install -y chromium"],
    )


def test_sudo_that_would_wait_for_a_password_nobody_can_type_stops_with_the_command():
    action, lines = ensure.plan(machine(sudo="password", interactive=False))
    assert action == "stop"
    assert lines[-1].strip() == "sudo apt-get update && sudo apt-get install -y chromium"


def test_no_sudo_and_not_root_stops_with_the_command_to_run_as_root():
    action, lines = ensure.plan(machine(sudo="none"))
    assert action == "stop"
    assert "as root" in lines[0]
    assert lines[-1].strip() == "apt-get update && apt-get install -y chromium"


def test_no_apt_stops_and_says_what_is_needed():
    action, lines = ensure.plan(machine(is_root=True, has_apt=False))
    assert action == "stop" and "no apt-get" in lines[0]


def test_the_makefile_ensures_chromium_before_anything_else():
    # Given make's plan for `make test` (-n: print, run nothing) in the repository
    root = SCRIPT.parents[1]
    plan = subprocess.run(
        ["make", "-n", "-B", "test"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    # Then the first command is the Chromium check, before the venv, npm, lint or pytest
    assert "ensure_chromium.py" in plan[0], plan[:3]
