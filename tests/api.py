"""Calling the wired API functions in-process, as API Gateway would route each request, and the
test steps the pledge, sign-up and pack tests share."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from infra.wiring import WIRING
from local.gateway import CompiledRoute
from tests.events import ORGANISER_CLAIMS, http_event

_ROUTES = [CompiledRoute.of(r, fn) for r, fn in WIRING.routes()]


def handler_of(method: str, path: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The handler of the function the wiring routes `method path` to."""
    fn = next(c.function for c in _ROUTES if c.route.method == method and c.pattern.match(path))
    return getattr(importlib.import_module(fn.module), fn.attribute)  # type: ignore[no-any-return]


def call(method: str, path: str, lambda_context: Any, **kwargs: Any) -> dict[str, Any]:
    """One request to whichever function serves it (kwargs: `tests.events.http_event`'s)."""
    return handler_of(method, path)(http_event(method, path, **kwargs), lambda_context)


def erase(lambda_context: Any, email: str) -> dict[str, Any]:
    """An organiser's request to erase everything held on `email`."""
    body = {"email": email}
    return call("POST", "/admin/erasure", lambda_context, body=body, claims=ORGANISER_CLAIMS)


def frozen_clock(
    monkeypatch: pytest.MonkeyPatch, start: datetime, *modules: str
) -> dict[str, datetime]:
    """A clock the test moves (`now["at"] += ...`), read as `utc_now` by the given handler
    modules."""
    now = {"at": start}
    for module in modules:
        monkeypatch.setattr(importlib.import_module(module), "utc_now", lambda: now["at"])
    return now


def emailed_token(to: str, link: str) -> str:
    """The token of the last `link` (`/signup/confirm`, `/pledge/confirm`...) mailed to `to`,
    once the outbox has sent what the requests owe."""
    sent = [m for m in mails(to) if link in m.body]
    assert sent, f"no {link} mail to {to}"
    found = re.search(re.escape(link) + r"\?token=([\w-]+)", sent[-1].body)
    assert found
    return found.group(1)


def mails(to: str | None = None) -> list[Any]:
    """What SES sent (to `to`, or to anyone), once the outbox has sent what requests owe."""
    from moto.ses.models import ses_backends

    from tests.outbox import drain

    drain()
    sent = ses_backends["123456789012"]["eu-west-2"].sent_messages
    return [m for m in sent if to is None or to in m.destinations["ToAddresses"]]


def assert_one_mail_per_window(
    request: Callable[[], Any], to: str, now: dict[str, datetime]
) -> None:
    """However often `request` is made within ten minutes, `to` gets one confirmation; after
    the window, a second one."""
    request()
    for _ in range(4):
        now["at"] += timedelta(minutes=2)
        request()
    assert len(mails(to)) == 1
    now["at"] += timedelta(minutes=3)
    request()
    assert len(mails(to)) == 2
