"""The whole backend on this machine: moto server as AWS, the wiring provisioned, a gateway.

`python -m local` (what `make run` calls) starts it, writes `.local/stack.json` and runs until
Ctrl-C. Handlers run in this process with the same code, wiring and environment as in Lambda.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from infra.csp import content_security_policy
from infra.site_build import build_site
from infra.wiring import WIRING, Wiring, environment
from local.gateway import Gateway, JwtVerifier
from local.pollers import QueuePoller, StreamPoller, Ticker
from local.provision import Provisioned, User, provision, provision_users
from local.runtime import Invoker

ROOT = Path(__file__).resolve().parents[1]
MEDIA_PATH = "/_local/media/"  # MEDIA_BASE_URL locally: the gateway stands in for CloudFront
REGION = "eu-west-2"
ACCESS_KEY = SECRET_KEY = "local"  # noqa: S105 - moto's key pair, signs local forms


def default_settings(today: date, api_url: str) -> dict[str, str]:
    """The local event: 3 days before to 3 days after today, so today's uploads are entries."""
    return {
        "EVENT_START": (today - timedelta(days=3)).isoformat(),
        "EVENT_END": (today + timedelta(days=3)).isoformat(),
        "EVENT_TZ": "Europe/London",
        "SITE_URL": api_url,
        "SENDER_EMAIL": "hello@techognition.local",
        "WRITES_PER_IP_PER_HOUR": "10000",
        "REPORTS_PER_IP_PER_HOUR": "10000",  # every test reports from 127.0.0.1
        "PRESCREEN": "caption",
    }


def site_config(cognito_endpoint: str, region: str, client_id: str) -> bytes:
    """The site's `/config.js` (generated, never committed): same-origin API, local Cognito."""
    config = {"apiUrl": "", "cognitoEndpoint": cognito_endpoint, "region": region,
              "userPoolClientId": client_id}
    return f"export default {json.dumps(config)};\n".encode()


def allow_browser_uploads(s3: Any, bucket: str, origin: str) -> None:
    """The site POSTs files straight to the bucket, as in the cloud (constructs/storage.py)."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": [origin], "AllowedMethods": ["POST", "GET"], "AllowedHeaders": ["*"],
        "MaxAgeSeconds": 3000,
    }]})


@dataclass
class LocalStack:
    wiring: Wiring = WIRING
    host: str = "127.0.0.1"
    api_port: int = 8000
    aws_port: int = 8001
    state_dir: Path = ROOT / ".local"
    overrides: dict[str, str] = field(default_factory=dict)
    api_url: str = ""
    aws_endpoint_url: str = ""
    provisioned: Provisioned | None = None
    tickers: dict[str, Ticker] = field(default_factory=dict)
    stream_pollers: list[StreamPoller] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _moto: Any = None
    _gateway: Gateway | None = None
    _s3: Any = None

    def start(self) -> dict[str, Any]:
        import logging

        from local.moto_patches import serialise_dynamodb
        from local.s3_post_guard import GuardedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call otherwise
        serialise_dynamodb()  # the gateway runs functions concurrently, as Lambda would

        # moto behind S3's checks of browser POST uploads (moto alone stores any form); the
        # checks know the one key pair the functions sign their forms with
        self._moto = GuardedMotoServer(self.host, self.aws_port,
                                       credentials={ACCESS_KEY: SECRET_KEY}, region=REGION)
        self._moto.start()
        aws_host, aws_port = self._moto.get_host_and_port()
        self.aws_endpoint_url = f"http://{aws_host}:{aws_port}"
        os.environ.update({
            "AWS_ENDPOINT_URL": self.aws_endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            # Cognito checks authenticator codes, as the cloud pool (MFA required) does
            "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
        })
        import boto3

        session = boto3.session.Session(region_name=REGION)
        organiser = User("organiser", "Organiser-" + secrets.token_urlsafe(9) + "1!",
                         "organiser@techognition.local")
        member = User("member", "Member-" + secrets.token_urlsafe(9) + "1!",
                      "member@techognition.local")

        invoker = Invoker()
        # The gateway needs its port before the environment is final (SITE_URL), and the
        # environment must be final before any handler module is imported.
        verifier = JwtVerifier("", "", "")
        self._gateway = Gateway(self.wiring, invoker, verifier,
                                site_dir=build_site(self.state_dir / "site"),  # pages rendered
                                extra=self._local_hook)
        port = self._gateway.serve(self.host, self.api_port)
        self.api_url = f"http://{self.host}:{port}"

        tz = self.overrides.get("EVENT_TZ", "Europe/London")
        settings = default_settings(datetime.now(ZoneInfo(tz)).date(), self.api_url)
        settings.update(self.overrides)
        self.provisioned = provision(self.wiring, session, sender_email=settings["SENDER_EMAIL"])
        provision_users(session.client("cognito-idp"), self.provisioned,
                        organiser=organiser, member=member)
        pool_id = self.provisioned.user_pool_id
        verifier.jwks_url = f"{self.aws_endpoint_url}/{pool_id}/.well-known/jwks.json"
        verifier.issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
        verifier.audience = self.provisioned.user_pool_client_id

        os.environ.update(environment(
            table_name=self.provisioned.table_name,
            media_bucket=self.provisioned.bucket_names["media"],
            media_base_url=f"{self.api_url}{MEDIA_PATH}",
            settings={"SES_CONFIGURATION_SET": self.provisioned.ses_configuration_set,
                      **settings},
            queue_urls=self.provisioned.queue_urls,
        ))
        self._s3 = session.client("s3")
        self._start_sources(session, invoker, tz)
        # site: /config.js for the pages, and the bucket CORS the cloud sets for browser POSTs
        self._gateway.generated["/config.js"] = ("text/javascript", site_config(
            self.aws_endpoint_url, REGION, self.provisioned.user_pool_client_id))
        # Cognito, the bucket's presigned POSTs and the console's presigned GETs of private
        # photos are all the embedded AWS endpoint here.
        self._gateway.content_security_policy = content_security_policy(
            connect=(self.aws_endpoint_url,), images=(self.aws_endpoint_url,))
        allow_browser_uploads(session.client("s3"), self.provisioned.bucket_names["media"],
                              self.api_url)

        info = {
            "api_url": self.api_url,
            "aws_endpoint_url": self.aws_endpoint_url,
            "region": REGION,
            "user_pool_id": pool_id,
            "user_pool_client_id": self.provisioned.user_pool_client_id,
            "organiser": {"username": organiser.username, "password": organiser.password,
                          "totp_secret": self.provisioned.totp_secrets[organiser.username]},
            "member": {"username": member.username, "password": member.password,
                       "totp_secret": self.provisioned.totp_secrets[member.username]},
            "event_start": settings["EVENT_START"],
            "event_end": settings["EVENT_END"],
        }
        self.state_dir.mkdir(parents=True, exist_ok=True)
        # Written whole, then renamed: whoever waits for the file never reads half of it.
        partial = self.state_dir / "stack.json.partial"
        partial.write_text(json.dumps(info, indent=2) + "\n")
        partial.chmod(0o600)  # it holds local passwords
        partial.replace(self.state_dir / "stack.json")
        return info

    def _start_sources(self, session: Any, invoker: Invoker, tz: str) -> None:
        assert self.provisioned is not None
        sqs = session.client("sqs")
        for fn in self.wiring.functions:
            for source in fn.queue_sources:
                poller = QueuePoller(
                    sqs, invoker, fn, source,
                    self.provisioned.queue_urls[source.queue],
                    self.provisioned.queue_arns[source.queue], self._stop,
                )
                threading.Thread(target=poller.run, daemon=True, name=fn.name).start()
            for stream_source in fn.stream_sources:
                streamer = StreamPoller(
                    session.client("dynamodbstreams"), invoker, fn, stream_source,
                    self.provisioned.stream_arn, self._stop, sqs=sqs,
                    dead_letter_url=self.provisioned.queue_urls[stream_source.dead_letter],
                )
                self.stream_pollers.append(streamer)
                threading.Thread(target=streamer.run, daemon=True, name=fn.name).start()
            for schedule in fn.schedules:
                ticker = Ticker(invoker, fn, schedule, tz, self._stop)
                self.tickers[schedule.name] = ticker
                threading.Thread(target=ticker.run, daemon=True, name=schedule.name).start()

    def _local_hook(self, method: str, path: str) -> dict[str, Any] | None:
        """`POST /_local/schedules/{name}` fires a schedule now (what Scheduler does on time);
        `GET /_local/media/public/...` serves published images (what CloudFront does)."""
        if method in ("GET", "HEAD") and path.startswith(MEDIA_PATH):
            return self._media(path.removeprefix(MEDIA_PATH))
        parts = path.strip("/").split("/")
        if method == "POST" and len(parts) == 3 and parts[1] == "schedules":
            ticker = self.tickers.get(parts[2])
            if ticker is None:
                return {"statusCode": 404, "body": '{"message":"no such schedule"}'}
            result = ticker.fire()
            return {"statusCode": 200, "headers": {"content-type": "application/json"},
                    "body": json.dumps(result, default=str)}
        return None

    def _media(self, key: str) -> dict[str, Any]:
        """The local CDN: like CloudFront's origin access control, it reads `public/` only."""
        import base64

        from botocore.exceptions import ClientError

        assert self.provisioned is not None
        if not key.startswith("public/") or ".." in key:
            return {"statusCode": 403, "body": "Forbidden"}
        try:
            found = self._s3.get_object(Bucket=self.provisioned.bucket_names["media"], Key=key)
        except ClientError:
            return {"statusCode": 404, "body": "Not Found"}  # taken down, erased or never there
        headers = {"content-type": found.get("ContentType", "application/octet-stream")}
        if found.get("CacheControl"):
            headers["cache-control"] = found["CacheControl"]
        return {"statusCode": 200, "headers": headers, "isBase64Encoded": True,
                "body": base64.b64encode(found["Body"].read()).decode()}

    def stop(self) -> None:
        self._stop.set()
        if self._gateway:
            self._gateway.stop()
        if self._moto:
            self._moto.stop()
