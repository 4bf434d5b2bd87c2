"""The HTTP API: one route per wiring route, organiser routes behind the Cognito JWT authorizer."""

from __future__ import annotations

import json
import re

import jsii
from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigateway as apigw_v1
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constants import (
    API_THROTTLE_BURST,
    API_THROTTLE_RATE,
)
from infra.constructs.nag import acknowledge
from infra.wiring import Wiring

_ACCESS_LOG_FIELDS = {
    "requestId": "$context.requestId",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "status": "$context.status",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationError": "$context.integrationErrorMessage",
    "authorizerError": "$context.authorizer.error",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
}  # no source IP or user agent: personal data stays out of logs


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogSettings:
    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw_v1.AccessLogFormat:
        return apigw_v1.AccessLogFormat.custom(json.dumps(_ACCESS_LOG_FIELDS))


def route_id(method: str, path: str) -> str:
    """A stable construct id for a route: `GET /photos/{photo_id}` -> `GET-photos-photo_id`."""
    return f"{method}-" + (re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-") or "root")


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        wiring: Wiring,
        functions: dict[str, lambda_.Function],
        authorizer: apigw.IHttpRouteAuthorizer,
        access_log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        # No CORS: the pages reach the API on their own origin, through the CDN's /api/*
        # (constructs/api_cdn.py), so no other site's page may call it from a browser.
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="techognition backend",
            create_default_stage=False,
        )
        access_logs = logs.LogGroup(
            self, "AccessLogs", retention=access_log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=API_THROTTLE_RATE, burst_limit=API_THROTTLE_BURST
            ),
            access_log_settings=_AccessLogSettings(access_logs),
        )
        self.url = self.stage.url

        integration_by_function: dict[str, integrations.HttpLambdaIntegration] = {}
        for route, fn in wiring.routes():
            integration = integration_by_function.get(fn.name)
            if integration is None:
                integration = integrations.HttpLambdaIntegration(
                    f"{fn.name}-integration", functions[fn.name]
                )
                integration_by_function[fn.name] = integration
            http_route = apigw.HttpRoute(
                self,
                route_id(route.method, route.path),
                http_api=self.http_api,
                route_key=apigw.HttpRouteKey.with_(route.path, apigw.HttpMethod[route.method]),
                integration=integration,
                authorizer=authorizer if route.auth == "organiser" else None,
            )
            if route.auth == "public":
                acknowledge(
                    http_route,
                    "APIG4",
                    f"{route.route_key} is a public endpoint by design (listed as public in "
                    "infra/wiring.py and in the API contract).",
                )
