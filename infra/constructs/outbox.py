"""The outbox's carrier: the table's stream feeding its consumer (shared/outbox.py).

One event source mapping per `StreamSource` in the wiring: filtered to new items of its key
prefix (Lambda drops everything else before invoking, so the consumer does not run, and is not
billed, for the table's other writes), partial batch responses, bisection on error, bounded
retries and record age, then the failing batch's stream position to a dead-letter queue whose
alarm calls ops. Lambda's reads of the stream are free; only the invocations are billed.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constructs.functions import batching_window
from infra.constructs.nag import acknowledge
from infra.wiring import Function


class Outbox(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        table: dynamodb.Table,
        specs: tuple[Function, ...],
        functions: dict[str, lambda_.Function],
        queues: dict[str, sqs.Queue],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        for spec in specs:
            for source in spec.stream_sources:
                dead_letters = queues[source.dead_letter]
                self.dead_letter_queues[source.dead_letter] = dead_letters
                acknowledge(
                    dead_letters,
                    "SQS3",
                    "This queue is the stream mapping's on-failure destination: it is the "
                    "dead-letter queue (of an event source mapping, which cdk-nag cannot see).",
                )
                consumer = functions[spec.name]
                if consumer.role is not None:
                    acknowledge(
                        consumer.role,
                        "IAM5",
                        "dynamodb:ListStreams (granted with the stream mapping's read access) "
                        "supports no resource-level permissions.",
                        "Resource::*",
                    )
                consumer.add_event_source(
                    sources.DynamoEventSource(
                        table,
                        # From the oldest record: nothing written before the mapping existed
                        # is lost.
                        starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                        batch_size=source.batch_size,
                        max_batching_window=batching_window(source.max_batching_window_s),
                        bisect_batch_on_error=True,
                        retry_attempts=source.retry_attempts,
                        max_record_age=Duration.seconds(source.max_record_age_s),
                        report_batch_item_failures=True,
                        on_failure=sources.SqsDlq(dead_letters),
                        filters=[lambda_.FilterCriteria.filter(source.filter_pattern())],
                    )
                )
