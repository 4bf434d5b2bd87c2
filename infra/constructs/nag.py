"""Acknowledging cdk-nag 3 findings: always on the narrowest construct, always with a reason."""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(scope: IConstruct, rule: str, reason: str, *applies_to: str) -> None:
    """Acknowledge `AwsSolutions-<rule>` (or `AwsSolutions-<rule>[<finding>]` per applies_to)."""
    ids = [f"AwsSolutions-{rule}[{finding}]" for finding in applies_to] or [f"AwsSolutions-{rule}"]
    Validations.of(scope).acknowledge(*(Acknowledgment(id=i, reason=reason) for i in ids))
