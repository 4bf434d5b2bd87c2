"""The tests run the configuration Lambda runs: INFO logs, metrics on, deployed settings.

A route once answered 500 to every real user while hundreds of tests passed, because the tests
lowered the log level and so never formatted the log line that broke it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pytest

from tests.events import http_event


def test_functions_log_at_info_and_publish_metrics_as_deployed() -> None:
    from shared.observability import logger

    assert logger.log_level == logging.INFO
    for setting in ("POWERTOOLS_LOG_LEVEL", "AWS_LAMBDA_LOG_LEVEL", "POWERTOOLS_METRICS_DISABLED"):
        assert setting not in os.environ


@pytest.mark.usefixtures("aws_env")
def test_a_valid_pledge_is_answered_without_a_5xx_at_info(
    lambda_context: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Given the pledge route, logging at INFO as in Lambda
    from functions.pledge.handler import lambda_handler

    pledge = {
        "name": "Ada Lovelace",
        "email": "ada@school.test",
        "role": "teacher",
        "organisation": "Hill School",
        "show_on_wall": True,
    }

    # When a supporter pledges
    response = lambda_handler(http_event("POST", "/pledges", body=pledge), lambda_context)

    # Then the answer is a success, and the INFO lines were written (so they were formatted)
    assert 200 <= response["statusCode"] < 300, response
    info = [record for record in caplog.records if record.levelno == logging.INFO]
    assert info
    assert all(
        "ada@school.test" not in record.getMessage() + str(vars(record))
        for record in caplog.records
    )  # and the address stays out of the logs
