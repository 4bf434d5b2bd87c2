"""Sending email through SES, never to an address that bounced or complained.

Addresses that bounce or complain are kept only as pseudonyms (`SUPPRESSED#<person>`); a send to
one of them is skipped. Logs name the purpose, never the address.

A send SES refuses (`MessageRejected`, an address it will not take, throttling) or that cannot
reach SES is logged by its error code, and `send` answers False: every email here is
a side effect of a change already committed, whose answer must not become a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.aws import client
from shared.dynamo import Table
from shared.observability import logger

SUPPRESSED_SK = "EMAIL"


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None


# What a function that mails gets: (person, email) -> sent? (suppressed or refused: False).
Mailer = Callable[[str, "Email"], bool]


def mailer(table: Table, *, sender: str, configuration_set: str | None, purpose: str) -> Mailer:
    """The `Mailer` of a function: sends through SES as `sender`, skipping suppressed people."""

    def _send(person: str, email: Email) -> bool:
        return send(
            table, sender, person, email, purpose=purpose, configuration_set=configuration_set
        )

    return _send


def suppressed_key(person: str) -> tuple[str, str]:
    return f"SUPPRESSED#{person}", SUPPRESSED_SK


def suppress(table: Table, person: str, reason: str) -> None:
    pk, sk = suppressed_key(person)
    table.put({"pk": pk, "sk": sk, "reason": reason})


def is_suppressed(table: Table, person: str) -> bool:
    pk, sk = suppressed_key(person)
    return table.get(pk, sk) is not None


def ses_params(sender: str, email: Email, configuration_set: str | None) -> dict[str, Any]:
    """SES SendEmail's parameters for `email`."""
    body = {"Text": {"Data": email.text, "Charset": "UTF-8"}}
    if email.html:
        body["Html"] = {"Data": email.html, "Charset": "UTF-8"}
    params: dict[str, Any] = {
        "Source": sender,
        "Destination": {"ToAddresses": [email.to]},
        "Message": {"Subject": {"Data": email.subject, "Charset": "UTF-8"}, "Body": body},
    }
    if configuration_set:
        params["ConfigurationSetName"] = configuration_set
    return params


def send(
    table: Table,
    sender: str,
    person: str,
    email: Email,
    *,
    purpose: str,
    configuration_set: str | None = None,
) -> bool:
    """Send `email` unless its address is suppressed. Returns whether it went out."""
    if is_suppressed(table, person):
        logger.info("email skipped: address suppressed", purpose=purpose)
        return False
    params = ses_params(sender, email, configuration_set)
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        client("ses").send_email(**params)
    except ClientError as exc:
        # The code only: SES's message can quote the address ("Illegal address: <...>").
        code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
        _refused(purpose, code)
        return False
    except BotoCoreError as exc:  # the retries ran out (timeouts, connection errors)
        _refused(purpose, type(exc).__name__)
        return False
    logger.info("email sent", purpose=purpose)
    return True


def _refused(purpose: str, code: str) -> None:
    logger.warning("email not sent", purpose=purpose, error_code=code)
