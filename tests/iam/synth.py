"""One synth of the stack for the IAM check: the template and each resource's construct path.

`python -m tests.iam.synth OUT.json` writes it (the check runs this in the background while the
tests run, so that the suite's end does not wait for node); `synthesize()` is the same in-process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from infra.wiring import WIRING, Wiring

SKIP_BUNDLING: dict[str, Any] = {"aws:cdk:bundling-stacks": []}


def synthesize(wiring: Wiring = WIRING) -> dict[str, Any]:
    """{"template": the CloudFormation template, "paths": {logical id: construct path}}."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    from infra.app import build_app

    app, stack = build_app(wiring, SKIP_BUNDLING)
    assembly = app.synth()
    template = assembly.get_stack_artifact(stack.artifact_id).template
    return {"template": template, "paths": paths_of(stack)}


def paths_of(stack: Any) -> dict[str, str]:
    """{logical id: construct path} of every CloudFormation resource in `stack`."""
    from aws_cdk import CfnResource

    return {
        stack.get_logical_id(node): node.node.path
        for node in stack.node.find_all()
        if CfnResource.is_cfn_resource(node)
    }


def main(out: str) -> None:
    partial = Path(out + ".partial")
    partial.write_text(json.dumps(synthesize()), encoding="utf-8")
    partial.replace(out)  # whoever waits for the file never reads half of it


if __name__ == "__main__":
    main(sys.argv[1])
