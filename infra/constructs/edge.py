"""CloudFront pieces the site's and the API's behaviours share."""

from __future__ import annotations

from aws_cdk import aws_cloudfront as cloudfront
from constructs import Construct


def viewer_request(
    scope: Construct, construct_id: str, *, comment: str, code: str
) -> list[cloudfront.FunctionAssociation]:
    """A CloudFront Function (cloudfront-js-2.0) run on every viewer request of a behaviour, as
    that behaviour's function associations."""
    function = cloudfront.Function(
        scope,
        construct_id,
        comment=comment,
        runtime=cloudfront.FunctionRuntime.JS_2_0,
        code=cloudfront.FunctionCode.from_inline(code),
    )
    event = cloudfront.FunctionEventType.VIEWER_REQUEST
    return [cloudfront.FunctionAssociation(function=function, event_type=event)]
