"""`python -m infra.cost`: the report (see infra/cost/__init__.py)."""

from infra.cost.cli import main

raise SystemExit(main())
