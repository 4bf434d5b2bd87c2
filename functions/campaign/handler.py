"""Campaign API: free event packs for schools (availability, requests, and for organisers the
list, the dispatch CSV and "mark dispatched"), and the editions' live numbers.

Every route is one domain call over `ports()` (assembled once per cold start); a request also
counts against its client's write limit. Refusals become problem+json in `shared.http`.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions.campaign import logic, stats
from functions.campaign.models import AdminPack, Availability, PackIn, PackRequested
from functions.campaign.settings import CampaignSettings, settings
from functions.campaign.store import PackStore
from shared.assemble import assembled
from shared.dynamo import Table
from shared.edition_query import EditionParam, chosen, current_edition
from shared.http import (
    Cursor,
    Cursors,
    Limit,
    ListPage,
    WriteLimit,
    create_app,
    csv_documented,
    csv_response,
    documented,
    organiser,
    organiser_page,
)
from shared.observability import logger
from shared.people import person_id, retention_ttl
from shared.pseudonym import subkey
from shared.secret import server_secret
from shared.types import ObjectId, utc_now

app = create_app()


def _build(config: CampaignSettings) -> logic.Ports:
    table = Table(config.table_name)
    return logic.Ports(
        store=PackStore(table),
        cursors=Cursors(config.table_name),
        writes=WriteLimit(table, config, config.writes_per_ip_per_hour),
        packs=logic.PackSettings.of(
            edition=current_edition(config),  # an edition is named by its year
            stock=config.pack_stock,
            opens=config.packs_open,
            closes=config.packs_close or config.event_end,  # no packs promised after the week
            tz=config.event_tz,
            site_url=config.site_url,
        ),
        person=partial(person_id, config),
        pack_secret=lambda: subkey(server_secret(config.table_name), "pack"),
        retention_ttl=retention_ttl(config),
        table=table,
    )


ports = assembled(settings, _build)  # one bundle per cold start


# -- editions and live numbers ------------------------------------------------------------------
@app.get(
    "/editions", summary="Every edition (one year's week): newest first, the current one marked"
)
def list_editions() -> stats.EditionList:
    config = settings()
    return stats.list_editions(
        ports().table,
        current=current_edition(config),
        start=config.event_start,
        end=config.event_end,
    )


@app.get(
    "/stats",
    summary="An edition's live numbers: approved photos, schools, confirmed "
    "pledges, published messages (default: the current edition)",
    responses=documented(200, stats.Stats, "The numbers", 400, 422),
)
def get_stats(edition: EditionParam = None) -> stats.Stats:
    return stats.stats(ports().table, chosen(settings(), edition))


@app.get("/packs/availability", summary="Whether a free event pack can be requested now")
def pack_availability() -> Availability:
    p = ports()
    return logic.availability(p.store, p.packs, utc_now())


@app.post(
    "/packs",
    summary="Request a free event pack for a school (one per school)",
    responses={
        **documented(
            202, PackRequested, "Requested: a confirmation email goes out", 400, 409, 413, 422, 429
        ),
        200: {
            "description": "This school (same name and postcode) has asked already: "
            "nothing changed, no email",
            "content": {"application/json": {"model": PackRequested}},
        },
    },
)
def request_pack(body: PackIn) -> Response[PackRequested]:
    p = ports()
    p.writes.count(app, utc_now())
    claim = logic.request_pack(
        p.store,
        body,
        person=p.person(body.email),
        secret=p.pack_secret(),
        settings=p.packs,
        now=utc_now(),
        ttl=p.retention_ttl,
    )
    logger.info("pack request", outcome=claim.value)
    new = claim is logic.Claim.REQUESTED
    return Response(
        status_code=202 if new else 200,
        content_type="application/json",
        body=PackRequested(status="requested" if new else "already_requested"),
    )


# -- organisers --------------------------------------------------------------------------------
@app.get(
    "/admin/packs",
    summary="Pack requests of this edition, newest first",
    responses=documented(200, ListPage[AdminPack], "A page of requests", 400),
)
def admin_packs(limit: Limit = 20, cursor: Cursor = None) -> ListPage[AdminPack]:
    return organiser_page(
        app, ListPage[AdminPack], lambda: logic.admin_packs(ports(), limit, cursor)
    )


@app.get(
    "/admin/packs/export",
    summary="CSV of this edition's pack requests, for the dispatch",
    responses=csv_documented("CSV with a header row, oldest request first"),
)
def export_packs() -> Response[str]:
    organiser(app)
    p = ports()
    rows = logic.export_rows(p.store.every(p.packs.edition))
    logger.info("packs exported", rows=len(rows))
    return csv_response(logic.EXPORT_COLUMNS, rows, filename="packs.csv")


@app.post(
    "/admin/packs/<pack_id>/dispatched",
    summary="Mark a pack as posted (idempotent)",
    responses=documented(200, AdminPack, "The pack, with when it was first marked", 404),
)
def pack_dispatched(pack_id: Annotated[ObjectId, Path()]) -> AdminPack:
    actor = organiser(app)
    record = ports().store.mark_dispatched(pack_id, actor=actor, now=utc_now())
    logger.info("pack dispatched", pack_id=pack_id)
    return logic.admin_pack(record)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
