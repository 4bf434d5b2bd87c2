"""Upload API: the technicians' front door (reservations, statuses, the public gallery, reports).

Thin: each route parses, makes one domain call and maps the result; errors become problem+json
in `shared.http`. No Pillow here: images are the processor's business (cold start).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from functions.upload import logic, share
from functions.upload.models import (
    GalleryPhoto,
    ReportAccepted,
    ReportIn,
    UploadCreated,
    UploadIn,
    UploadState,
)
from functions.upload.settings import UploadApiSettings, api_settings
from shared.assemble import assembled
from shared.dynamo import Table
from shared.edition_query import EditionParam, chosen
from shared.errors import NotFound
from shared.http import Cursor, Limit, ListPage, create_app, documented, source_ip
from shared.media import S3Media
from shared.observability import logger
from shared.types import utc_now

app = create_app()

_SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


class Health(BaseModel):
    status: str


def _build(settings: UploadApiSettings) -> logic.Ports:
    """No boto3 client is made here: the adapters make theirs when a request needs one."""
    return logic.Ports(
        table=Table(settings.table_name), media=S3Media(settings.media_bucket), settings=settings
    )


_ports = assembled(api_settings, _build)  # one bundle per cold start


@cache
def _spec() -> str:
    return _SPEC.read_text()


@app.get("/health", summary="Liveness check")
def health() -> Health:
    return Health(status="ok")


@app.get(
    "/openapi.json",
    summary="This API's OpenAPI 3.1 description",
    responses={
        200: {
            "description": "The OpenAPI 3.1 document",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi() -> Response[str]:
    return Response(status_code=200, content_type="application/json", body=_spec())


# -- uploads -----------------------------------------------------------------------------------
@app.post(
    "/uploads",
    summary="Reserve a photo upload: returns a single-use S3 POST form",
    responses=documented(
        201, UploadCreated, "Reserved: POST the file to upload.url", 400, 413, 422, 429
    ),
)
def create_upload(body: UploadIn) -> Response[UploadCreated]:
    ports = _ports()
    created = logic.reserve(
        ports.table, ports.media, ports.settings, body, ip=source_ip(app), now=utc_now()
    )
    return Response(status_code=201, content_type="application/json", body=created)


@app.get(
    "/uploads/<photo_id>",
    summary="Where an upload is: its status, and why if it failed",
    responses=documented(200, UploadState, "The upload's status", 404),
)
def get_upload(photo_id: str) -> UploadState:
    return logic.upload_state(_ports().table, photo_id)


# -- the gallery -------------------------------------------------------------------------------
@app.get(
    "/photos",
    summary="Latest photos: approved, newest upload first (an edition's; default: the current one)",
    responses=documented(200, ListPage[GalleryPhoto], "A page of the gallery", 400),
)
def list_photos(
    limit: Limit = 20, cursor: Cursor = None, edition: EditionParam = None
) -> ListPage[GalleryPhoto]:
    ports = _ports()
    return logic.gallery(
        ports.table,
        ports.settings,
        limit=limit,
        cursor=cursor,
        edition=chosen(ports.settings, edition),
    )


@app.get(
    "/photos/<photo_id>",
    summary="One approved photo",
    responses=documented(200, GalleryPhoto, "The photo", 404),
)
def get_photo(photo_id: str) -> GalleryPhoto:
    ports = _ports()
    return logic.gallery_photo(ports.table, ports.settings, photo_id)


@app.post(
    "/photos/<photo_id>/reports",
    summary="Report a photo: it leaves the gallery until an organiser decides (once an "
    "organiser has approved it after a report, it stays and is flagged to them)",
    responses=documented(202, ReportAccepted, "Received", 400, 404, 413, 422, 429),
)
def report_photo(photo_id: str, body: ReportIn) -> Response[ReportAccepted]:
    ports = _ports()
    logic.report(
        ports.table, ports.settings, photo_id, body.reason, ip=source_ip(app), now=utc_now()
    )
    return Response(status_code=202, content_type="application/json", body=ReportAccepted())


# -- sharing -----------------------------------------------------------------------------------
def _html(description: str) -> OpenAPIResponse:
    return {
        "description": description,
        "content": {share.CONTENT_TYPE: {"schema": {"type": "string"}}},
    }


@app.get(
    "/p/<photo_id>",
    summary="The share page of one approved photo: HTML with Open Graph and Twitter card "
    "tags, and plain share links (an HTML 404 unless approved)",
    responses={200: _html("The share page"), 404: _html("Not in the gallery")},
)
def share_page(photo_id: str) -> Response[str]:
    ports = _ports()
    config = ports.settings
    try:
        photo = logic.gallery_photo(ports.table, config, photo_id)
    except NotFound:  # a person follows this link: a page, not problem+json
        return Response(
            status_code=404,
            content_type=share.CONTENT_TYPE,
            body=share.not_found_page(),
            headers=share.headers(config.media_base_url),
        )
    return Response(
        status_code=200,
        content_type=share.CONTENT_TYPE,
        body=share.page(photo, site_url=config.site_url),
        headers=share.headers(config.media_base_url),
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
