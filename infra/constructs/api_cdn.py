"""The API behind the site's own CloudFront distribution, under `/api/*`.

Pages and API share one origin, so the browser needs no CORS, the pages' CSP names no API host,
and the busy week's public reads (the gallery, the wall, the draws) are answered by the CDN for
the seconds each route allows (`cdn_cache_s` in the wiring; the function marks those answers
`s-maxage`, shared/http.py). Everything else carries no cache header, and the cache policy's
default TTL of 0 never caches it. The organiser's Authorization header is part of the cache key.

CloudFront proves itself to the API with a header only it sends (`X-Origin-Verify`), and tells
the client's address in `X-Viewer-Ip`, set by a viewer-request function that overwrites whatever
a client sent; the functions believe that address only with the proof (per-IP limits).
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, Fn
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from constructs import Construct

from infra.constructs.edge import viewer_request
from shared.cdn import API_PREFIX

# The pages call `/api/photos`; the API itself serves `/photos` (the local gateway strips it too).
# Share pages (GET /p/{photo_id}) on the site's own address, under their own path: a shared
# link names the site, not the API. No prefix to strip.
SHARE_PATTERN = "/p/*"
ORIGIN_VERIFY_HEADER = "X-Origin-Verify"
MAX_CACHE_S = 60

# CloudFront Function (viewer request, cloudfront-js-2.0): strip the prefix, record the viewer.
API_PATHS_FUNCTION = """\
function handler(event) {
  var request = event.request;
  if (request.uri.indexOf("/api/") === 0) {
    request.uri = request.uri.substring(4);
  }
  request.headers["x-viewer-ip"] = { value: event.viewer.ip };
  return request;
}
"""


def origin_verify_value() -> str:
    """A value only this stack's CloudFront and functions know: the stack's own UUID (not a
    secret from the account's operators, but never sent to a client)."""
    return Fn.select(2, Fn.split("/", Aws.STACK_ID))


class ApiThroughCdn(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        distribution: cloudfront.Distribution,
        http_api: apigw.HttpApi,
    ) -> None:
        super().__init__(scope, construct_id)
        self.cache_policy = _cache_policy(
            self,
            "ApiReads",
            comment="techognition API: cached only as long as an answer's s-maxage says",
            headers=cloudfront.CacheHeaderBehavior.allow_list("Authorization"),
            query_strings=cloudfront.CacheQueryStringBehavior.all(),
        )
        origin = origins.HttpOrigin(
            f"{http_api.api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}",
            protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
            custom_headers={ORIGIN_VERIFY_HEADER: origin_verify_value()},
        )
        # Share pages take no query string and no token: links that networks decorate
        # (?fbclid=...) share one cached copy, which a takedown's exact path invalidates.
        self.share_cache_policy = _cache_policy(
            self,
            "SharePages",
            comment="techognition share pages: one copy per path, for the answer's s-maxage",
            headers=cloudfront.CacheHeaderBehavior.none(),
            query_strings=cloudfront.CacheQueryStringBehavior.none(),
        )
        distribution.add_behavior(
            SHARE_PATTERN,
            origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=self.share_cache_policy,
            # No origin request policy: the API's own Host, the proof header, nothing of the
            # viewer's (no path to rewrite, no address to record for a read).
        )
        distribution.add_behavior(
            f"{API_PREFIX}/*",
            origin,
            viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
            cached_methods=cloudfront.CachedMethods.CACHE_GET_HEAD,
            cache_policy=self.cache_policy,
            origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            function_associations=viewer_request(
                self,
                "ApiPaths",
                comment="/api/x -> /x; X-Viewer-Ip from the viewer's address",
                code=API_PATHS_FUNCTION,
            ),
        )


def _cache_policy(
    scope: Construct,
    construct_id: str,
    *,
    comment: str,
    headers: cloudfront.CacheHeaderBehavior,
    query_strings: cloudfront.CacheQueryStringBehavior,
) -> cloudfront.CachePolicy:
    """Nothing cached unless the answer says `s-maxage` (at most MAX_CACHE_S); no cookies in the
    key; compressed copies kept apart."""
    return cloudfront.CachePolicy(
        scope,
        construct_id,
        comment=comment,
        default_ttl=Duration.seconds(0),
        min_ttl=Duration.seconds(0),
        max_ttl=Duration.seconds(MAX_CACHE_S),
        header_behavior=headers,
        query_string_behavior=query_strings,
        cookie_behavior=cloudfront.CacheCookieBehavior.none(),
        enable_accept_encoding_gzip=True,
        enable_accept_encoding_brotli=True,
    )
