"""SQS queues (with dead-letter queues) and SNS topics feeding them, from the wiring."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import DLQ_RETENTION_DAYS
from infra.constructs import declared
from infra.wiring import Queue, Topic


class Messaging(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        queues: tuple[Queue, ...],
        topics: tuple[Topic, ...],
    ) -> None:
        super().__init__(scope, construct_id)
        self.queues: dict[str, sqs.Queue] = {}  # by wiring name, dead-letter queues included
        self.dead_letter_queues: dict[str, sqs.Queue] = {}
        self.topics: dict[str, sns.Topic] = {}
        for spec in queues:
            self._queue(spec)
        for topic_spec in topics:
            topic = sns.Topic(self, f"Topic-{topic_spec.name}", enforce_ssl=True)
            topic.add_subscription(subscriptions.SqsSubscription(self.queue(topic_spec.queue)))
            self.topics[topic_spec.name] = topic

    def _queue(self, spec: Queue) -> None:
        dead_letter: sqs.DeadLetterQueue | None = None
        if spec.dead_letter:
            dlq = sqs.Queue(
                self,
                f"Queue-{spec.dlq_name}",
                retention_period=Duration.days(DLQ_RETENTION_DAYS),
                encryption=sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
            )
            self.queues[spec.dlq_name] = dlq
            self.dead_letter_queues[spec.dlq_name] = dlq
            dead_letter = sqs.DeadLetterQueue(queue=dlq, max_receive_count=spec.max_receive_count)
        self.queues[spec.name] = sqs.Queue(
            self,
            f"Queue-{spec.name}",
            visibility_timeout=Duration.seconds(spec.visibility_timeout_s),
            encryption=sqs.QueueEncryption.SQS_MANAGED,
            enforce_ssl=True,
            dead_letter_queue=dead_letter,
        )

    def queue(self, name: str) -> sqs.Queue:
        return declared(self.queues, "queue", name)
