"""One Lambda function per wiring entry: own role, own log group, least-privilege grants."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import CfnElement, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sqs as sqs
from constructs import Construct, IConstruct

from infra.bundling import function_code
from infra.constants import LOG_RETENTION_CHOICES
from infra.constructs.email import Email
from infra.constructs.nag import acknowledge
from infra.wiring import Function

# aws_logs.RetentionDays is a string enum in Python; map the CloudWatch day counts onto it.
_RETENTION = dict(
    zip(
        LOG_RETENTION_CHOICES,
        (
            logs.RetentionDays.ONE_DAY,
            logs.RetentionDays.THREE_DAYS,
            logs.RetentionDays.FIVE_DAYS,
            logs.RetentionDays.ONE_WEEK,
            logs.RetentionDays.TWO_WEEKS,
            logs.RetentionDays.ONE_MONTH,
            logs.RetentionDays.TWO_MONTHS,
            logs.RetentionDays.THREE_MONTHS,
            logs.RetentionDays.FOUR_MONTHS,
            logs.RetentionDays.FIVE_MONTHS,
            logs.RetentionDays.SIX_MONTHS,
            logs.RetentionDays.ONE_YEAR,
            logs.RetentionDays.THIRTEEN_MONTHS,
            logs.RetentionDays.EIGHTEEN_MONTHS,
            logs.RetentionDays.TWO_YEARS,
            logs.RetentionDays.THREE_YEARS,
            logs.RetentionDays.FIVE_YEARS,
            logs.RetentionDays.SIX_YEARS,
            logs.RetentionDays.SEVEN_YEARS,
            logs.RetentionDays.EIGHT_YEARS,
            logs.RetentionDays.NINE_YEARS,
            logs.RetentionDays.TEN_YEARS,
        ),
        strict=True,
    )
)


def log_retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]


@dataclass(frozen=True)
class Resources:
    """What the functions may be granted access to (built by the other constructs)."""

    table: dynamodb.ITable
    buckets: dict[str, s3.Bucket]
    queues: dict[str, sqs.Queue]
    email: Email
    environment: dict[str, str]
    log_retention_days: int
    queue_polling: bool
    cdn_distribution_arn: str


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: tuple[Function, ...],
        resources: Resources,
    ) -> None:
        super().__init__(scope, construct_id)
        self.functions: dict[str, lambda_.Function] = {}
        for spec in functions:
            self.functions[spec.name] = self._function(spec, resources)

    def function(self, name: str) -> lambda_.Function:
        return self.functions[name]

    def _function(self, spec: Function, res: Resources) -> lambda_.Function:
        scope = Construct(self, spec.name)
        role = iam.Role(
            scope,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"techognition {spec.name}",
        )
        log_group = logs.LogGroup(
            scope,
            "Logs",
            retention=log_retention(res.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        fn = lambda_.Function(
            scope,
            "Function",
            description=f"techognition {spec.name}",
            runtime=lambda_.Runtime.PYTHON_3_13,
            architecture=lambda_.Architecture.ARM_64,
            handler=spec.handler,
            code=function_code(spec),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            # None unless the wiring asks (infra/quotas.py: a new account cannot reserve any).
            reserved_concurrent_executions=spec.reserved_concurrency,
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            environment=res.environment,
        )
        # Own role without the AWSLambdaBasicExecutionRole managed policy: logs to its group only.
        log_group.grant_write(role)
        # Tracing's policy is attached by the function (flag createNewPoliciesWithAddToRolePolicy).
        acknowledge(
            fn,
            "IAM5",
            "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions.",
            "Resource::*",
        )
        acknowledge(
            fn,
            "L1",
            "Pinned to python3.13: the code and the arm64 wheels bundled for it are built and "
            "tested for 3.13.",
        )
        self._grant(spec, fn, role, res)
        for source in spec.queue_sources:
            queue = res.queues.get(source.queue)
            if queue is None:
                raise KeyError(f"{spec.name} reads queue {source.queue!r}, which is not declared")
            fn.add_event_source(
                sources.SqsEventSource(
                    queue,
                    batch_size=source.batch_size,
                    max_batching_window=(
                        Duration.seconds(source.max_batching_window_s)
                        if source.max_batching_window_s
                        else None
                    ),
                    report_batch_item_failures=True,
                    # Caps the consumer without reserving concurrency (works on any quota).
                    max_concurrency=source.max_concurrency,
                    enabled=res.queue_polling,
                )
            )
        return fn

    def _grant(self, spec: Function, fn: lambda_.Function, role: iam.Role, res: Resources) -> None:
        if spec.table == "read":
            res.table.grant_read_data(fn)
        elif spec.table == "write":
            res.table.grant_read_write_data(fn)
        if spec.table is not None:
            acknowledge(
                role,
                "IAM5",
                "Querying the single table's GSIs needs its index/* ARN (grant_*_data).",
                f"Resource::<{logical_id(res.table)}.Arn>/index/*",
            )
        for name, access in spec.buckets:
            bucket = res.buckets.get(name)
            if bucket is None:
                raise KeyError(f"{spec.name} uses bucket {name!r}, which is not declared")
            if access == "write":
                bucket.grant_read_write(fn)
                bucket.grant_delete(fn)
                actions = [*_S3_READ_ACTIONS, "Action::s3:DeleteObject*", "Action::s3:Abort*"]
            else:
                bucket.grant_read(fn)
                actions = list(_S3_READ_ACTIONS)
            acknowledge(
                role,
                "IAM5",
                f"{spec.name} works on objects of the {name} bucket declared for it in the "
                "wiring; object actions need its /* ARN and CDK's grant_* action groups.",
                *actions,
                f"Resource::<{logical_id(bucket)}.Arn>/*",
            )
        for name in spec.queues_send:
            queue = res.queues.get(name)
            if queue is None:
                raise KeyError(f"{spec.name} sends to queue {name!r}, which is not declared")
            queue.grant_send_messages(fn)
        if spec.sends_email:
            res.email.grant_send(fn)
        if spec.invalidates_cdn:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["cloudfront:CreateInvalidation"],
                    resources=[res.cdn_distribution_arn],
                )
            )
        if spec.uses_rekognition:
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["rekognition:DetectModerationLabels", "rekognition:DetectFaces"],
                    resources=["*"],
                )
            )
            acknowledge(
                role,
                "IAM5",
                "Rekognition DetectModerationLabels/DetectFaces support no resource-level "
                "permissions, so they need Resource *.",
                "Resource::*",
            )


_S3_READ_ACTIONS = ("Action::s3:GetObject*", "Action::s3:GetBucket*", "Action::s3:List*")


def logical_id(resource: IConstruct) -> str:
    """CloudFormation logical id of an L2's default child, as cdk-nag names it in findings."""
    child = resource.node.default_child
    if not isinstance(child, CfnElement):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource")
    return Stack.of(resource).get_logical_id(child)
