"""EventBridge Scheduler schedules from the wiring, active only around the event."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from infra.constants import (
    SCHEDULE_GRACE_DAYS,
    SCHEDULE_MAX_EVENT_AGE_S,
    SCHEDULE_RETRY_ATTEMPTS,
)
from infra.settings import EventSettings
from infra.wiring import Function


def local_midnight_utc(day: date, tz: str) -> str:
    """00:00 of `day` in `tz`, as a UTC ISO-8601 instant (what Scheduler's dates accept)."""
    instant = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_window(start: date, end: date, tz: str) -> tuple[str, str]:
    """From the first event day's midnight to the end of the last grace day (local time)."""
    return (
        local_midnight_utc(start, tz),
        local_midnight_utc(end + timedelta(days=SCHEDULE_GRACE_DAYS + 1), tz),
    )


class Schedules(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: tuple[Function, ...],
        targets: dict[str, lambda_.IFunction],
        settings: EventSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        event_tz = settings.event_tz
        start_date, end_date = schedule_window(settings.event_start, settings.event_end, event_tz)
        self.schedules: list[scheduler.CfnSchedule] = []
        for spec in functions:
            if not spec.schedules:
                continue
            target = targets[spec.name]
            role = iam.Role(
                self,
                f"{spec.name}-Role",
                assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
                description=f"EventBridge Scheduler invokes {spec.name}",
            )
            role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[target.function_arn]
                )
            )
            for sched in spec.schedules:
                self.schedules.append(
                    scheduler.CfnSchedule(
                        self,
                        f"{spec.name}-{sched.name}",
                        description=f"{sched.name} runs {spec.name}",
                        schedule_expression=f"cron({sched.minute} {sched.hours} * * ? *)",
                        schedule_expression_timezone=event_tz,
                        start_date=start_date,
                        end_date=end_date,
                        state="ENABLED",
                        flexible_time_window=scheduler.CfnSchedule.FlexibleTimeWindowProperty(
                            mode="OFF"
                        ),
                        target=scheduler.CfnSchedule.TargetProperty(
                            arn=target.function_arn,
                            role_arn=role.role_arn,
                            input=json.dumps({"source": "schedule", "schedule": sched.name}),
                            retry_policy=scheduler.CfnSchedule.RetryPolicyProperty(
                                maximum_retry_attempts=SCHEDULE_RETRY_ATTEMPTS,
                                maximum_event_age_in_seconds=SCHEDULE_MAX_EVENT_AGE_S,
                            ),
                        ),
                    )
                )
