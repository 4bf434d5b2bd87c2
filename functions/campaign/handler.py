"""Campaign API: free event packs for schools (availability, requests, and for organisers the
list, the dispatch CSV and "mark dispatched").

Thin: each route parses, checks limits, makes one domain call and maps the result; errors
become problem+json in `shared.http`.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.campaign import logic, stats
from functions.campaign.models import AdminPack, Availability, PackIn, PackRequested
from functions.campaign.store import PackStore
from shared.config import CampaignConfig, load
from shared.dynamo import Item, Table, decode_cursor, encode_cursor
from shared.edition_query import EditionParam, chosen, current_edition
from shared.http import Cursor, Limit, ListPage, create_app, documented, organiser, source_ip
from shared.observability import logger
from shared.people import person_id, retention_ttl
from shared.pseudonym import subkey
from shared.ratelimit import hit, ip_key
from shared.secret import cursor_key, server_secret
from shared.types import ObjectId, utc_now

app = create_app()

HOUR_S = 3600


def _config() -> CampaignConfig:
    config: CampaignConfig = load(CampaignConfig)  # validated once per cold start (load caches)
    return config


def _table() -> Table:
    return Table(_config().table_name)


def _store() -> PackStore:
    return PackStore(_table())


def _settings() -> logic.PackSettings:
    config = _config()
    return logic.PackSettings.of(
        edition=str(config.event_start.year),  # an edition is named by its year
        stock=config.pack_stock, opens=config.packs_open,
        closes=config.packs_close or config.event_end,  # no packs promised after the week
        tz=config.event_tz, site_url=config.site_url,
    )


def _scope() -> str:
    return f"admin-packs:{_settings().edition}"


# -- editions and live numbers ------------------------------------------------------------------
@app.get("/editions", summary="Every edition (one year's week): newest first, the current one "
                              "marked")
def list_editions() -> stats.EditionList:
    config = _config()
    return stats.list_editions(_table(), current=current_edition(config),
                               start=config.event_start, end=config.event_end)


@app.get("/stats", summary="An edition's live numbers: approved photos, schools, confirmed "
                           "pledges, published messages (default: the current edition)",
         responses=documented(200, stats.Stats, "The numbers", 400, 422))
def get_stats(edition: EditionParam = None) -> stats.Stats:
    config = _config()
    return stats.stats(_table(), chosen(config, edition))


@app.get("/packs/availability", summary="Whether a free event pack can be requested now")
def pack_availability() -> Availability:
    return logic.availability(_store(), _settings(), utc_now())


@app.post("/packs", summary="Request a free event pack for a school (one per school)",
          responses={
              **documented(202, PackRequested, "Requested: a confirmation email goes out", 400,
                           409, 413, 422, 429),
              200: {"description": "This school (same name and postcode) has asked already: "
                                   "nothing changed, no email",
                    "content": {"application/json": {"model": PackRequested}}},
          })
def request_pack(body: PackIn) -> Response[PackRequested]:
    config = _config()
    table = _table()
    hit(table, ip_key(config, source_ip(app)), config.writes_per_ip_per_hour, HOUR_S, utc_now())
    claim = logic.request_pack(
        PackStore(table), body, person=person_id(config, body.email),
        secret=subkey(server_secret(config.table_name), "pack"), settings=_settings(),
        now=utc_now(), ttl=retention_ttl(config),
    )
    logger.info("pack request", outcome=claim.value)
    new = claim is logic.Claim.REQUESTED
    return Response(status_code=202 if new else 200, content_type="application/json",
                    body=PackRequested(status="requested" if new else "already_requested"))


# -- organisers --------------------------------------------------------------------------------
def _start(cursor: str | None) -> Item | None:
    return decode_cursor(cursor, secret=cursor_key(_config().table_name), scope=_scope())


def _next(last: Item | None) -> str | None:
    return encode_cursor(last, secret=cursor_key(_config().table_name), scope=_scope())


@app.get("/admin/packs", summary="Pack requests of this edition, newest first",
         responses=documented(200, ListPage[AdminPack], "A page of requests", 400))
def admin_packs(limit: Limit = 20, cursor: Cursor = None) -> ListPage[AdminPack]:
    organiser(app)
    page = _store().page(_settings().edition, limit, _start(cursor))
    return ListPage[AdminPack](items=[logic.admin_pack(i) for i in page.items],
                               next_cursor=_next(page.last_key))


@app.get("/admin/packs/export", summary="CSV of this edition's pack requests, for the dispatch",
         responses={200: {"description": "CSV with a header row, oldest request first",
                          "content": {"text/csv": {"schema": {"type": "string"}}}}})
def export_packs() -> Response[str]:
    organiser(app)
    items = _store().every(_settings().edition)
    logger.info("packs exported", rows=len(items))
    return Response(
        status_code=200,
        content_type="text/csv; charset=utf-8",
        body=logic.export_csv(items),
        headers={"Content-Disposition": 'attachment; filename="packs.csv"',
                 "Cache-Control": "no-store"},
    )


@app.post("/admin/packs/<pack_id>/dispatched", summary="Mark a pack as posted (idempotent)",
          responses=documented(200, AdminPack, "The pack, with when it was first marked", 404))
def pack_dispatched(pack_id: Annotated[ObjectId, Path()]) -> AdminPack:
    actor = organiser(app)
    item = _store().mark_dispatched(pack_id, actor=actor, now=utc_now())
    logger.info("pack dispatched", pack_id=pack_id)
    return logic.admin_pack(item)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
