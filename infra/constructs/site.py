"""The static site (`site/`, built by `infra.site_build`) deployed to its bucket, with the
generated `config.js`.

`BucketDeployment` runs a Lambda only while CloudFormation deploys (no idle cost). Pages and
scripts are cached briefly; `config.js` (the API URL and the Cognito client, known only at
deploy) is never cached, so a redeploy takes effect at once.
"""

from __future__ import annotations

import json
from pathlib import Path

from aws_cdk import DefaultStackSynthesizer, Duration, RemovalPolicy, Stack, Stage, Token
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deployment
from constructs import Construct

from infra.constants import SITE_CACHE_MINUTES
from infra.constructs.functions import logical_id
from infra.constructs.nag import acknowledge
from infra.csp import bucket_origins, cognito_origin, content_security_policy
from infra.site_build import build_site

CONFIG_FILE = "config.js"
DEFAULT_QUALIFIER = DefaultStackSynthesizer.DEFAULT_QUALIFIER  # CDK bootstrap's "hnb659fds"


def config_js(*, api_url: str, region: str, user_pool_client_id: str) -> str:
    """The ES module every page imports as `/config.js` (docs/SITE.md); tokens resolve at
    deploy."""
    config = {
        "apiUrl": api_url,
        "cognitoEndpoint": f"https://cognito-idp.{region}.amazonaws.com/",
        "region": region,
        "userPoolClientId": user_pool_client_id,
    }
    return f"export default {json.dumps(config)};\n"


HSTS_DAYS = 365
# Approved photos are images only; a policy that forbids everything else makes any file under
# public/ inert even if opened directly as a page.
MEDIA_CSP = "default-src 'none'; frame-ancestors 'none'; sandbox"


def site_csp(*, region: str, upload_bucket: str, site_url: str) -> str:
    """The pages' CSP in the cloud: the API on their own origin ('self', /api/*), Cognito and
    the upload bucket to call; photos from the site itself (media_base_url is the site's own
    origin, or `site_url` with a custom domain when a page is opened on the *.cloudfront.net
    name)."""
    # The console shows organisers the private derivatives by presigned GETs to the bucket.
    return content_security_policy(
        connect=(cognito_origin(region), *bucket_origins(upload_bucket, region)),
        images=(site_url.rstrip("/"), *bucket_origins(upload_bucket, region)),
    )


def _security_headers(csp: str) -> cloudfront.ResponseSecurityHeadersBehavior:
    """What the managed SecurityHeadersPolicy sets, with DENY framing and our own CSP."""
    return cloudfront.ResponseSecurityHeadersBehavior(
        content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
            content_security_policy=csp, override=True
        ),
        content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
        frame_options=cloudfront.ResponseHeadersFrameOptions(
            frame_option=cloudfront.HeadersFrameOption.DENY, override=True
        ),
        referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
            referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
            override=True,
        ),
        strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
            access_control_max_age=Duration.days(HSTS_DAYS), override=True
        ),
    )


def site_headers_policy(
    scope: Construct, *, upload_bucket: str, site_url: str
) -> cloudfront.ResponseHeadersPolicy:
    """The response headers of the site's pages (the distribution's default behaviour)."""
    csp = site_csp(region=Stack.of(scope).region, upload_bucket=upload_bucket, site_url=site_url)
    return cloudfront.ResponseHeadersPolicy(
        scope,
        "SiteHeaders",
        comment="techognition pages: CSP and security headers",
        security_headers_behavior=_security_headers(csp),
    )


def media_headers_policy(scope: Construct) -> cloudfront.ResponseHeadersPolicy:
    """The response headers of approved photos (`public/*`)."""
    return cloudfront.ResponseHeadersPolicy(
        scope,
        "MediaHeaders",
        comment="techognition approved photos: inert outside an <img>",
        security_headers_behavior=_security_headers(MEDIA_CSP),
    )


def _asset_bucket_objects(stack: Stack) -> str:
    """CDK's asset bucket objects as cdk-nag names them: `<AWS::X>` for what the environment
    leaves unresolved (an environment-agnostic synth), literals for what it fixes."""

    def part(value: str, pseudo: str) -> str:
        return f"<AWS::{pseudo}>" if Token.is_unresolved(value) else value

    partition = "<AWS::Partition>" if Token.is_unresolved(stack.region) else stack.partition
    account = part(stack.account, "AccountId")
    region = part(stack.region, "Region")
    return f"arn:{partition}:s3:::cdk-{DEFAULT_QUALIFIER}-assets-{account}-{region}/*"


class Site(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        distribution: cloudfront.IDistribution,
        api_url: str,
        user_pool_client_id: str,
        log_retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, construct_id)
        self._bucket = bucket
        # Both deployments share CDK's one handler function (a stack singleton), and its logs.
        log_group = logs.LogGroup(
            self, "DeployLogs", retention=log_retention, removal_policy=RemovalPolicy.DESTROY
        )
        # The pages rendered from their one layout (infra/site_build.py), beside the assembly
        stage = Stage.of(self)
        built = build_site(Path(stage.outdir if stage else "cdk.out") / "site.build")
        self.pages = deployment.BucketDeployment(
            self,
            "Pages",
            destination_bucket=bucket,
            sources=[deployment.Source.asset(str(built), exclude=[CONFIG_FILE])],
            exclude=[CONFIG_FILE],  # neither uploaded nor pruned here: the other deployment's
            prune=True,
            retain_on_delete=False,  # `cdk destroy` empties the bucket, so it can be deleted
            cache_control=[
                deployment.CacheControl.set_public(),
                deployment.CacheControl.max_age(Duration.minutes(SITE_CACHE_MINUTES)),
            ],
            distribution=distribution,
            distribution_paths=["/*"],
            wait_for_distribution_invalidation=False,
            log_group=log_group,
        )
        self.config = deployment.BucketDeployment(
            self,
            "Config",
            destination_bucket=bucket,
            sources=[
                deployment.Source.data(
                    CONFIG_FILE,
                    config_js(
                        api_url=api_url,
                        region=Stack.of(self).region,
                        user_pool_client_id=user_pool_client_id,
                    ),
                )
            ],
            prune=False,
            retain_on_delete=False,
            cache_control=[deployment.CacheControl.no_cache()],
            content_type="text/javascript; charset=utf-8",
            log_group=log_group,
        )
        self._acknowledge_handler()

    def _acknowledge_handler(self) -> None:
        """CDK's deploy-time handler: a stack-wide singleton Lambda configured only through
        BucketDeployment's props. It runs during `cdk deploy` / `cdk destroy` only."""
        acknowledge(
            self.pages,
            "IAM5",
            "CDK's deploy-time handler invalidates the site after an upload: CloudFront's "
            "CreateInvalidation/GetInvalidation grant comes from BucketDeployment with Resource *.",
            "Resource::*",
        )
        stack = Stack.of(self)
        for child in stack.node.children:
            if not child.node.id.startswith("Custom::CDKBucketDeployment"):
                continue
            acknowledge(
                child,
                "IAM5",
                "CDK's deploy-time BucketDeployment handler copies the site from the CDK asset "
                "bucket into the site bucket and prunes old files: it needs CDK's grant_read on "
                "the staging assets and grant_read_write/delete on the site bucket's objects.",
                "Action::s3:GetBucket*",
                "Action::s3:GetObject*",
                "Action::s3:List*",
                "Action::s3:Abort*",
                "Action::s3:DeleteObject*",
                f"Resource::<{logical_id(self._bucket)}.Arn>/*",
                f"Resource::{_asset_bucket_objects(stack)}",
            )
            acknowledge(
                child,
                "IAM4",
                "CDK's deploy-time BucketDeployment handler role uses the AWS managed basic "
                "execution policy (logs only); we do not control that construct.",
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            )
            acknowledge(
                child,
                "L1",
                "CDK pins the BucketDeployment handler's runtime (it bundles the AWS CLI layer "
                "for it); it runs only while deploying.",
            )
