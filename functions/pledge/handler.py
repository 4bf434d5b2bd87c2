"""Pledge API: pledges and their wall, mailing-list sign-ups (double opt-in), and messages to
government with their moderation. (People's data, erasure and export, is `functions/people/`.)

Thin: each route counts the write, makes one domain call over the assembled `Ports` and maps the
result; errors become problem+json in `shared.http`.
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.pledge import logic
from functions.pledge.models import (
    AdminMessage,
    DecisionIn,
    MessageAccepted,
    MessageIn,
    MessageStatus,
    PledgeAccepted,
    PledgeConfirmed,
    PledgeIn,
    PledgeSummary,
    PublicMessage,
    SignupAccepted,
    SignupIn,
    SignupState,
    TokenIn,
    WallPledge,
)
from functions.pledge.settings import PledgeSettings, settings
from functions.pledge.store import PledgeStore
from shared.assemble import assembled
from shared.dynamo import Table
from shared.edition_query import current_edition
from shared.http import (
    WHICH_QUEUE,
    Cursor,
    Cursors,
    Limit,
    ListPage,
    WriteLimit,
    accepted,
    create_app,
    csv_documented,
    csv_response,
    documented,
    listed,
    organiser,
    organiser_page,
)
from shared.observability import logger
from shared.people import person_id, retention_ttl
from shared.types import ObjectId, utc_now

app = create_app()


def _build(config: PledgeSettings) -> logic.Ports:
    table = Table(config.table_name)
    return logic.Ports(
        store=PledgeStore(table, edition=current_edition(config)),
        cursors=Cursors(config.table_name),
        writes=WriteLimit(table, config, config.writes_per_ip_per_hour),
        links=logic.LinkSettings(
            site_url=config.site_url,
            token_ttl=timedelta(hours=config.signup_token_ttl_hours),
            resend_after=timedelta(minutes=config.signup_resend_minutes),
        ),
        person=partial(person_id, config),
        retention_ttl=retention_ttl(config),
    )


ports = assembled(settings, _build)  # one bundle per cold start


def _write() -> logic.Ports:
    """The ports, once this client's public write is counted (429 beyond its allowance)."""
    bundle = ports()
    bundle.writes.count(app, utc_now())
    return bundle


# -- pledges -----------------------------------------------------------------------------------
@app.post(
    "/pledges",
    summary="Pledge support (counted once its email confirms it)",
    responses=documented(
        202,
        PledgeAccepted,
        "Accepted: a confirmation link is emailed (the same answer whether "
        "or not the email has pledged)",
        400,
        413,
        422,
        429,
    ),
)
def create_pledge(body: PledgeIn) -> Response[PledgeAccepted]:
    p = _write()
    owed = logic.pledge(p.store, body, person=p.person(body.email), now=utc_now(), settings=p.links)
    logger.info("pledge received", confirmation_owed=owed, role=body.role)
    return accepted(PledgeAccepted())


@app.post(
    "/pledges/confirm",
    summary="Confirm a pledge with the emailed token",
    responses=documented(
        200, PledgeConfirmed, "Confirmed (again: the same answer)", 400, 413, 422, 429
    ),
)
def confirm_pledge(body: TokenIn) -> PledgeConfirmed:
    p = _write()
    pledge_id = logic.confirm_pledge(p.store, body.token, now=utc_now(), ttl=p.retention_ttl)
    return PledgeConfirmed(pledge_id=pledge_id)


@app.get("/pledges/summary", summary="How many have pledged, by role")
def pledge_summary() -> PledgeSummary:
    return logic.summary_of(ports().store.summary())


@app.get(
    "/pledges",
    summary="The pledge wall: pledges shown by choice, newest first",
    responses=documented(200, ListPage[WallPledge], "A page of the wall", 400),
)
def pledge_wall(limit: Limit = 20, cursor: Cursor = None) -> ListPage[WallPledge]:
    return listed(ListPage[WallPledge], logic.wall(ports(), limit, cursor))


# -- sign-ups ----------------------------------------------------------------------------------
@app.post(
    "/signups",
    summary="Join the mailing list (sends a confirmation email)",
    responses=documented(
        202, SignupAccepted, "Accepted (whether or not the email is known)", 400, 413, 422, 429
    ),
)
def create_signup(body: SignupIn) -> Response[SignupAccepted]:
    p = _write()
    owed = logic.sign_up(
        p.store,
        body,
        person=p.person(body.email),
        now=utc_now(),
        settings=p.links,
        ttl=p.retention_ttl,
    )
    logger.info("signup received", confirmation_owed=owed)
    return accepted(SignupAccepted())


@app.post(
    "/signups/confirm",
    summary="Confirm a sign-up with the emailed token",
    responses=documented(200, SignupState, "Confirmed", 400, 413, 422, 429),
)
def confirm_signup(body: TokenIn) -> SignupState:
    logic.redeem(_write().store, body.token, purpose=logic.CONFIRM, now=utc_now())
    return SignupState(status="confirmed")


@app.post(
    "/signups/unsubscribe",
    summary="Leave the mailing list with the emailed token",
    responses=documented(200, SignupState, "Unsubscribed", 400, 413, 422, 429),
)
def unsubscribe(body: TokenIn) -> SignupState:
    logic.redeem(_write().store, body.token, purpose=logic.UNSUBSCRIBE, now=utc_now())
    return SignupState(status="unsubscribed")


# -- messages ----------------------------------------------------------------------------------
@app.post(
    "/messages",
    summary="Send a message to government (published once approved)",
    responses=documented(202, MessageAccepted, "Accepted, pending moderation", 400, 413, 422, 429),
)
def create_message(body: MessageIn) -> Response[MessageAccepted]:
    p = _write()
    record = logic.new_message(body, now=utc_now(), ttl=p.retention_ttl)
    p.store.add_message(record)
    logger.info("message received", message_id=record.message_id)
    return accepted(MessageAccepted(message_id=record.message_id))


@app.get(
    "/messages",
    summary="Approved messages to government, newest first",
    responses=documented(200, ListPage[PublicMessage], "A page of approved messages", 400),
)
def approved_messages(limit: Limit = 20, cursor: Cursor = None) -> ListPage[PublicMessage]:
    return listed(ListPage[PublicMessage], logic.approved_messages(ports(), limit, cursor))


@app.get(
    "/admin/messages",
    summary="Messages by status, for organisers",
    responses=documented(200, ListPage[AdminMessage], "A page of the queue", 400),
)
def admin_messages(
    status: Annotated[MessageStatus, WHICH_QUEUE] = "pending",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ListPage[AdminMessage]:
    return organiser_page(
        app, ListPage[AdminMessage], lambda: logic.message_queue(ports(), status, limit, cursor)
    )


@app.post(
    "/admin/messages/<message_id>/decision",
    summary="Approve or reject a message",
    responses=documented(200, AdminMessage, "The message as decided", 404, 409, 413, 422),
)
def decide_message(message_id: Annotated[ObjectId, Path()], body: DecisionIn) -> AdminMessage:
    actor = organiser(app)
    decided = ports().store.decide_message(
        message_id, logic.transition(body), actor=actor, now=utc_now()
    )
    logger.info("message decided", message_id=message_id, status=decided.status)
    return logic.admin_message(decided)


@app.get(
    "/admin/messages/export",
    summary="CSV of the published messages to government",
    responses=csv_documented(
        "CSV with a header row (message, name, role, published_at), "
        "in the order they were published"
    ),
)
def export_messages() -> Response[str]:
    organiser(app)
    rows = logic.messages_export(ports().store.every_approved_message())
    logger.info("messages exported", rows=len(rows))
    return csv_response(logic.MESSAGE_COLUMNS, rows, filename="messages-to-government.csv")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
