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


def batching_window(seconds: int) -> Duration | None:
    """An event source's batching window: none at 0 (Lambda's default, invoke at once)."""
    return Duration.seconds(seconds) if seconds else None


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
    # What the pre-screen setting calls (constants.PRESCREEN_ACTIONS): nothing more is granted.
    rekognition_actions: tuple[str, ...] = ()


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
                    max_batching_window=batching_window(source.max_batching_window_s),
                    report_batch_item_failures=True,
                    # Caps the consumer without reserving concurrency (works on any quota).
                    max_concurrency=source.max_concurrency,
                    enabled=res.queue_polling,
                )
            )
        return fn

    def _grant(self, spec: Function, fn: lambda_.Function, role: iam.Role, res: Resources) -> None:
        if spec.table is not None:
            self._grant_keys(spec, role, res)
        for name, access, prefix in spec.buckets:
            bucket = res.buckets.get(name)
            if bucket is None:
                raise KeyError(f"{spec.name} uses bucket {name!r}, which is not declared")
            if access == "list":
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["s3:ListBucket"],
                        resources=[bucket.bucket_arn],
                        conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                    )
                )
                continue
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=[_S3_OBJECT_ACTIONS[access]],
                    resources=[bucket.arn_for_objects(f"{prefix}*")],
                )
            )
            acknowledge(
                role,
                "IAM5",
                f"{spec.name} works on the objects under {prefix} of the {name} bucket, as "
                "declared for it in the wiring; objects are named by id, so the prefix's /* ARN.",
                f"Resource::<{logical_id(bucket)}.Arn>/{prefix}*",
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
        if spec.uses_rekognition and res.rekognition_actions:
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(res.rekognition_actions), resources=["*"])
            )
            acknowledge(
                role,
                "IAM5",
                "Rekognition DetectModerationLabels/DetectFaces support no resource-level "
                "permissions, so they need Resource *.",
                "Resource::*",
            )

    def _grant_keys(self, spec: Function, role: iam.Role, res: Resources) -> None:
        """The table's partitions named in the wiring only (`dynamodb:LeadingKeys`), no Scan."""
        assert spec.table is not None
        table_arn = res.table.table_arn
        for actions, resources, patterns in (
            (_DYNAMODB_READ, [table_arn], spec.table.read),
            (("dynamodb:Query",), [table_arn, f"{table_arn}/index/*"], spec.table.read),
            (_DYNAMODB_WRITE, [table_arn], spec.table.write),
        ):
            if patterns:
                role.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=list(actions),
                        resources=resources,
                        conditions={
                            "ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(patterns)}
                        },
                    )
                )
        acknowledge(
            role,
            "IAM5",
            "Querying the single table's GSIs needs its index/* ARN; the LeadingKeys condition "
            "limits the Query to the index partitions the wiring names.",
            f"Resource::<{logical_id(res.table)}.Arn>/index/*",
        )


_DYNAMODB_READ = ("dynamodb:GetItem", "dynamodb:ConditionCheckItem")  # items: the table only
_DYNAMODB_WRITE = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
_S3_OBJECT_ACTIONS = {"read": "s3:GetObject", "write": "s3:PutObject", "delete": "s3:DeleteObject"}


def logical_id(resource: IConstruct) -> str:
    """CloudFormation logical id of an L2's default child, as cdk-nag names it in findings."""
    child = resource.node.default_child
    if not isinstance(child, CfnElement):
        raise TypeError(f"{resource.node.path} has no CloudFormation resource")
    return Stack.of(resource).get_logical_id(child)
