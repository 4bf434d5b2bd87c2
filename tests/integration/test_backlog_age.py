"""The moderation backlog age (shared.photos.oldest_waiting) and the hourly run's metric."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.metrics import MetricUnit

from shared.observability import metrics
from shared.photos import Status, listing_keys, oldest_waiting
from shared.types import iso
from tests.integration.test_draw_support import table
from tests.settings import AllSettings

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
HOUR = 3600


def queue(
    photo_id: str,
    status: Status,
    *,
    uploaded_h_ago: float,
    flagged: bool = False,
    **fields: Any,
) -> None:
    """A photo in an organiser queue, with the index keys shared.photos gives that state."""
    item = {
        "pk": f"PHOTO#{photo_id}",
        "sk": "PHOTO",
        "photo_id": photo_id,
        "day": "2027-03-10",
        "status": status.value,
        "uploaded_at": iso(NOW - timedelta(hours=uploaded_h_ago)),
        **fields,
    }
    keys, _ = listing_keys(item, status, flagged=flagged)
    table().put({**item, **keys})


def test_no_waiting_photo_means_age_zero(aws_env):
    # Given only decided photos
    queue("ok", Status.APPROVED, uploaded_h_ago=50)
    queue("no", Status.REJECTED, uploaded_h_ago=40)
    # When / Then
    assert oldest_waiting(table(), NOW) == 0


def test_the_oldest_pending_photo_counts_even_behind_newer_flagged_ones(aws_env):
    # Given a flagged photo (rank 0, listed first) newer than an unflagged one (rank 1)
    queue("flagged", Status.PENDING_MODERATION, uploaded_h_ago=1, flagged=True)
    queue("old", Status.PENDING_MODERATION, uploaded_h_ago=7)
    queue("newer", Status.PENDING_MODERATION, uploaded_h_ago=2)
    # When / Then: the unflagged 7-hour-old photo is the oldest
    assert oldest_waiting(table(), NOW) == 7 * HOUR


def test_the_oldest_flagged_photo_counts_when_it_is_older(aws_env):
    queue("flagged-old", Status.PENDING_MODERATION, uploaded_h_ago=9, flagged=True)
    queue("plain", Status.PENDING_MODERATION, uploaded_h_ago=3)
    assert oldest_waiting(table(), NOW) == 9 * HOUR


def test_a_reported_photo_waits_since_its_report_not_its_upload(aws_env):
    # Given a photo uploaded three days ago, approved yesterday, reported twice since
    queue(
        "reported",
        Status.REPORTED,
        uploaded_h_ago=72,
        decided_at=iso(NOW - timedelta(hours=24)),
        reports=[
            {"reason": "x", "at": iso(NOW - timedelta(hours=30))},  # before the decision
            {"reason": "y", "at": iso(NOW - timedelta(hours=5))},
            {"reason": "z", "at": iso(NOW - timedelta(hours=1))},
        ],
    )
    # When / Then: it has waited since the first report after its last decision
    assert oldest_waiting(table(), NOW) == 5 * HOUR


def test_a_photo_uploaded_in_the_future_counts_as_zero(aws_env):
    queue("clock-skew", Status.PENDING_MODERATION, uploaded_h_ago=-0.01)
    assert oldest_waiting(table(), NOW) == 0


def test_the_hourly_run_emits_the_backlog_age_metric(
    aws_env, lambda_context, monkeypatch: pytest.MonkeyPatch
):
    # Given a photo waiting 4 hours, and the hourly run at NOW
    queue("waiting", Status.PENDING_MODERATION, uploaded_h_ago=4)
    from functions.prizedraw import scheduled

    monkeypatch.setattr(scheduled, "utc_now", lambda: NOW)
    emitted: list[tuple[str, Any, float]] = []
    monkeypatch.setattr(
        metrics,
        "add_metric",
        lambda name, unit, value, **_: emitted.append((name, unit, value)),
    )
    # When the schedule fires (nothing else to emit: no draw is due)
    scheduled.lambda_handler({"source": "schedule", "schedule": "draw-hourly"}, lambda_context)
    # Then the age of the oldest waiting photo is reported, in seconds
    assert ("ModerationBacklogAgeSeconds", MetricUnit.Seconds, 4 * HOUR) in emitted


def test_the_days_awaiting_count_spans_every_shard_and_forgets_decided_photos(aws_env):
    from shared.config import load
    from shared.dynamo import Table
    from shared.photos import AWAITING_SHARDS, awaiting_key, awaiting_moderation

    table = Table(load(AllSettings).table_name)
    # Given 40 photos of one day waiting, spread by id over the index's shards
    ids = [f"p{n:03d}" for n in range(40)]
    for photo_id in ids:
        table.put(
            {
                "pk": f"PHOTO#{photo_id}",
                "sk": "PHOTO",
                "photo_id": photo_id,
                "gsi4pk": awaiting_key("2027-03-09", photo_id),
                "gsi4sk": photo_id,
            }
        )
    assert len({awaiting_key("2027-03-09", i) for i in ids}) == AWAITING_SHARDS
    # Then all are counted, and a decided one (off the index) no longer is
    assert awaiting_moderation(table, "2027-03-09") == 40
    table.update("PHOTO#p000", "PHOTO", "REMOVE gsi4pk, gsi4sk")
    assert awaiting_moderation(table, "2027-03-09") == 39
    assert awaiting_moderation(table, "2027-03-10") == 0
