"""S3 buckets (the wiring's, the site's, access logs) and the CDN for the site and media."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, Aws, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.constants import (
    ACCESS_LOG_PREFIX_CDN,
    ACCESS_LOG_PREFIX_S3,
    BROWSER_POST_CORS_MAX_AGE_S,
    MULTIPART_ABORT_DAYS,
    PUBLIC_PREFIX,
)
from infra.constructs import declared
from infra.constructs.edge import viewer_request
from infra.constructs.nag import acknowledge
from infra.constructs.site import media_headers_policy, site_headers_policy
from infra.settings import EventSettings
from infra.wiring import Bucket

# CloudFront Function (viewer request, cloudfront-js-2.0) for the site: pages are `<name>.html`
# files, linked (and emailed) without the extension.
SITE_PATHS_FUNCTION = """\
function handler(event) {
  var request = event.request;
  var uri = request.uri;
  if (uri.endsWith("/")) {
    request.uri = uri + "index.html";
  } else if (uri.split("/").pop().indexOf(".") === -1) {
    request.uri = uri + ".html";
  }
  return request;
}
"""


def _stack_suffix() -> str:
    """The last group of the stack's UUID: unique per stack instance, known before any resource.

    Wiring buckets are named with it so that the CDN can point at the media bucket by name
    instead of by reference: the bucket's CORS must name the CDN's origin, and two references
    the other way round would be a dependency cycle. A stack deployed again after `cdk destroy`
    gets a new UUID, so it never collides with the buckets the old one retained.
    """
    return Fn.select(4, Fn.split("-", Fn.select(2, Fn.split("/", Aws.STACK_ID))))


def _private_bucket(scope: Construct, construct_id: str, **props: Any) -> s3.Bucket:
    """A bucket nobody reads directly: no public access, encrypted, TLS only, each object owned
    by the bucket (unless `props` say otherwise)."""
    props.setdefault("object_ownership", s3.ObjectOwnership.BUCKET_OWNER_ENFORCED)
    return s3.Bucket(
        scope,
        construct_id,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        **props,
    )


class Storage(Construct):
    """Private buckets (the wiring's, the site's, access logs) and the one CloudFront
    distribution: the site at its root and approved media under `public/*`, both through OAC."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        buckets: tuple[Bucket, ...],
        queues: dict[str, sqs.Queue],
        media_bucket: str,
        settings: EventSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        site_url, site_domain = settings.site_url, settings.site_domain
        certificate_arn = settings.site_certificate_arn
        self.log_bucket = _private_bucket(
            self,
            "AccessLogs",
            # CloudFront standard logging writes with ACLs; S3 server access logs use the policy.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(settings.log_retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(MULTIPART_ABORT_DAYS),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.buckets: dict[str, s3.Bucket] = {}
        for spec in buckets:
            self.buckets[spec.name] = self._bucket(spec, queues, settings.personal_files_days)
        self.site_bucket = _private_bucket(
            self,
            "Site",
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=f"{ACCESS_LOG_PREFIX_S3}site/",
            # Only deployed copies of site/: the deployment empties it on `cdk destroy`.
            removal_policy=RemovalPolicy.DESTROY,
        )
        media = self.bucket(media_bucket)
        certificate = (
            acm.Certificate.from_certificate_arn(self, "SiteCertificate", certificate_arn)
            if certificate_arn
            else None
        )
        self.distribution = self._cdn(
            media,
            self._media_bucket_by_name(media_bucket),
            domain_names=[site_domain] if certificate and site_domain else None,
            certificate=certificate,
            site_url=site_url,
        )
        self.cdn_origin = f"https://{self.distribution.distribution_domain_name}"
        # Photos come from the pages' own origin, which the CSP can name ('self'): the
        # distribution cannot name its own *.cloudfront.net domain in its headers policy.
        self.media_base_url = (
            f"https://{site_domain}/" if certificate and site_domain else f"{self.cdn_origin}/"
        )
        # The browser sends the presigned POST form straight to S3 from the site's pages, served
        # from the site's own domain or from the CloudFront domain.
        for bucket in self.buckets.values():
            bucket.add_cors_rule(
                allowed_methods=[s3.HttpMethods.POST],
                allowed_origins=[site_url, self.cdn_origin],
                allowed_headers=["*"],
                max_age=BROWSER_POST_CORS_MAX_AGE_S,
            )

    def bucket(self, name: str) -> s3.Bucket:
        return declared(self.buckets, "bucket", name)

    @staticmethod
    def bucket_name(name: str) -> str:
        return f"techognition-{name}-{_stack_suffix()}"

    def _media_bucket_by_name(self, name: str) -> s3.IBucket:
        """The media bucket as the CDN sees it: by its name, not by a reference (see above)."""
        bucket_name = self.bucket_name(name)
        return s3.Bucket.from_bucket_attributes(
            self,
            f"Bucket-{name}-ByName",
            bucket_name=bucket_name,
            bucket_regional_domain_name=f"{bucket_name}.s3.{Aws.REGION}.{Aws.URL_SUFFIX}",
        )

    def _bucket(
        self, spec: Bucket, queues: dict[str, sqs.Queue], personal_files_days: int
    ) -> s3.Bucket:
        if any(prefix.startswith("public/") for prefix, _ in spec.expire_prefixes) or any(
            prefix.startswith("public/") for prefix in spec.personal_prefixes
        ):
            # Approved photos' public copies are each year's archive: they go only by erasure
            # or a takedown, never by lifecycle.
            raise ValueError(f"{spec.name}: public/ must not expire")
        rules = [
            s3.LifecycleRule(
                id="abort-incomplete-multipart",
                abort_incomplete_multipart_upload_after=Duration.days(MULTIPART_ABORT_DAYS),
            ),
            *(
                s3.LifecycleRule(
                    id=f"expire-{prefix.strip('/')}", prefix=prefix, expiration=Duration.days(days)
                )
                for prefix, days in spec.expire_prefixes
            ),
            *(
                s3.LifecycleRule(
                    id=f"retention-{prefix.strip('/')}",
                    prefix=prefix,
                    expiration=Duration.days(personal_files_days),
                )
                for prefix in spec.personal_prefixes
            ),
        ]
        bucket = _private_bucket(
            self,
            f"Bucket-{spec.name}",
            bucket_name=self.bucket_name(spec.name),
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=f"{ACCESS_LOG_PREFIX_S3}{spec.name}/",
            lifecycle_rules=rules,
            removal_policy=RemovalPolicy.RETAIN,
        )
        if spec.notify_queue is not None:
            key_filter = (
                s3.NotificationKeyFilter(prefix=spec.notify_prefix) if spec.notify_prefix else None
            )
            filters = [key_filter] if key_filter else []
            queue = queues.get(spec.notify_queue)
            if queue is None:
                raise KeyError(
                    f"bucket {spec.name!r} notifies undeclared queue {spec.notify_queue!r}"
                )
            bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED, s3n.SqsDestination(queue), *filters
            )
            self._acknowledge_notifications_handler()
        return bucket

    def _acknowledge_notifications_handler(self) -> None:
        """CDK's stack-wide singleton Lambda that configures bucket notifications at deploy."""
        stack = Stack.of(self)
        for child in stack.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                acknowledge(
                    child,
                    "IAM4",
                    "CDK's own deploy-time BucketNotificationsHandler role uses the AWS managed "
                    "basic execution policy (logs only); we do not control that construct.",
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
                )

    def _cdn(
        self,
        media: s3.Bucket,
        media_by_name: s3.IBucket,
        *,
        domain_names: list[str] | None,
        certificate: acm.ICertificate | None,
        site_url: str,
    ) -> cloudfront.Distribution:
        """The site at the root (extension-less paths map to .html) and `public/*` of the
        media bucket; incoming/ and private/ can never be read through it."""
        media_origin = origins.S3BucketOrigin.with_origin_access_control(
            media_by_name, origin_access_levels=[cloudfront.AccessLevel.READ]
        )
        distribution = cloudfront.Distribution(
            self,
            "Cdn",
            comment="techognition site and approved media (public/ prefix only)",
            default_root_object="index.html",
            domain_names=domain_names,
            certificate=certificate,
            minimum_protocol_version=(
                cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 if certificate else None
            ),
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(
                    self.site_bucket, origin_access_levels=[cloudfront.AccessLevel.READ]
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=site_headers_policy(
                    self, upload_bucket=media_by_name.bucket_name, site_url=site_url
                ),
                function_associations=viewer_request(
                    self,
                    "SitePaths",
                    comment="/ -> /index.html, /signup/confirm -> /signup/confirm.html",
                    code=SITE_PATHS_FUNCTION,
                ),
            ),
            additional_behaviors={
                f"{PUBLIC_PREFIX}*": cloudfront.BehaviorOptions(
                    origin=media_origin,
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    response_headers_policy=media_headers_policy(self),
                )
            },
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix=ACCESS_LOG_PREFIX_CDN,
        )
        # The origin cannot write the media bucket's policy (it sees the bucket by name): this
        # distribution may read public/ only, and CloudFront is denied everything else.
        Annotations.of(distribution).acknowledge_warning(
            "@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac",
            "The media bucket's OAC read grant is written below, on the bucket itself.",
        )
        media.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CdnReadsPublicPrefix",
                principals=[iam.ServicePrincipal("cloudfront.amazonaws.com")],
                actions=["s3:GetObject"],
                resources=[media.arn_for_objects(f"{PUBLIC_PREFIX}*")],
                conditions={"StringEquals": {"AWS:SourceArn": distribution.distribution_arn}},
            )
        )
        media.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CdnReadsPublicPrefixOnly",
                effect=iam.Effect.DENY,
                principals=[iam.ServicePrincipal("cloudfront.amazonaws.com")],
                actions=["s3:GetObject"],
                not_resources=[media.arn_for_objects(f"{PUBLIC_PREFIX}*")],
            )
        )
        acknowledge(
            distribution,
            "CFR1",
            "The site and approved photos are public by design for a UK-wide event, so no geo "
            "restriction.",
        )
        acknowledge(
            distribution,
            "CFR2",
            "WAF has a standing monthly cost; the CDN serves only static pages and approved "
            "images (the API has its own throttling).",
        )
        if certificate is None:
            acknowledge(
                distribution,
                "CFR4",
                "The default *.cloudfront.net certificate cannot pin a minimum TLS version; "
                "with site_certificate_arn set (a custom domain) TLS 1.2 is the minimum.",
            )
        return distribution
