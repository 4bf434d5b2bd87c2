"""S3 buckets from the wiring, their access-log bucket, and the CDN for approved media."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
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
from infra.constructs.nag import acknowledge
from infra.wiring import Bucket


class Storage(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        buckets: tuple[Bucket, ...],
        queues: dict[str, sqs.Queue],
        site_url: str,
        log_retention_days: int,
        media_bucket: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_bucket = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            # CloudFront standard logging writes with ACLs; S3 server access logs use the policy.
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(log_retention_days),
                    abort_incomplete_multipart_upload_after=Duration.days(MULTIPART_ABORT_DAYS),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.buckets: dict[str, s3.Bucket] = {}
        for spec in buckets:
            self.buckets[spec.name] = self._bucket(spec, queues, site_url)
        self.distribution = self._cdn(self.bucket(media_bucket))
        self.media_base_url = f"https://{self.distribution.distribution_domain_name}/"

    def bucket(self, name: str) -> s3.Bucket:
        try:
            return self.buckets[name]
        except KeyError:
            raise KeyError(f"wiring names bucket {name!r}, which is not declared") from None

    def _bucket(self, spec: Bucket, queues: dict[str, sqs.Queue], site_url: str) -> s3.Bucket:
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
        ]
        bucket = s3.Bucket(
            self,
            f"Bucket-{spec.name}",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            server_access_logs_bucket=self.log_bucket,
            server_access_logs_prefix=f"{ACCESS_LOG_PREFIX_S3}{spec.name}/",
            lifecycle_rules=rules,
            cors=[
                s3.CorsRule(  # the browser sends the presigned POST form straight to S3
                    allowed_methods=[s3.HttpMethods.POST],
                    allowed_origins=[site_url],
                    allowed_headers=["*"],
                    max_age=BROWSER_POST_CORS_MAX_AGE_S,
                )
            ],
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

    def _cdn(self, bucket: s3.Bucket) -> cloudfront.Distribution:
        """CloudFront (OAC) in front of the media bucket; only `public/` can ever be read."""
        origin = origins.S3BucketOrigin.with_origin_access_control(
            bucket, origin_access_levels=[cloudfront.AccessLevel.READ]
        )
        distribution = cloudfront.Distribution(
            self,
            "MediaCdn",
            comment="techognition approved media (public/ prefix only)",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
            ),
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.log_bucket,
            log_file_prefix=ACCESS_LOG_PREFIX_CDN,
        )
        # OAC's generated grant covers the whole bucket: deny CloudFront everything outside
        # public/ so raw uploads (incoming/) and unapproved derivatives (private/) never leak.
        bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="CdnReadsPublicPrefixOnly",
                effect=iam.Effect.DENY,
                principals=[iam.ServicePrincipal("cloudfront.amazonaws.com")],
                actions=["s3:GetObject"],
                not_resources=[bucket.arn_for_objects(f"{PUBLIC_PREFIX}*")],
            )
        )
        acknowledge(
            distribution,
            "CFR1",
            "Approved photos are public by design for a UK-wide event, so no geo restriction.",
        )
        acknowledge(
            distribution,
            "CFR2",
            "WAF has a standing monthly cost; the CDN serves only static, approved images.",
        )
        acknowledge(
            distribution,
            "CFR4",
            "The default *.cloudfront.net certificate cannot pin a minimum TLS version; "
            "a custom domain and ACM certificate are out of scope.",
        )
        return distribution
