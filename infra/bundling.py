"""Lambda code assets bundled on this machine (no Docker): our sources plus arm64 wheels.

Each function's asset holds `functions/__init__.py`, `functions/<package>/`, all of `shared/`,
`docs/openapi.json` when it exists, and its requirements installed by pip for
manylinux2014_aarch64 / CPython 3.13. The asset hash is computed from exactly those inputs, so
CDK never fingerprints the project root (.venv, node_modules, cdk.out) and an unchanged function
keeps its asset (no redeploy).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from infra import runtime_python
from infra.constants import (
    ASSET_EXCLUDE,
    BUNDLE_FORMAT_VERSION,
    BUNDLE_IGNORE,
    PIP_PLATFORM,
    PIP_PYTHON_VERSION,
    PROJECT_ROOT,
)
from infra.wiring import Function

OPENAPI = Path("docs") / "openapi.json"
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the asset (tracebacks name these paths)
PRUNE_DIRS = frozenset({"tests", "__pycache__"})
# Dependencies installed for code paths we never take: email-validator's deliverability check
# (DNS lookups; shared/types.py validates with check_deliverability=False) is dnspython's only
# use. Import package -> distribution name. 1.6 MB of every asset.
UNUSED_PACKAGES = {"dns": "dnspython"}
PRUNE_SUFFIXES = frozenset({".pyi", ".pyc"})
PRUNE_DIST_INFO = frozenset(
    {"RECORD", "INSTALLER", "REQUESTED", "WHEEL", "top_level.txt", "direct_url.json"}
)


def function_package(fn: Function) -> str:
    """`functions.upload.handler.lambda_handler` -> `upload`."""
    parts = fn.handler.split(".")
    if len(parts) < 3 or parts[0] != "functions":
        raise ValueError(
            f"handler {fn.handler!r} of {fn.name!r} is not functions.<package>.<module>.<attr>"
        )
    return parts[1]


def _ignored(path: Path) -> bool:
    return any(path.match(pattern) for pattern in BUNDLE_IGNORE) or any(
        part in {"__pycache__", "tests"} for part in path.parts
    )


def _files(root: Path, relative: Path) -> Iterator[Path]:
    """Files under root/relative (a file or a directory), relative to root, sorted, filtered."""
    base = root / relative
    if base.is_file():
        yield relative
        return
    if not base.is_dir():
        return
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not _ignored(rel):
            yield rel


def source_paths(fn: Function) -> list[Path]:
    package = function_package(fn)
    return [Path("functions") / "__init__.py", Path("functions") / package, Path("shared"), OPENAPI]


def asset_hash(fn: Function, root: Path = PROJECT_ROOT) -> str:
    """sha256 over the function's own sources, shared/, the OpenAPI doc and its requirements."""
    digest = hashlib.sha256()
    digest.update(f"v{BUNDLE_FORMAT_VERSION}|{PIP_PLATFORM}|{PIP_PYTHON_VERSION}|".encode())
    digest.update("\n".join(fn.requirements).encode())
    for relative in source_paths(fn):
        for rel in _files(root, relative):
            digest.update(b"\0" + rel.as_posix().encode() + b"\0")
            digest.update((root / rel).read_bytes())
    return digest.hexdigest()


def pip_command(
    target: str, requirements: Sequence[str], platform: str = PIP_PLATFORM
) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-input",
        "--target",
        target,
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        PIP_PYTHON_VERSION,
        "--only-binary=:all:",
        "--no-compile",
        *requirements,
    ]


@jsii.implements(ILocalBundling)
class LocalBundler:
    """Copies the function's sources and pip-installs its wheels into the asset directory."""

    def __init__(
        self, fn: Function, root: Path = PROJECT_ROOT, platform: str = PIP_PLATFORM
    ) -> None:
        self._fn = fn
        self._root = root
        self._platform = platform  # another only for benchmarks on this machine's processor

    def try_bundle(self, output_dir: str, options: Any) -> bool:
        out = Path(output_dir)
        for relative in source_paths(self._fn):
            for rel in _files(self._root, relative):
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(self._root / rel, out / rel)
        if self._fn.requirements:
            subprocess.run(  # noqa: S603 - pip, with our own arguments
                pip_command(str(out), self._fn.requirements, self._platform),
                check=True,
            )
        prune(out)
        compile_bytecode(out)
        return True


def prune(out: Path) -> None:
    """Drop what the runtime never reads: wheels' tests, stubs, console scripts, stale caches,
    and install bookkeeping (METADATA stays: pydantic asks importlib.metadata for versions;
    licences stay: they travel with the code)."""
    shutil.rmtree(out / "bin", ignore_errors=True)
    for top, distribution in UNUSED_PACKAGES.items():
        shutil.rmtree(out / top, ignore_errors=True)
        for info in out.glob(f"{distribution}-*.dist-info"):
            shutil.rmtree(info)
    for path in sorted(out.rglob("*"), reverse=True):  # children before their directories
        rel = path.relative_to(out)
        if path.is_dir() and path.name in PRUNE_DIRS:
            shutil.rmtree(path, ignore_errors=True)
        elif path.is_file() and (
            path.suffix in PRUNE_SUFFIXES
            or path.name == "py.typed"
            or (rel.parts[0].endswith(".dist-info") and path.name in PRUNE_DIST_INFO)
        ):
            path.unlink()


def compile_bytecode(out: Path) -> None:
    """`.pyc` for the runtime's own Python beside every module, checked by hash only.

    Lambda's /var/task is read-only: without these every cold start compiles every imported
    module from source. `unchecked-hash` pycs are used as they are (a zip's timestamps cannot
    be trusted to match), which is right for code that never changes after the deploy.
    """
    subprocess.run(  # noqa: S603
        [
            *runtime_python.interpreter(),
            "-m",
            "compileall",
            "-q",
            "-q",
            "-j",
            "1",
            "--invalidation-mode",
            "unchecked-hash",
            "-s",
            str(out),
            "-p",
            LAMBDA_TASK_ROOT,
            str(out),
        ],
        check=True,
    )


def function_code(fn: Function, root: Path = PROJECT_ROOT) -> lambda_.Code:
    """The asset of one function; with bundling skipped (tests) CDK only needs the hash."""
    # The source handed to CDK is only the function's package directory: CDK walks its source
    # (symlink check, staging when bundling is skipped), and the project root holds .venv,
    # node_modules and cdk.out. The local bundler reads the real inputs from `root` itself.
    return lambda_.Code.from_asset(
        str(root / "functions" / function_package(fn)),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=asset_hash(fn, root),
        exclude=list(ASSET_EXCLUDE),
        bundling=BundlingOptions(
            image=lambda_.Runtime.PYTHON_3_13.bundling_image,
            # jsii calls try_bundle(output_dir, options) positionally; the generated stub spreads
            # the options struct into keywords, which mypy then compares.
            local=LocalBundler(fn, root),  # type: ignore[arg-type]
        ),
    )
