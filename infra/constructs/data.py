"""The single DynamoDB table (keys and indexes from the wiring)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from infra.constructs.nag import acknowledge
from infra.wiring import TableSpec


class DataTable(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        spec: TableSpec,
        point_in_time_recovery: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)
        string = dynamodb.AttributeType.STRING
        self.table = dynamodb.Table(
            self,
            "Table",
            partition_key=dynamodb.Attribute(name="pk", type=string),
            sort_key=dynamodb.Attribute(name="sk", type=string),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            time_to_live_attribute=spec.ttl_attribute,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=point_in_time_recovery
            ),
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
            # The outbox's carrier (infra/constructs/outbox.py): free to have, and Lambda's
            # reads of it are free too.
            stream=dynamodb.StreamViewType[spec.stream] if spec.stream else None,
        )
        if not point_in_time_recovery:
            acknowledge(
                self.table,
                "DDB3",
                "Point-in-time recovery is on for the event and switched off afterwards by ops "
                "(cdk.json point_in_time_recovery): it is billed per GB-month while the table "
                "only waits for its retention TTL.",
            )
        for index in spec.indexes:
            self.table.add_global_secondary_index(
                index_name=index,
                partition_key=dynamodb.Attribute(name=f"{index}pk", type=string),
                sort_key=dynamodb.Attribute(name=f"{index}sk", type=string),
                projection_type=dynamodb.ProjectionType.ALL,
            )
