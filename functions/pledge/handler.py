"""Pledge API: pledges and their wall, mailing-list sign-ups (double opt-in), messages to
government with their moderation, and people's data (erasure, export).

Thin: each route parses, checks limits, makes one domain call and maps the result; errors
become problem+json in `shared.http`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.pledge import logic
from functions.pledge.erasure import Eraser
from functions.pledge.models import (
    AdminMessage,
    DecisionIn,
    ErasureIn,
    ErasureResult,
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
from functions.pledge.store import PledgeStore
from shared.aws import client
from shared.config import ApiConfig, load
from shared.dynamo import Item, Table, decode_cursor, encode_cursor
from shared.edition_query import current_edition
from shared.http import (
    Cursor,
    Limit,
    ListPage,
    create_app,
    documented,
    organiser,
    source_ip,
)
from shared.observability import logger
from shared.people import person_id, retention_ttl
from shared.ratelimit import hit, ip_key
from shared.secret import cursor_key
from shared.types import ObjectId, utc_now

app = create_app()

HOUR_S = 3600


def _config() -> ApiConfig:
    config: ApiConfig = load(ApiConfig)  # validated once per cold start (load caches)
    return config


def _table() -> Table:
    return Table(_config().table_name)


def _store() -> PledgeStore:
    return PledgeStore(_table(), edition=current_edition(_config()))


def _cursor_key() -> bytes:
    return cursor_key(_config().table_name)


def _start(cursor: str | None, scope: str) -> Item | None:
    return decode_cursor(cursor, secret=_cursor_key(), scope=scope)


def _next(last: Item | None, scope: str) -> str | None:
    return encode_cursor(last, secret=_cursor_key(), scope=scope)


def _links() -> logic.LinkSettings:
    config = _config()
    return logic.LinkSettings(
        site_url=config.site_url,
        token_ttl=timedelta(hours=config.signup_token_ttl_hours),
        resend_after=timedelta(minutes=config.signup_resend_minutes),
    )


def _count_write() -> None:
    """One client IP may make so many writes an hour (the IP is kept only as a pseudonym)."""
    config = _config()
    hit(_table(), ip_key(config, source_ip(app)), config.writes_per_ip_per_hour, HOUR_S,
        utc_now())


# -- pledges -----------------------------------------------------------------------------------
@app.post("/pledges", summary="Pledge support (counted once its email confirms it)",
          responses=documented(202, PledgeAccepted,
                               "Accepted: a confirmation link is emailed (the same answer whether "
                               "or not the email has pledged)", 400, 413, 422, 429))
def create_pledge(body: PledgeIn) -> Response[PledgeAccepted]:
    _count_write()
    config = _config()
    table = _table()
    store = PledgeStore(table, edition=current_edition(config))
    owed = logic.pledge(store, body, person=person_id(config, body.email),
                        now=utc_now(), settings=_links())
    logger.info("pledge received", confirmation_owed=owed, role=body.role)
    return Response(status_code=202, content_type="application/json", body=PledgeAccepted())


@app.post("/pledges/confirm", summary="Confirm a pledge with the emailed token",
          responses=documented(200, PledgeConfirmed, "Confirmed (again: the same answer)",
                               400, 413, 422, 429))
def confirm_pledge(body: TokenIn) -> PledgeConfirmed:
    _count_write()
    pledge_id = logic.confirm_pledge(_store(), body.token, now=utc_now(),
                                     ttl=retention_ttl(_config()))
    return PledgeConfirmed(pledge_id=pledge_id)


@app.get("/pledges/summary", summary="How many have pledged, by role")
def pledge_summary() -> PledgeSummary:
    return logic.summary_of(_store().summary())


@app.get("/pledges", summary="The pledge wall: pledges shown by choice, newest first",
         responses=documented(200, ListPage[WallPledge], "A page of the wall", 400))
def pledge_wall(limit: Limit = 20, cursor: Cursor = None) -> ListPage[WallPledge]:
    page = _store().wall(limit, _start(cursor, "pledge-wall"))
    return ListPage[WallPledge](items=[logic.wall_item(i) for i in page.items],
                                next_cursor=_next(page.last_key, "pledge-wall"))


# -- sign-ups ----------------------------------------------------------------------------------
@app.post("/signups", summary="Join the mailing list (sends a confirmation email)",
          responses=documented(202, SignupAccepted, "Accepted (whether or not the email is known)",
                        400, 413, 422, 429))
def create_signup(body: SignupIn) -> Response[SignupAccepted]:
    _count_write()
    config = _config()
    table = _table()
    store = PledgeStore(table, edition=current_edition(config))
    owed = logic.sign_up(store, body, person=person_id(config, body.email),
                         now=utc_now(), settings=_links(), ttl=retention_ttl(config))
    logger.info("signup received", confirmation_owed=owed)
    return Response(status_code=202, content_type="application/json", body=SignupAccepted())


@app.post("/signups/confirm", summary="Confirm a sign-up with the emailed token",
          responses=documented(200, SignupState, "Confirmed", 400, 413, 422, 429))
def confirm_signup(body: TokenIn) -> SignupState:
    _count_write()
    logic.redeem(_store(), body.token, purpose=logic.CONFIRM, now=utc_now())
    return SignupState(status="confirmed")


@app.post("/signups/unsubscribe", summary="Leave the mailing list with the emailed token",
          responses=documented(200, SignupState, "Unsubscribed", 400, 413, 422, 429))
def unsubscribe(body: TokenIn) -> SignupState:
    _count_write()
    logic.redeem(_store(), body.token, purpose=logic.UNSUBSCRIBE, now=utc_now())
    return SignupState(status="unsubscribed")


# -- messages ----------------------------------------------------------------------------------
@app.post("/messages", summary="Send a message to government (published once approved)",
          responses=documented(202, MessageAccepted, "Accepted, pending moderation",
                        400, 413, 422, 429))
def create_message(body: MessageIn) -> Response[MessageAccepted]:
    _count_write()
    item = logic.message_item(body, now=utc_now(), ttl=retention_ttl(_config()))
    _store().add_message(item)
    logger.info("message received", message_id=item["message_id"])
    return Response(status_code=202, content_type="application/json",
                    body=MessageAccepted(message_id=item["message_id"]))


@app.get("/messages", summary="Approved messages to government, newest first",
         responses=documented(200, ListPage[PublicMessage], "A page of approved messages", 400))
def approved_messages(limit: Limit = 20, cursor: Cursor = None) -> ListPage[PublicMessage]:
    page = _store().approved_messages(limit, _start(cursor, "messages"))
    return ListPage[PublicMessage](items=[logic.public_message(i) for i in page.items],
                                   next_cursor=_next(page.last_key, "messages"))


@app.get("/admin/messages", summary="Messages by status, for organisers",
         responses=documented(200, ListPage[AdminMessage], "A page of the queue", 400))
def admin_messages(
    status: Annotated[MessageStatus, Query(description="Which queue")] = "pending",
    limit: Limit = 20,
    cursor: Cursor = None,
) -> ListPage[AdminMessage]:
    organiser(app)
    scope = f"admin-messages:{status}"
    page = _store().messages_by_status(status, limit, _start(cursor, scope))
    return ListPage[AdminMessage](items=[logic.admin_message(i) for i in page.items],
                                  next_cursor=_next(page.last_key, scope))


@app.post("/admin/messages/<message_id>/decision", summary="Approve or reject a message",
          responses=documented(200, AdminMessage, "The message as decided", 404, 409, 413, 422))
def decide_message(message_id: Annotated[ObjectId, Path()], body: DecisionIn) -> AdminMessage:
    actor = organiser(app)
    change = logic.transition(body)
    decided = _store().decide_message(message_id, change, actor=actor, now=utc_now())
    logger.info("message decided", message_id=message_id, status=change.to)
    return logic.admin_message(decided)


# -- people's data -----------------------------------------------------------------------------
@app.post("/admin/erasure", summary="Erase everything held about one email",
          responses=documented(200, ErasureResult, "Counts of what was erased", 413, 422))
def erase(body: ErasureIn) -> ErasureResult:
    actor = organiser(app)
    config = _config()
    eraser = Eraser(_table(), client("s3"), config.media_bucket)  # files go by the outbox
    erased = eraser.erase(person_id(config, body.email), actor=actor, now=utc_now())
    return ErasureResult(erased=erased)


@app.get("/admin/signups/export", summary="CSV of confirmed, subscribed sign-ups",
         responses={200: {"description": "CSV with a header row",
                          "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_signups() -> Response[str]:
    organiser(app)
    rows = sorted(_store().confirmed_signups(), key=lambda i: str(i.get("confirmed_at")))
    logger.info("signups exported", rows=len(rows))
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=logic.export_csv(rows),
        headers={"Content-Disposition": 'attachment; filename="signups.csv"',
                 "Cache-Control": "no-store"},
    )


@app.get("/admin/messages/export", summary="CSV of the published messages to government",
         responses={200: {"description": "CSV with a header row (message, name, role, "
                                         "published_at), in the order they were published",
                          "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_messages() -> Response[str]:
    organiser(app)
    items = _store().every_approved_message()
    logger.info("messages exported", rows=len(items))
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=logic.messages_csv(items),
        headers={"Content-Disposition": 'attachment; filename="messages-to-government.csv"',
                 "Cache-Control": "no-store"},
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
