#!/usr/bin/env python3
"""Make sure Debian's Chromium is at /usr/bin/chromium before `make test` runs anything.

The browser tests drive it (never `playwright install`). Installed with apt-get when missing and
this user can (root, or sudo); otherwise stop at once with the exact command to run. Runs on the
system Python, before the venv exists: standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
APT = ("apt-get update", "apt-get install -y chromium")


@dataclass(frozen=True)
class Machine:
    has_chromium: bool
    is_root: bool
    has_apt: bool
    sudo: str  # "none", "passwordless" (sudo -n works) or "password" (sudo would prompt)
    interactive: bool  # a terminal to type sudo's password into


def plan(m: Machine) -> tuple[str, list[str]]:
    """("ok", []), ("install", commands to run) or ("stop", lines to print)."""
    if m.has_chromium:
        return "ok", []
    if not m.has_apt:
        return "stop", [
            f"{CHROMIUM} is missing and there is no apt-get here: the browser tests need "
            "Debian's (or Ubuntu's) chromium package at that path.",
        ]
    prefix = "" if m.is_root else "sudo "
    commands = [prefix + command for command in APT]
    if m.is_root or m.sudo == "passwordless" or (m.sudo == "password" and m.interactive):
        return "install", commands
    who = "as root" if m.sudo == "none" else "with sudo"
    return "stop", [
        f"{CHROMIUM} is missing (the browser tests need it). Run this {who}, then `make test`:",
        "",
        "    " + " && ".join(("sudo " if m.sudo != "none" else "") + c for c in APT),
    ]


def this_machine() -> Machine:
    sudo = "none"
    sudo_path = shutil.which("sudo")
    if sudo_path:
        passwordless = (
            subprocess.run(  # noqa: S603 (a fixed command)
                [sudo_path, "-n", "true"], capture_output=True, check=False
            ).returncode
            == 0
        )
        sudo = "passwordless" if passwordless else "password"
    return Machine(
        has_chromium=os.access(CHROMIUM, os.X_OK),
        is_root=os.geteuid() == 0,
        has_apt=shutil.which("apt-get") is not None,
        sudo=sudo,
        interactive=sys.stdin.isatty(),
    )


def main() -> int:
    action, lines = plan(this_machine())
    if action == "ok":
        return 0
    if action == "stop":
        print("\n".join(lines), file=sys.stderr)
        return 1
    print(f"{CHROMIUM} is missing: installing Debian's chromium (about a minute)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in lines:
        print(f"+ {command}", file=sys.stderr)
        argv = command.split()
        if argv[0] == "sudo":  # sudo drops the environment: pass the frontend explicitly
            argv[1:1] = ["DEBIAN_FRONTEND=noninteractive"]
        argv[0] = shutil.which(argv[0]) or argv[0]
        if subprocess.run(argv, env=env, check=False).returncode != 0:  # noqa: S603 (plan's)
            print(f"failed: {command}", file=sys.stderr)
            return 1
    if not os.access(CHROMIUM, os.X_OK):
        print(f"chromium was installed but {CHROMIUM} is still missing", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
