"""CPython of the Lambda runtime's version, to compile the assets' bytecode while bundling.

Lambda's code directory is read-only, so a module shipped without a `.pyc` for the runtime's
exact Python is compiled from source at every cold start (about 0.7 s for Powertools and
pydantic). Bytecode is version-specific (each minor version has its own magic number), so it
must come from a 3.13 interpreter, which this project's machines (Debian bookworm, 3.11) lack.

Where one is found, in this order:
1. `python3.13` on PATH (an operator's Mac with Homebrew, a newer Linux);
2. a private copy under `.cache/python3.13/`: Debian 13's interpreter packages, downloaded with
   the machine's own apt (a separate package list, nothing installed system-wide) and unpacked
   with dpkg-deb; it runs through its own dynamic loader, so trixie's libc never meets the
   host's.
Otherwise bundling stops with what to install.
"""

from __future__ import annotations

import fcntl
import platform
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Final

from infra.constants import PROJECT_ROOT

VERSION: Final = (3, 13)
# importlib.util.MAGIC_NUMBER of every CPython 3.13 release (3571): what the runtime accepts.
PYC_MAGIC: Final = (3571).to_bytes(2, "little") + b"\r\n"

DEBIAN_SUITE: Final = "trixie"  # Debian 13 ships CPython 3.13
DEBIAN_MIRROR: Final = "http://deb.debian.org/debian"
DEBIAN_KEYRING: Final = "/usr/share/keyrings/debian-archive-keyring.gpg"
# The interpreter, its standard library and the shared libraries its modules load.
DEBIAN_PACKAGES: Final = (
    "python3.13-minimal",
    "libpython3.13-minimal",
    "libpython3.13-stdlib",
    "libc6",
    "zlib1g",
    "libexpat1",
    "libssl3t64",
    "libffi8",
    "libbz2-1.0",
    "liblzma5",
    "libzstd1",
)


class NoRuntimePython(RuntimeError):
    """No CPython 3.13 can be had on this machine; the message says what to install."""


def _reports_version(command: list[str]) -> bool:
    probe = "import sys; print(sys.version_info[:2])"
    try:
        out = subprocess.run(  # noqa: S603 - our own probe of a candidate interpreter
            [*command, "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return False
    return out.returncode == 0 and out.stdout.strip() == str(VERSION)


# Debian's multiarch directory and dynamic loader per machine (apt downloads the host's).
_LOADERS: Final = {
    "x86_64": ("x86_64-linux-gnu", "ld-linux-x86-64.so.2"),
    "aarch64": ("aarch64-linux-gnu", "ld-linux-aarch64.so.1"),
}


def _debian_command(root: Path) -> list[str]:
    triplet, loader = _LOADERS.get(platform.machine(), _LOADERS["x86_64"])
    libs = root / "usr" / "lib" / triplet
    return [
        str(libs / loader),
        "--library-path",
        str(libs),
        str(root / "usr" / "bin" / "python3.13"),
    ]


def _unpack_debian_python(cache_dir: Path) -> Path:
    """Download and unpack Debian 13's python3.13 into cache_dir/root (no system change)."""
    work = cache_dir / "apt"
    for sub in ("lists/partial", "cache/archives/partial", "debs"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    sources = work / "sources.list"
    sources.write_text(f"deb [signed-by={DEBIAN_KEYRING}] {DEBIAN_MIRROR} {DEBIAN_SUITE} main\n")
    options = [
        "-o",
        f"Dir::Etc::SourceList={sources}",
        "-o",
        "Dir::Etc::SourceParts=/dev/null",
        "-o",
        f"Dir::State::Lists={work / 'lists'}",
        "-o",
        f"Dir::Cache={work / 'cache'}",
        "-o",
        "Dir::State::status=/dev/null",
        "-o",
        "APT::Sandbox::User=root",
        "-qq",
    ]
    apt = shutil.which("apt-get")
    dpkg = shutil.which("dpkg-deb")
    if not apt or not dpkg:
        raise NoRuntimePython(_advice("apt-get and dpkg-deb are not available"))
    subprocess.run([apt, *options, "update"], check=True)  # noqa: S603
    subprocess.run(  # noqa: S603
        [apt, *options, "download", *DEBIAN_PACKAGES],
        cwd=work / "debs",
        check=True,
    )
    root = cache_dir / "root.partial"
    shutil.rmtree(root, ignore_errors=True)
    for deb in sorted((work / "debs").glob("*.deb")):
        subprocess.run([dpkg, "-x", str(deb), str(root)], check=True)  # noqa: S603
    final = cache_dir / "root"
    shutil.rmtree(final, ignore_errors=True)
    root.rename(final)  # a half-unpacked root is never mistaken for a good one
    return final


def _advice(why: str) -> str:
    return (
        f"Bundling needs CPython {VERSION[0]}.{VERSION[1]} to compile the Lambda assets' "
        f"bytecode ({why}). Install python{VERSION[0]}.{VERSION[1]} on PATH "
        "(e.g. `brew install python@3.13`, or your distribution's package), then run again."
    )


@cache
def interpreter(cache_dir: Path = PROJECT_ROOT / ".cache" / "python3.13") -> list[str]:
    """The command that runs CPython 3.13 here: `python3.13`, or the private Debian copy."""
    on_path = shutil.which(f"python{VERSION[0]}.{VERSION[1]}")
    if on_path and _reports_version([on_path]):
        return [on_path]
    if sys.platform != "linux" or not Path(DEBIAN_KEYRING).exists():
        raise NoRuntimePython(_advice("no python3.13 on PATH, and this is not a Debian machine"))
    root = cache_dir / "root"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with (cache_dir / ".lock").open("w") as lock:  # parallel test workers unpack it once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "usr" / "bin" / "python3.13").exists():
            root = _unpack_debian_python(cache_dir)
    command = _debian_command(root)
    if not _reports_version(command):
        raise NoRuntimePython(_advice(f"the Debian copy in {root} does not run"))
    return command
