"""The site's Content-Security-Policy, one builder for CloudFront (infra/constructs/site.py) and
the local gateway (local/stack.py), so the cloud and the local stack cannot drift.

The site has no inline scripts, inline styles or event-handler attributes: `'self'` covers
every script and stylesheet. Plain Python (no CDK import): the local stack imports it.
"""

from __future__ import annotations


def content_security_policy(*, connect: tuple[str, ...], images: tuple[str, ...] = ()) -> str:
    """`connect`: the origins the pages call (API, Cognito, the bucket presigned POSTs go to);
    `images`: where photos come from besides the site itself."""
    directives = {
        "default-src": ("'self'",),
        "connect-src": ("'self'", *connect),
        "img-src": ("'self'", *images, "blob:"),  # blob: the upload page's preview
        "frame-ancestors": ("'none'",),
        "object-src": ("'none'",),
        "base-uri": ("'none'",),
        "form-action": ("'self'",),
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def cognito_origin(region: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com"


def bucket_origins(bucket: str, region: str) -> tuple[str, ...]:
    """Where a presigned POST for `bucket` goes: boto3 names the global virtual-host endpoint;
    S3 may redirect a new bucket's POST to the regional one."""
    return (f"https://{bucket}.s3.amazonaws.com", f"https://{bucket}.s3.{region}.amazonaws.com")
