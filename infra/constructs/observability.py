"""Alarms (to the ops email) on dead letters, function errors and throttles, API 5xx, the
moderation backlog's age and the age of the oldest effect the outbox still owes; a small
dashboard. Created only while `monitoring` is on (the stack
omits this construct otherwise): alarms and dashboards are billed every month they exist."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import (
    ALARM_PERIOD_MINUTES,
    BACKLOG_ALARM_HOURS,
    BACKLOG_ALARM_PERIODS,
    BACKLOG_METRIC,
    METRICS_NAMESPACE,
    METRICS_SERVICE,
)

OUTBOX_AGE_ALARM_MINUTES = 15


def backlog_age_metric(label: str | None = None) -> cloudwatch.Metric:
    """Seconds the oldest photo has waited for an organiser (prizedraw-nightly, hourly)."""
    return cloudwatch.Metric(
        namespace=METRICS_NAMESPACE,
        metric_name=BACKLOG_METRIC,
        dimensions_map={"service": METRICS_SERVICE},
        statistic="Maximum",
        period=Duration.hours(1),
        label=label,  # none on the alarm's metric (a label turns it into a metric-math alarm)
    )


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ops_email: str,
        functions: dict[str, lambda_.Function],
        dead_letter_queues: dict[str, sqs.Queue],
        http_api: apigw.HttpApi,
        stream_consumers: dict[str, lambda_.Function] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = sns.Topic(self, "Alarms", display_name="techognition alarms", enforce_ssl=True)
        self.topic.add_subscription(subscriptions.EmailSubscription(ops_email))
        action = actions.SnsAction(self.topic)
        period = Duration.minutes(ALARM_PERIOD_MINUTES)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(alarm_id: str, metric: cloudwatch.Metric, description: str) -> None:
            created = metric.create_alarm(
                self,
                alarm_id,
                alarm_description=description,
                threshold=1,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            created.add_alarm_action(action)
            self.alarms.append(created)

        for name, dlq in dead_letter_queues.items():
            alarm(
                f"{name}-Messages",
                dlq.metric_approximate_number_of_messages_visible(
                    period=period, statistic="Maximum"
                ),
                f"Messages are waiting in the dead-letter queue {name}.",
            )
        # CloudWatch bills each metric an alarm reads ($0.10 per alarm metric), so one pair per
        # function (or a SUM expression over them) costs per function. The AWS/Lambda metrics
        # without dimensions aggregate every function in the account and region: two alarms
        # cover all of ours, and also any other function there (the stack is meant to have an
        # account or region of its own). The dashboard shows which function it was.
        alarm(
            "Lambda-Errors",
            lambda_.Function.metric_all_errors(period=period, statistic="Sum"),
            "A Lambda function in this account and region raised errors (see the dashboard's "
            "'Function errors' for which).",
        )
        alarm(
            "Lambda-Throttles",
            lambda_.Function.metric_all_throttles(period=period, statistic="Sum"),
            "A Lambda function in this account and region was throttled (see the dashboard's "
            "'Function throttles' for which).",
        )
        alarm("Api-5xx", http_api.metric_server_error(period=period), "The HTTP API returned 5xx.")

        # The outbox: how long the oldest record its consumer has not got past has waited. Effects
        # normally go within seconds; a record failing over and over holds its shard back.
        for name, fn in (stream_consumers or {}).items():
            age = fn.metric("IteratorAge", period=period, statistic="Maximum").create_alarm(
                self,
                f"{name}-IteratorAge",
                alarm_description=(
                    f"{name} has owed an effect (an email, a file deletion, a CDN "
                    f"invalidation) for more than {OUTBOX_AGE_ALARM_MINUTES} minutes: see "
                    "docs/OPERATIONS.md, 'Outbox'."
                ),
                threshold=OUTBOX_AGE_ALARM_MINUTES * 60_000,  # IteratorAge is in milliseconds
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            age.add_alarm_action(action)
            self.alarms.append(age)

        backlog = backlog_age_metric().create_alarm(
            self,
            "ModerationBacklogAge",
            alarm_description=(
                f"A photo has waited more than {BACKLOG_ALARM_HOURS} hours for an organiser "
                "(pending moderation or reported): ask organisers to work the queue."
            ),
            threshold=BACKLOG_ALARM_HOURS * 3600,
            evaluation_periods=BACKLOG_ALARM_PERIODS,
            datapoints_to_alarm=BACKLOG_ALARM_PERIODS,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            # No datapoints outside the event (the schedule is off) is not a backlog.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        backlog.add_alarm_action(action)
        self.alarms.append(backlog)

        dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=Stack.of(self).stack_name,  # findable: "TechognitionStack"
            default_interval=Duration.days(1),
        )
        dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[http_api.metric_count(period=period)],
                right=[
                    http_api.metric_client_error(period=period),
                    http_api.metric_server_error(period=period),
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="API latency (p90)",
                left=[http_api.metric_latency(period=period, statistic="p90")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[
                    fn.metric_errors(period=period, label=name) for name, fn in functions.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function throttles",
                left=[
                    fn.metric_throttles(period=period, label=name) for name, fn in functions.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function duration (p90)",
                left=[
                    fn.metric_duration(period=period, statistic="p90", label=name)
                    for name, fn in functions.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Moderation backlog age (s)",
                left=[backlog_age_metric("oldest waiting photo (s)")],
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=BACKLOG_ALARM_HOURS * 3600, label="alarm")
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queues (messages)",
                left=[
                    dlq.metric_approximate_number_of_messages_visible(
                        period=period, statistic="Maximum", label=name
                    )
                    for name, dlq in dead_letter_queues.items()
                ],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24),
        )
