"""Fault injection: side effects survive AWS failures (issue 17).

A botocore hook on the functions' own clients (`shared.aws`) fails chosen calls in one of two
ways: "not applied" (the request never reaches AWS: a connection error, before moto sees it) or
"answer lost" (moto applied it, then the read times out). The SDK retries both, as it would in
the cloud; what outlasts its retries reaches our code. The assertions are on the end state:
emails counted in moto's SES, one per owed effect, and no 5xx other than a clean 503.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.events import http_event
from tests.outbox import drain

Rule = Callable[[str, dict[str, Any]], str | None]  # (operation, params) -> "lost" | "refused"


class Faults:
    """Fails the calls a rule picks, on the clients the handlers use."""

    def __init__(self) -> None:
        self.rule: Rule = lambda _op, _params: None
        self.injected: Counter[str] = Counter()
        self._pending_loss: set[int] = set()

    def install(self, services: tuple[str, ...]) -> None:
        from shared.aws import client

        for service in services:
            events = client(service).meta.events
            events.register_first("before-send", self._before)  # ahead of moto: not applied
            events.register("before-send", self._after)  # after moto applied it: answer lost

    def _decide(self, request: Any) -> str | None:
        import json

        target = request.headers.get("X-Amz-Target", b"")
        operation = (target.decode() if isinstance(target, bytes) else str(target)).split(".")[-1]
        if not operation:  # query protocol (SES): Action=SendEmail in the body
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            operation = next(
                (p.split("=", 1)[1] for p in str(body or "").split("&") if p.startswith("Action=")),
                "",
            )
        if not operation and request.headers.get("x-amz-copy-source"):  # S3 (REST): a copy
            operation = "CopyObject"
        try:
            params = json.loads(request.body) if target else {}
        except (TypeError, ValueError):
            params = {}
        return self.rule(operation, {"body": request.body, **params})

    def _before(self, request: Any, **_: Any) -> None:
        from botocore.exceptions import EndpointConnectionError

        decision = self._decide(request)
        if decision == "refused":
            self.injected["refused"] += 1
            raise EndpointConnectionError(endpoint_url=request.url)
        if decision == "lost":
            self._pending_loss.add(id(request))

    def _after(self, request: Any, **_: Any) -> None:
        from botocore.exceptions import ReadTimeoutError

        if id(request) in self._pending_loss:
            self._pending_loss.discard(id(request))
            self.injected["lost"] += 1
            raise ReadTimeoutError(endpoint_url=request.url)


def one_in_five(seed: int = 17) -> Rule:
    """A fifth of the calls fail: SES sends "refused", the others half "refused", half "lost"
    (drawn from a seeded generator: the same calls fail on every run)."""
    chance = random.Random(seed)

    def rule(operation: str, _params: dict[str, Any]) -> str | None:
        if chance.random() >= 0.2:
            return None
        return "refused" if operation == "SendEmail" or chance.random() < 0.5 else "lost"

    return rule


@pytest.fixture
def faults(aws_env: Any, monkeypatch: pytest.MonkeyPatch) -> Faults:
    from botocore.retries import standard

    # The SDK's backoff (up to seconds per retry) only slows the test, it decides nothing.
    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, ctx: 0.001)
    injected = Faults()
    injected.install(("dynamodb", "ses", "s3"))
    return injected


def post(path: str, body: dict[str, Any], lambda_context: Any) -> dict[str, Any]:
    from functions.pledge.handler import lambda_handler

    answer: dict[str, Any] = lambda_handler(http_event("POST", path, body=body), lambda_context)
    return answer


def sent_to() -> Counter[str]:
    from moto.ses.models import ses_backends

    return Counter(
        address
        for message in ses_backends["123456789012"]["eu-west-2"].sent_messages
        for address in message.destinations["ToAddresses"]
    )


def signup(address: str) -> dict[str, Any]:
    return {"email": address, "name": "Sam", "consent": True}


def pledge(address: str) -> dict[str, Any]:
    return {
        "name": "Ada",
        "email": address,
        "role": "teacher",
        "organisation": "Hill School",
        "show_on_wall": False,
    }


def test_every_send_failing_at_first_still_mails_each_signup_once(faults, lambda_context):
    # Given SES fails every confirmation's first three tries (all of the SDK's retries)
    tries: Counter[str] = Counter()

    def first_sends_fail(operation: str, params: dict[str, Any]) -> str | None:
        if operation != "SendEmail":
            return None
        tries[str(params["body"])] += 1
        return "refused" if tries[str(params["body"])] <= 3 else None

    faults.rule = first_sends_fail
    # When three people sign up, one of them twice
    addresses = ["a@hill.test", "b@hill.test", "c@hill.test"]
    answers = [post("/signups", signup(a), lambda_context) for a in [*addresses, addresses[0]]]
    drain()
    # Then every request was accepted, and each person got exactly one confirmation
    assert [a["statusCode"] for a in answers] == [202] * 4
    assert faults.injected["refused"] == 9
    assert sent_to() == Counter(dict.fromkeys(addresses, 1))


def test_a_signup_whose_commit_answer_is_lost_answers_202_and_mails_once(faults, lambda_context):
    # Given the sign-up's transaction is applied but every answer to it is lost
    faults.rule = lambda op, _p: "lost" if op == "TransactWriteItems" else None
    # When someone signs up
    answer = post("/signups", signup("lost@hill.test"), lambda_context)
    # Then the committed change answers a success (not a 500, not "already sent")
    assert answer["statusCode"] == 202, answer
    assert faults.injected["lost"] >= 1
    faults.rule = lambda _op, _p: None
    # And its one email goes out, once, however often the stream delivers it
    drain()
    drain()
    assert sent_to() == Counter({"lost@hill.test": 1})


def test_a_pledge_whose_commit_answer_is_lost_answers_202_and_mails_once(faults, lambda_context):
    faults.rule = lambda op, _p: "lost" if op == "TransactWriteItems" else None
    answer = post("/pledges", pledge("ada@hill.test"), lambda_context)
    assert answer["statusCode"] == 202, answer
    faults.rule = lambda _op, _p: None
    drain()
    assert sent_to() == Counter({"ada@hill.test": 1})


def test_the_done_mark_lost_after_a_send_does_not_send_again(faults, lambda_context):
    # Given a sign-up whose email the outbox sends, but the first answers marking it done are lost
    assert post("/signups", signup("mark@hill.test"), lambda_context)["statusCode"] == 202
    marks: Counter[str] = Counter()

    def lose_first_marks(operation: str, params: dict[str, Any]) -> str | None:
        if operation == "UpdateItem" and "done_at" in str(params.get("UpdateExpression")):
            marks["tries"] += 1
            return "lost" if marks["tries"] <= 2 else None
        return None

    faults.rule = lose_first_marks
    # When the outbox runs (and the stream redelivers)
    drain()
    drain()
    # Then one email went out
    assert marks["tries"] >= 2
    assert sent_to() == Counter({"mark@hill.test": 1})


def test_under_20_percent_faults_no_email_is_lost_or_sent_twice(faults, lambda_context):
    # Given a fifth of the functions' AWS calls fail: not applied, or applied with the answer lost
    # (SES only "not applied": with no idempotency key, a send whose answer is lost can go twice,
    # the one duplicate nobody can rule out; see functions/effects/perform.py)
    faults.rule = one_in_five()
    # When 24 people sign up and 12 pledge, each retrying after a 503 as Retry-After asks
    requests = [("/signups", signup(f"s{n}@hill.test")) for n in range(24)]
    requests += [("/pledges", pledge(f"p{n}@hill.test")) for n in range(12)]
    statuses: Counter[int] = Counter()
    for path, body in requests:
        for _ in range(10):
            status = post(path, body, lambda_context)["statusCode"]
            statuses[status] += 1
            if status != 503:
                break
        assert status == 202, (path, statuses)
    # and the outbox runs under the same faults, then once more after them
    drain()
    faults.rule = lambda _op, _p: None
    drain()
    # Then no request answered anything but 202 or a clean 503, faults were really injected,
    # and every person got exactly one confirmation
    assert set(statuses) <= {202, 503}, statuses
    assert faults.injected["refused"] > 10 and faults.injected["lost"] > 10, faults.injected
    expected = Counter({body["email"]: 1 for _, body in requests})
    assert sent_to() == expected
