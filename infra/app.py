"""CDK entry point (`cdk synth`): no network calls, works offline without credentials."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_cdk import App, Environment, Validations
from cdk_nag import AwsSolutionsChecks

from infra.constants import CONTEXT_KEY, STACK_ID
from infra.settings import cdk_json_context, load_settings
from infra.stack import TechognitionStack
from infra.wiring import WIRING, Wiring


def _environment() -> Environment | None:
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    if not account and not region:
        return None  # environment-agnostic: synth needs no credentials
    return Environment(account=account, region=region)


def build_app(
    wiring: Wiring = WIRING, context: Mapping[str, Any] | None = None
) -> tuple[App, TechognitionStack]:
    """The app with cdk-nag attached.

    cdk.json's context (feature flags, event defaults) is always the base, so pytest synthesizes
    what the CLI does; `context` overrides it (e.g. bundling skipped in tests), and the CLI's own
    context (`-c`) overrides both.
    """
    app = App(context={**cdk_json_context(), **(context or {})})
    Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    settings = load_settings(app.node.try_get_context(CONTEXT_KEY))
    stack = TechognitionStack(
        app,
        STACK_ID,
        wiring=wiring,
        settings=settings,
        env=_environment(),
        description="techognition: uploads, moderation, pledges and the daily prize draw",
    )
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
