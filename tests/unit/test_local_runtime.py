"""The local runtime imports handler modules one at a time (`local/runtime.py` says why)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from infra.wiring import WIRING
from local import runtime


def test_handler_modules_are_imported_under_the_one_import_lock(monkeypatch: pytest.MonkeyPatch):
    held: list[bool] = []
    real = importlib.import_module

    def recording(name: str, *args: Any) -> Any:
        held.append(runtime._IMPORTING.locked())
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", recording)
    fn = next(f for f in WIRING.functions if f.name == "upload-api")
    assert callable(runtime._handler(fn))
    assert held == [True]
    assert not runtime._IMPORTING.locked()
