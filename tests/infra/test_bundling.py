"""The local bundler's layout and the asset hash, on a throw-away project tree (no pip)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from infra.bundling import LocalBundler, asset_hash, function_package, pip_command, prune
from infra.runtime_python import PYC_MAGIC
from infra.wiring import Function

FN = Function(name="upload-api", handler="functions.upload.handler.lambda_handler", requirements=())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    files = {
        "functions/__init__.py": "",
        "functions/upload/__init__.py": "",
        "functions/upload/handler.py": "def lambda_handler(e, c): ...\n",
        "functions/upload/__pycache__/handler.cpython-313.pyc": "x",
        "functions/upload/tests/test_x.py": "",
        "functions/pledge/handler.py": "",
        "shared/__init__.py": "",
        "shared/config.py": "X = 1\n",
        "docs/openapi.json": "{}",
        ".venv/lib/huge.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_bundle_holds_own_package_shared_and_openapi_only(project: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    assert LocalBundler(FN, project).try_bundle(str(out), None) is True
    files = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file() and p.suffix != ".pyc"
    )
    assert files == [
        "docs/openapi.json",
        "functions/__init__.py",
        "functions/upload/__init__.py",
        "functions/upload/handler.py",
        "shared/__init__.py",
        "shared/config.py",
    ]


def test_every_bundled_module_carries_bytecode_of_the_runtimes_python(
    project: Path, tmp_path_factory
):
    # Given a bundled function (Lambda's code directory is read-only: no pyc, compile per start)
    out = tmp_path_factory.mktemp("out")
    LocalBundler(FN, project).try_bundle(str(out), None)

    # Then each module has a pyc named for CPython 3.13 with 3.13's magic number, hash-checked
    # only (flags 0b01: a zip's timestamps can't be trusted), and its traceback path in /var/task
    modules = sorted(out.rglob("*.py"))
    assert modules
    for module in modules:
        pyc = module.parent / "__pycache__" / f"{module.stem}.cpython-313.pyc"
        data = pyc.read_bytes()
        assert data[:4] == PYC_MAGIC == b"\xf3\r\r\n"
        assert int.from_bytes(data[4:8], "little") == 0b01
    handler = (out / "functions/upload/__pycache__/handler.cpython-313.pyc").read_bytes()
    assert b"/var/task/functions/upload/handler.py" in handler


def test_pruning_drops_what_the_runtime_never_reads(tmp_path: Path):
    # Given what pip leaves in a target directory
    for name in (
        "pkg/__init__.py",
        "pkg/tests/test_pkg.py",
        "pkg/core.pyi",
        "pkg/py.typed",
        "pkg/__pycache__/core.cpython-311.pyc",
        "bin/tool",
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/RECORD",
        "pkg-1.0.dist-info/WHEEL",
        "pkg-1.0.dist-info/licenses/LICENSE",
        "dns/resolver.py",
        "dnspython-2.9.2.dist-info/METADATA",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")

    prune(tmp_path)

    kept = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert kept == [
        "pkg-1.0.dist-info/METADATA",
        "pkg-1.0.dist-info/licenses/LICENSE",
        "pkg/__init__.py",
    ]


def test_bundle_works_without_openapi_doc(project: Path, tmp_path_factory):
    (project / "docs" / "openapi.json").unlink()
    out = tmp_path_factory.mktemp("out")
    LocalBundler(FN, project).try_bundle(str(out), None)
    assert not (out / "docs").exists()
    assert (out / "functions" / "upload" / "handler.py").exists()


def test_asset_hash_follows_own_sources_shared_and_requirements_only(project: Path):
    before = asset_hash(FN, project)
    (project / "functions" / "pledge" / "handler.py").write_text("changed")  # another function
    (project / ".venv" / "lib" / "huge.py").write_text("changed")
    assert asset_hash(FN, project) == before
    (project / "shared" / "config.py").write_text("X = 2\n")
    after_shared = asset_hash(FN, project)
    assert after_shared != before
    assert asset_hash(dataclasses.replace(FN, requirements=("pydantic",)), project) != after_shared


def test_pip_targets_lambda_arm64_python313():
    command = pip_command("/out", ("pydantic",))
    joined = " ".join(command)
    assert "--platform manylinux2014_aarch64" in joined
    assert "--python-version 3.13" in joined
    assert "--only-binary=:all:" in command
    assert "--no-compile" in command
    assert command[-1] == "pydantic"


def test_handler_must_live_in_a_functions_package():
    with pytest.raises(ValueError, match=r"functions\.<package>"):
        function_package(dataclasses.replace(FN, handler="app.handler"))


def test_email_validation_needs_no_dnspython_which_the_bundle_drops():
    # Given an interpreter where importing dns fails, as in a bundled asset
    import subprocess
    import sys

    check = (
        "import sys; sys.modules['dns'] = None\n"
        "from shared.types import normalise_email\n"
        "print(normalise_email(' Ada.Lovelace+week@School.sch.uk '))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
    )
    # Then addresses are still validated and normalised
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ada.lovelace+week@school.sch.uk"
