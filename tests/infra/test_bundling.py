"""The local bundler's layout and the asset hash, on a throw-away project tree (no pip)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from infra.bundling import LocalBundler, asset_hash, function_package, pip_command
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
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [
        "docs/openapi.json",
        "functions/__init__.py",
        "functions/upload/__init__.py",
        "functions/upload/handler.py",
        "shared/__init__.py",
        "shared/config.py",
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
