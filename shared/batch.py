"""The Lambda handler of a batch event source (SQS, a DynamoDB stream): each record goes to
`record_handler`, and the ones that fail are reported back (partial batch response) for the
source to retry alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from shared.observability import logger

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def batch_handler(processor: BatchProcessor, record_handler: Callable[[Any], Any]) -> LambdaHandler:
    @logger.inject_lambda_context
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return lambda_handler
