"""Third-party packages whose `__init__` imports everything they offer, made lazy.

Powertools' `event_handler/__init__.py` imports every resolver it has (AppSync's brings asyncio),
and `utilities/data_classes/__init__.py` every event class, whichever one a function uses: on
the runtime's Python that was a sixth of an API function's cold start (2.04x the bare-boto3
baseline before, 1.6-1.7x after: docs/BENCHMARKS.md, "Cold start as bundled"). Those
`__init__` files only re-export names of their submodules, so the package can be registered
without running it, each name imported from its own submodule on first use (PEP 562), exactly
as the `__init__` would have bound it.

A package whose `__init__` does anything but re-export is left to import as usual, and so is
one already imported: this only ever changes when a name is imported, never what it is.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from types import ModuleType
from typing import Final

# Whose `__init__` costs cold start for names none of our functions use.
EAGER_PACKAGES: Final = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.utilities.data_classes",
)


def _reexports(package: str, source: str) -> tuple[dict[str, tuple[str, str]], list[str]] | None:
    """name -> (module, name) of each `from X import name`, and `__all__`; None if the
    `__init__` does anything else (then it must run as written)."""
    exports: dict[str, tuple[str, str]] = {}
    public: list[str] | None = None
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue
        if isinstance(node, ast.ImportFrom) and node.names[0].name != "*":
            module = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            for alias in node.names:
                exports[alias.asname or alias.name] = (module, alias.name)
        elif isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [
            "__all__"
        ]:
            public = list(ast.literal_eval(node.value))
        elif not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            return None  # not only re-exports and a docstring
    if public is None:  # what `import *` would have bound from the executed `__init__`
        public = [exported for exported in exports if not exported.startswith("_")]
    return exports, public


def defer_package_init(name: str) -> bool:
    """Register package `name` without running its `__init__`; True if it was."""
    if name in sys.modules:
        return False
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return False
    get_source = getattr(spec.loader, "get_source", None)  # a sourceless loader has none
    source = get_source(name) if get_source else None
    found = _reexports(name, source) if source else None
    if found is None:
        return False
    exports, public = found
    package = importlib.util.module_from_spec(spec)

    def __getattr__(attribute: str) -> object:
        if attribute not in exports:
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        module, original = exports[attribute]
        # `from X import a` binds X's attribute `a`, or else X's submodule `a`: so does this
        # (`from . import a` names the package itself: only its submodule can be meant).
        source = None if module == name else importlib.import_module(module)
        value = (
            getattr(source, original)
            if source is not None and hasattr(source, original)
            else importlib.import_module(f"{module}.{original}")
        )
        setattr(package, attribute, value)
        return value

    package.__dict__.update(
        __getattr__=__getattr__,
        __dir__=lambda: sorted({*exports, *package.__dict__}),
        __all__=public,
    )
    sys.modules[name] = package
    _bind_to_parent(name, package)
    return True


def _bind_to_parent(name: str, package: ModuleType) -> None:
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, package)


def defer_eager_packages() -> None:
    for name in EAGER_PACKAGES:
        defer_package_init(name)
