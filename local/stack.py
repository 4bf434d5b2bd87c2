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
from shared.cdn import API_PREFIX

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
    """The site's `/config.js` (generated, never committed): the API on the pages' own origin
    under `/api`, as the cloud's CDN serves it, and the local Cognito."""
    config = {
        "apiUrl": API_PREFIX,
        "cognitoEndpoint": cognito_endpoint,
        "region": region,
        "userPoolClientId": client_id,
    }
    return f"export default {json.dumps(config)};\n".encode()


def allow_browser_uploads(s3: Any, bucket: str, origin: str) -> None:
    """The site POSTs files straight to the bucket, as in the cloud (constructs/storage.py)."""
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": [origin],
                    "AllowedMethods": ["POST", "GET"],
                    "AllowedHeaders": ["*"],
                    "MaxAgeSeconds": 3000,
                }
            ]
        },
    )


def _local_user(role: str) -> User:
    """A user with a fresh password (the pool's policy: upper, lower, digit, symbol)."""
    password = f"{role.capitalize()}-{secrets.token_urlsafe(9)}1!"
    return User(role, password, f"{role}@techognition.local")


def _credentials(user: User, provisioned: Provisioned) -> dict[str, str]:
    """How a test or a person signs in as `user`: password and authenticator secret."""
    return {
        "username": user.username,
        "password": user.password,
        "totp_secret": provisioned.totp_secrets[user.username],
    }


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

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per AWS call otherwise
        serialise_dynamodb()  # the gateway runs functions concurrently, as Lambda would
        self._start_aws()
        import boto3

        session = boto3.session.Session(region_name=REGION)
        organiser, member = _local_user("organiser"), _local_user("member")
        invoker = Invoker()
        # The gateway needs its port before the environment is final (SITE_URL), and the
        # environment must be final before any handler module is imported.
        verifier = JwtVerifier("", "", "")
        gateway = self._start_gateway(invoker, verifier)
        tz = self.overrides.get("EVENT_TZ", "Europe/London")
        settings = default_settings(datetime.now(ZoneInfo(tz)).date(), self.api_url)
        settings.update(self.overrides)
        provisioned = self._provision(session, settings, (organiser, member), verifier)
        self._s3 = session.client("s3")
        self._start_sources(session, invoker, tz)
        self._serve_site(gateway, provisioned, session)
        info = {
            "api_url": self.api_url,
            "aws_endpoint_url": self.aws_endpoint_url,
            "region": REGION,
            "user_pool_id": provisioned.user_pool_id,
            "user_pool_client_id": provisioned.user_pool_client_id,
            "organiser": _credentials(organiser, provisioned),
            "member": _credentials(member, provisioned),
            "event_start": settings["EVENT_START"],
            "event_end": settings["EVENT_END"],
        }
        self._write_state(info)
        return info

    def _start_aws(self) -> None:
        """moto behind S3's checks of browser POST uploads (moto alone stores any form); the
        checks know the one key pair the functions sign their forms with. The process's AWS
        environment then points at it."""
        from local.s3_post_guard import GuardedMotoServer

        self._moto = GuardedMotoServer(
            self.host, self.aws_port, credentials={ACCESS_KEY: SECRET_KEY}, region=REGION
        )
        self._moto.start()
        aws_host, aws_port = self._moto.get_host_and_port()
        self.aws_endpoint_url = f"http://{aws_host}:{aws_port}"
        os.environ.update(
            {
                "AWS_ENDPOINT_URL": self.aws_endpoint_url,
                "AWS_ACCESS_KEY_ID": ACCESS_KEY,
                "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                # Cognito checks authenticator codes, as the cloud pool (MFA required) does
                "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true",
            }
        )

    def _start_gateway(self, invoker: Invoker, verifier: JwtVerifier) -> Gateway:
        self._gateway = gateway = Gateway(
            self.wiring,
            invoker,
            verifier,
            site_dir=build_site(self.state_dir / "site"),  # pages rendered
            extra=self._local_hook,
        )
        port = gateway.serve(self.host, self.api_port)
        self.api_url = f"http://{self.host}:{port}"
        return gateway

    def _provision(
        self,
        session: Any,
        settings: dict[str, str],
        users: tuple[User, User],
        verifier: JwtVerifier,
    ) -> Provisioned:
        """The wiring's resources and the two users in moto; the gateway's JWT checks name the
        pool; the functions' environment is final (before any handler module is imported)."""
        organiser, member = users
        provisioned = provision(self.wiring, session, sender_email=settings["SENDER_EMAIL"])
        self.provisioned = provisioned
        provision_users(
            session.client("cognito-idp"), provisioned, organiser=organiser, member=member
        )
        pool_id = provisioned.user_pool_id
        verifier.jwks_url = f"{self.aws_endpoint_url}/{pool_id}/.well-known/jwks.json"
        verifier.issuer = f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"
        verifier.audience = provisioned.user_pool_client_id
        os.environ.update(
            environment(
                table_name=provisioned.table_name,
                media_bucket=provisioned.bucket_names["media"],
                media_base_url=f"{self.api_url}{MEDIA_PATH}",
                settings={"SES_CONFIGURATION_SET": provisioned.ses_configuration_set, **settings},
                queue_urls=provisioned.queue_urls,
            )
        )
        return provisioned

    def _serve_site(self, gateway: Gateway, provisioned: Provisioned, session: Any) -> None:
        """/config.js for the pages, their CSP, and the bucket CORS the cloud sets for browser
        POSTs."""
        gateway.generated["/config.js"] = (
            "text/javascript",
            site_config(self.aws_endpoint_url, REGION, provisioned.user_pool_client_id),
        )
        # Cognito, the bucket's presigned POSTs and the console's presigned GETs of private
        # photos are all the embedded AWS endpoint here.
        gateway.content_security_policy = content_security_policy(
            connect=(self.aws_endpoint_url,), images=(self.aws_endpoint_url,)
        )
        allow_browser_uploads(session.client("s3"), provisioned.bucket_names["media"], self.api_url)

    def _write_state(self, info: dict[str, Any]) -> None:
        """`.local/stack.json`, written whole, then renamed: whoever waits for the file never
        reads half of it."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        partial = self.state_dir / "stack.json.partial"
        partial.write_text(json.dumps(info, indent=2) + "\n")
        partial.chmod(0o600)  # it holds local passwords
        partial.replace(self.state_dir / "stack.json")

    def _start_sources(self, session: Any, invoker: Invoker, tz: str) -> None:
        assert self.provisioned is not None
        sqs = session.client("sqs")
        for fn in self.wiring.functions:
            for source in fn.queue_sources:
                poller = QueuePoller(
                    sqs,
                    invoker,
                    fn,
                    source,
                    self.provisioned.queue_urls[source.queue],
                    self.provisioned.queue_arns[source.queue],
                    self._stop,
                )
                threading.Thread(target=poller.run, daemon=True, name=fn.name).start()
            for stream_source in fn.stream_sources:
                streamer = StreamPoller(
                    session.client("dynamodbstreams"),
                    invoker,
                    fn,
                    stream_source,
                    self.provisioned.stream_arn,
                    self._stop,
                    sqs=sqs,
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
            return {
                "statusCode": 200,
                "headers": {"content-type": "application/json"},
                "body": json.dumps(result, default=str),
            }
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
        return {
            "statusCode": 200,
            "headers": headers,
            "isBase64Encoded": True,
            "body": base64.b64encode(found["Body"].read()).decode(),
        }

    def stop(self) -> None:
        self._stop.set()
        if self._gateway:
            self._gateway.stop()
        if self._moto:
            self._moto.stop()
