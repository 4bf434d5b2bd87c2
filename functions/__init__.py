"""The Lambda functions. Every entry point is `functions.<package>.<module>`, so this runs first
in each of them: it keeps third-party packages' eager `__init__` files out of the cold start
(`shared/lazy_imports.py`)."""

from shared.lazy_imports import defer_eager_packages

defer_eager_packages()
