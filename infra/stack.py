"""The techognition stack: composes the constructs, everything read from the wiring."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra.constants import PRESCREEN, PRESCREEN_ACTIONS
from infra.constructs.api import Api
from infra.constructs.api_cdn import ApiThroughCdn, origin_verify_value
from infra.constructs.auth import Auth
from infra.constructs.data import DataTable
from infra.constructs.email import Email
from infra.constructs.functions import Functions, Resources, log_retention
from infra.constructs.messaging import Messaging
from infra.constructs.observability import Observability
from infra.constructs.outbox import Outbox
from infra.constructs.schedules import Schedules
from infra.constructs.site import Site
from infra.constructs.storage import Storage
from infra.quotas import check_concurrency
from infra.settings import EventSettings
from infra.wiring import EMAIL_FEEDBACK, MEDIA_BUCKET, Wiring, environment
from shared.cdn import API_PREFIX


def check_wiring(wiring: Wiring) -> None:
    """Fail synth on wiring that CloudFormation would only reject at deploy time."""
    routes = [route.route_key for route, _ in wiring.routes()]
    duplicates = sorted({key for key in routes if routes.count(key) > 1})
    if duplicates:
        raise ValueError(f"routes declared twice in the wiring: {duplicates}")
    names = [fn.name for fn in wiring.functions]
    if len(set(names)) != len(names):
        raise ValueError(f"function names must be unique: {names}")
    visibility = {q.name: q.visibility_timeout_s for q in wiring.queues}
    visibility.update({q.dlq_name: 30 for q in wiring.queues if q.dead_letter})  # SQS default
    for fn in wiring.functions:
        for source in fn.queue_sources:
            if source.queue not in visibility:
                raise ValueError(f"{fn.name} reads undeclared queue {source.queue!r}")
            if visibility[source.queue] < fn.timeout_s:
                raise ValueError(
                    f"queue {source.queue!r} visibility timeout {visibility[source.queue]}s is "
                    f"shorter than {fn.name}'s timeout {fn.timeout_s}s"
                )


class TechognitionStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        wiring: Wiring,
        settings: EventSettings,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        check_wiring(wiring)
        check_concurrency(wiring.functions, settings.lambda_concurrency_quota)
        self.wiring = wiring
        self.settings = settings

        data = DataTable(
            self,
            "Data",
            spec=wiring.table,
            point_in_time_recovery=settings.point_in_time_recovery,
        )
        messaging = Messaging(self, "Messaging", queues=wiring.queues, topics=wiring.topics)
        storage = Storage(
            self,
            "Storage",
            buckets=wiring.buckets,
            queues=messaging.queues,
            media_bucket=MEDIA_BUCKET,
            settings=settings,
        )
        email = Email(
            self,
            "Email",
            sender_email=settings.sender_email,
            feedback_topic=messaging.topics.get(EMAIL_FEEDBACK),
        )
        auth = Auth(self, "Auth", organiser_emails=settings.organiser_emails)

        env = environment(
            table_name=data.table.table_name,
            media_bucket=storage.bucket(MEDIA_BUCKET).bucket_name,
            media_base_url=storage.media_base_url,
            settings={
                **settings.function_environment(),
                "PRESCREEN": PRESCREEN,
                "SES_CONFIGURATION_SET": email.configuration_set.configuration_set_name,
                "CDN_DISTRIBUTION_ID": storage.distribution.distribution_id,
                "ORIGIN_VERIFY": origin_verify_value(),
            },
            queue_urls={name: queue.queue_url for name, queue in messaging.queues.items()},
        )
        functions = Functions(
            self,
            "Functions",
            functions=wiring.functions,
            resources=Resources(
                table=data.table,
                buckets=storage.buckets,
                queues=messaging.queues,
                email=email,
                environment=env,
                log_retention_days=settings.log_retention_days,
                queue_polling=settings.queue_polling,
                cdn_distribution_arn=storage.distribution.distribution_arn,
                rekognition_actions=PRESCREEN_ACTIONS[settings.prescreen],
            ),
        )
        outbox = Outbox(
            self,
            "Outbox",
            table=data.table,
            specs=wiring.functions,
            functions=functions.functions,
            queues=messaging.queues,
        )
        api = Api(
            self,
            "Api",
            wiring=wiring,
            functions=functions.functions,
            authorizer=auth.authorizer,
            access_log_retention=log_retention(settings.log_retention_days),
        )
        ApiThroughCdn(self, "ApiCdn", distribution=storage.distribution, http_api=api.http_api)
        Site(
            self,
            "Site",
            bucket=storage.site_bucket,
            distribution=storage.distribution,
            api_url=API_PREFIX,  # the pages' own origin: the CDN routes /api/* to the API
            user_pool_client_id=auth.client.user_pool_client_id,
            log_retention=log_retention(settings.log_retention_days),
        )
        Schedules(
            self,
            "Schedules",
            functions=wiring.functions,
            targets=dict(functions.functions),
            settings=settings,
        )
        if settings.monitoring:  # off outside the event: nothing with a standing CloudWatch charge
            Observability(
                self,
                "Observability",
                ops_email=settings.ops_email,
                functions=functions.functions,
                dead_letter_queues={**messaging.dead_letter_queues, **outbox.dead_letter_queues},
                stream_consumers={
                    fn.name: functions.functions[fn.name]
                    for fn in wiring.functions
                    if fn.stream_sources
                },
                http_api=api.http_api,
            )

        CfnOutput(self, "ApiUrl", value=api.url or "", description="HTTP API base URL")
        CfnOutput(
            self, "MediaBaseUrl", value=storage.media_base_url, description="CDN base for public/"
        )
        CfnOutput(self, "UserPoolId", value=auth.user_pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=auth.client.user_pool_client_id)
        CfnOutput(self, "SiteUrl", value=settings.site_url, description="point its DNS at CdnUrl")
        CfnOutput(self, "CdnUrl", value=storage.cdn_origin, description="the site and media")
        CfnOutput(
            self,
            "CdnDistributionId",
            value=storage.distribution.distribution_id,
            description="for `aws cloudfront create-invalidation`",
        )
