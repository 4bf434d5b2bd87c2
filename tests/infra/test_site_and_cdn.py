"""The site: its private bucket, its deployment with config.js, and the one CloudFront
distribution serving pages at the root and approved media under public/."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from infra.app import build_app
from infra.constructs.site import config_js
from infra.constructs.storage import SITE_PATHS_FUNCTION

from .conftest import CERTIFICATE, SKIP_BUNDLING, of_type

Resources = dict[str, dict[str, Any]]


def _site_bucket_id(resources: Resources) -> str:
    (bucket_id,) = [
        k
        for k, b in of_type(resources, "AWS::S3::Bucket").items()
        if b["Properties"].get("LoggingConfiguration", {}).get("LogFilePrefix") == "s3/site/"
    ]
    return bucket_id


def _distribution(resources: Resources) -> dict[str, Any]:
    (distribution,) = of_type(resources, "AWS::CloudFront::Distribution").values()
    config: dict[str, Any] = distribution["Properties"]["DistributionConfig"]
    return config


def _origin(config: dict[str, Any], origin_id: str) -> dict[str, Any]:
    origins: list[dict[str, Any]] = [o for o in config["Origins"] if o["Id"] == origin_id]
    (origin,) = origins
    return origin


def test_site_bucket_is_private_encrypted_ssl_only_and_logged(resources):
    bucket_id = _site_bucket_id(resources)
    props = resources[bucket_id]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "CorsConfiguration" not in props and "WebsiteConfiguration" not in props
    (policy,) = [
        p
        for p in of_type(resources, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    allows = [s for s in statements if s["Effect"] == "Allow"]
    # The only reader is this stack's CloudFront distribution (OAC), never the public
    assert [s["Principal"] for s in allows] == [{"Service": "cloudfront.amazonaws.com"}]
    assert "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]


def test_site_and_its_config_are_deployed_to_the_site_bucket(resources):
    bucket_ref = {"Ref": _site_bucket_id(resources)}
    deployments = [
        d["Properties"] for d in of_type(resources, "Custom::CDKBucketDeployment").values()
    ]
    assert len(deployments) == 2
    assert all(d["DestinationBucketName"] == bucket_ref for d in deployments)
    (pages,) = [d for d in deployments if d["Prune"] is True]
    (config,) = [d for d in deployments if d["Prune"] is False]
    # Pages: pruned, briefly cached, the CDN invalidated, config.js left to the other deployment
    assert pages["Exclude"] == ["config.js"]
    assert pages["SystemMetadata"]["cache-control"] == "public, max-age=300"
    assert pages["DistributionPaths"] == ["/*"]
    assert pages["RetainOnDelete"] is False
    # config.js: never cached, its values resolved at deploy (the user pool's client); the
    # API is the pages' own origin under /api (test_api_cdn.py), no API host named
    assert config["SystemMetadata"]["cache-control"] == "no-cache"
    (markers,) = config["SourceMarkers"]
    values = list(markers.values())
    assert not any("ApiEndpoint" in json.dumps(v) for v in values)
    assert {"Ref": "AWS::Region"} in values
    assert any("UserPoolClient" in v.get("Ref", "") for v in values)


def test_config_js_is_the_module_the_pages_import():
    text = config_js(
        api_url="/api",
        region="eu-west-2",
        user_pool_client_id="client123",
    )
    assert text.startswith("export default {") and text.rstrip().endswith("};")
    config = json.loads(text.removeprefix("export default ").rstrip().removesuffix(";"))
    assert config == {
        "apiUrl": "/api",
        "cognitoEndpoint": "https://cognito-idp.eu-west-2.amazonaws.com/",
        "region": "eu-west-2",
        "userPoolClientId": "client123",
    }


def test_default_behaviour_serves_the_site_and_public_prefix_serves_media(resources):
    config = _distribution(resources)
    site = _origin(config, config["DefaultCacheBehavior"]["TargetOriginId"])
    assert site["DomainName"] == {"Fn::GetAtt": [_site_bucket_id(resources), "RegionalDomainName"]}
    media_behaviour, share_behaviour, api_behaviour = config["CacheBehaviors"]
    assert media_behaviour["PathPattern"] == "public/*"
    assert share_behaviour["PathPattern"] == "/p/*"  # test_share_cdn.py
    assert api_behaviour["PathPattern"] == "/api/*"  # test_api_cdn.py
    assert media_behaviour["AllowedMethods"] == ["GET", "HEAD"]
    media = _origin(config, media_behaviour["TargetOriginId"])
    # The media bucket by name (its CORS names the CDN: a reference would be a cycle)
    parts = media["DomainName"]["Fn::Join"][1]
    assert parts[0] == "techognition-media-"
    assert '{"Ref": "AWS::StackId"}' in json.dumps(parts[1])  # unique per stack, no resource
    media_bucket = [
        b["Properties"]
        for b in of_type(resources, "AWS::S3::Bucket").values()
        if "CorsConfiguration" in b["Properties"]
    ]
    assert media_bucket[0]["BucketName"]["Fn::Join"][1] == parts[:2]
    assert config["DefaultRootObject"] == "index.html"


def test_the_page_path_function_runs_on_viewer_requests_for_pages_only(resources):
    config = _distribution(resources)
    (association,) = config["DefaultCacheBehavior"]["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function_id = association["FunctionARN"]["Fn::GetAtt"][0]
    function = resources[function_id]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["FunctionCode"] == SITE_PATHS_FUNCTION
    assert "FunctionAssociations" not in config["CacheBehaviors"][0]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node (the CDK CLI needs it too)")
def test_the_page_path_function_maps_extensionless_paths_to_html():
    cases = {
        "/": "/index.html",
        "/signup/confirm": "/signup/confirm.html",
        "/photos": "/photos.html",
        "/signup/": "/signup/index.html",
        "/photo.html": "/photo.html",
        "/js/api.js": "/js/api.js",
        "/config.js": "/config.js",
        "/favicon.svg": "/favicon.svg",
    }
    script = SITE_PATHS_FUNCTION + (
        "const cases = JSON.parse(process.argv[1]);\n"
        "const out = {};\n"
        "for (const uri of Object.keys(cases)) out[uri] = handler({request: {uri}}).uri;\n"
        "console.log(JSON.stringify(out));\n"
    )
    result = subprocess.run(
        ["node", "-e", script, json.dumps(cases)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert json.loads(result.stdout) == cases


def _rendered(value: Any) -> str:
    """A CloudFormation string with its tokens shown as <Region> or <token>."""
    if isinstance(value, str):
        return value
    if value == {"Ref": "AWS::Region"}:
        return "<Region>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_rendered(part) for part in parts)
    return "<token>"


def _headers_policy(resources: Resources, behaviour: dict[str, Any]) -> dict[str, Any]:
    policy_id = behaviour["ResponseHeadersPolicyId"]["Ref"]
    config = resources[policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    headers: dict[str, Any] = config["SecurityHeadersConfig"]
    return headers


def _csp(headers: dict[str, Any]) -> dict[str, list[str]]:
    assert headers["ContentSecurityPolicy"]["Override"] is True
    text = _rendered(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    directives = [d.split() for d in text.split(";")]
    return {d[0]: d[1:] for d in directives}


def test_pages_carry_a_content_security_policy_naming_what_they_call(resources):
    headers = _headers_policy(resources, _distribution(resources)["DefaultCacheBehavior"])
    csp = _csp(headers)
    # Scripts and styles only from the site (it has no inline ones), nothing else by default
    assert csp["default-src"] == ["'self'"]
    assert "script-src" not in csp and "style-src" not in csp
    # Calls: the API on the pages' own origin (/api/*), Cognito, the bucket uploads POST to
    assert csp["connect-src"] == [
        "'self'",
        "https://cognito-idp.<Region>.amazonaws.com",
        "https://techognition-media-<token>.s3.amazonaws.com",
        "https://techognition-media-<token>.s3.<Region>.amazonaws.com",
    ]
    # Photos: the site (media_base_url is its origin), the private ones organisers see by
    # presigned GETs to the bucket, the upload preview's blob: URLs
    assert csp["img-src"][0] == "'self'" and csp["img-src"][-1] == "blob:"
    assert "https://techognition-media-<token>.s3.amazonaws.com" in csp["img-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    # And what the managed SecurityHeadersPolicy used to add, framing denied outright
    assert headers["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"


def test_the_upload_bucket_in_the_csp_is_the_media_bucket(resources):
    headers = _headers_policy(resources, _distribution(resources)["DefaultCacheBehavior"])
    joined = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Join"][1]
    media_bucket = next(
        b["Properties"]["BucketName"]["Fn::Join"][1]
        for b in of_type(resources, "AWS::S3::Bucket").values()
        if "CorsConfiguration" in b["Properties"]
    )
    assert media_bucket[1] in joined  # the same stack-unique suffix


def test_approved_photos_have_a_headers_policy_too(resources):
    (media_behaviour,) = [
        b for b in _distribution(resources)["CacheBehaviors"] if b["PathPattern"] == "public/*"
    ]
    headers = _headers_policy(resources, media_behaviour)
    assert _csp(headers) == {
        "default-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "sandbox": [],
    }
    assert headers["ContentTypeOptions"] == {"Override": True}


def test_with_its_own_domain_photos_come_from_the_sites_origin(modified_template):
    # The CSP's 'self' then covers them: the distribution cannot name its own domain
    assert modified_template["Outputs"]["MediaBaseUrl"]["Value"] == "https://techognition.org.uk/"
    config = _distribution(dict(modified_template["Resources"]))
    assert "techognition.org.uk" in config["Aliases"]


def test_a_certificate_puts_the_site_on_its_own_domain(resources, modified_resources):
    # Without a certificate: the *.cloudfront.net domain only
    assert "Aliases" not in _distribution(resources)
    # With site_certificate_arn: site_url's host, that certificate, TLS 1.2 at least
    config = _distribution(modified_resources)
    assert config["Aliases"] == ["techognition.org.uk"]
    assert config["ViewerCertificate"]["AcmCertificateArn"] == CERTIFICATE
    assert config["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"
    assert config["ViewerCertificate"]["SslSupportMethod"] == "sni-only"


def test_a_certificate_outside_us_east_1_fails_synth_clearly():
    wrong_region = CERTIFICATE.replace("us-east-1", "eu-west-2")
    with pytest.raises(ValueError, match="not an ACM certificate ARN in us-east-1"):
        build_app(context={**SKIP_BUNDLING, "techognition": {"site_certificate_arn": wrong_region}})
