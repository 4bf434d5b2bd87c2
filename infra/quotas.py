"""Lambda concurrency limits that decide whether `cdk deploy` works on an account (synth checks).

A new AWS account has a quota of 10 concurrent executions, and Lambda always keeps 10 of the
quota unreserved, so a function with `ReservedConcurrentExecutions` fails the first deploy
("Specified ReservedConcurrentExecutions ... decreases account's UnreservedConcurrentExecution
below its minimum value of [10]"). Queue consumers are capped with the SQS event source's
maximum concurrency instead, which reserves nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from infra.wiring import Function

NEW_ACCOUNT_QUOTA: Final = 10  # concurrent executions of a new account (Service Quotas L-B99A9384)
UNRESERVED_MINIMUM: Final = 10  # Lambda refuses a reservation that leaves fewer unreserved
SQS_MAX_CONCURRENCY_RANGE: Final = (2, 1000)  # ScalingConfig.MaximumConcurrency bounds
# What the event needs (the API's 200 requests/s plus the consumers); 1000 is a normal request.
EVENT_QUOTA: Final = 100
REQUESTED_QUOTA: Final = 1000


def reserved_total(functions: Iterable[Function]) -> int:
    return sum(fn.reserved_concurrency or 0 for fn in functions)


def concurrency_problems(functions: Iterable[Function], quota: int) -> list[str]:
    """What Lambda would refuse at deploy on an account whose concurrency quota is `quota`."""
    functions = tuple(functions)
    low, high = SQS_MAX_CONCURRENCY_RANGE
    problems = [
        f"{fn.name}: max_concurrency {source.max_concurrency} of queue {source.queue!r} must be "
        f"between {low} and {high} (the SQS event source's maximum concurrency)"
        for fn in functions
        for source in fn.queue_sources
        if not low <= source.max_concurrency <= high
    ]
    problems += [
        f"{fn.name}: reserved_concurrency {fn.reserved_concurrency} must be at least 1, or None"
        for fn in functions
        if fn.reserved_concurrency is not None and fn.reserved_concurrency < 1
    ]
    reserved = reserved_total(functions)
    if reserved > quota - UNRESERVED_MINIMUM:
        names = ", ".join(
            f"{fn.name} {fn.reserved_concurrency}" for fn in functions if fn.reserved_concurrency
        )
        problems.append(
            f"the wiring reserves {reserved} concurrent executions ({names}), but with a Lambda "
            f"concurrency quota of {quota} only {max(quota - UNRESERVED_MINIMUM, 0)} can be "
            f"reserved (Lambda keeps {UNRESERVED_MINIMUM} unreserved), so the deploy would fail. "
            "Reserve nothing (cap queue consumers with QueueSource.max_concurrency), or raise the "
            "quota first (`make preflight` shows it) and set lambda_concurrency_quota to it"
        )
    return problems


def check_concurrency(functions: Iterable[Function], quota: int) -> None:
    """Fail synth with every concurrency setting that the account would refuse at deploy."""
    problems = concurrency_problems(functions, quota)
    if problems:
        raise ValueError("Lambda concurrency: " + "; ".join(problems))
