"""Names and limits of the CDK app, in one place (what the wiring does not say)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from shared import media  # the bucket's key layout

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
STACK_ID: Final = "TechognitionStack"
CONTEXT_KEY: Final = "techognition"  # cdk.json context key holding the event configuration

# Lambda: the runtime and the platform pip resolves wheels for must agree.
PIP_PLATFORM: Final = "manylinux2014_aarch64"
PIP_PYTHON_VERSION: Final = "3.13"
BUNDLE_FORMAT_VERSION: Final = "3"  # bump to force new asset hashes when bundling.py changes
PRESCREEN: Final = "rekognition"
# The Rekognition calls each pre-screen setting makes (shared/prescreen.py), and so may make.
PRESCREEN_ACTIONS: Final = {
    "all": ("rekognition:DetectModerationLabels", "rekognition:DetectFaces"),
    "faces": ("rekognition:DetectFaces",),
    "off": (),
}

# Never part of a code asset (CDK's view of the source; the bundler filters with BUNDLE_IGNORE).
ASSET_EXCLUDE: Final = ("**/__pycache__", "**/*.pyc", "tests")
BUNDLE_IGNORE: Final = ("__pycache__", "*.pyc", "tests", "test_*.py")

# Queues
DLQ_RETENTION_DAYS: Final = 14

# HTTP API (default stage)
API_THROTTLE_RATE: Final = 200  # requests per second, steady state
API_THROTTLE_BURST: Final = 400

# S3
MULTIPART_ABORT_DAYS: Final = 1
BROWSER_POST_CORS_MAX_AGE_S: Final = 3000
PUBLIC_PREFIX: Final = media.PUBLIC_PREFIX  # the only prefix CloudFront may read
ACCESS_LOG_PREFIX_S3: Final = "s3/"
ACCESS_LOG_PREFIX_CDN: Final = "cloudfront/"

# Site: pages and scripts are cached this long (each deploy also invalidates the CDN);
# config.js is never cached.
SITE_CACHE_MINUTES: Final = 5

# Cognito
ORGANISERS_GROUP: Final = "organisers"
PASSWORD_MIN_LENGTH: Final = 12

# Scheduler
SCHEDULE_GRACE_DAYS: Final = 3  # schedules keep running after the event for late moderation
SCHEDULE_RETRY_ATTEMPTS: Final = 3
SCHEDULE_MAX_EVENT_AGE_S: Final = 3600

# Observability
ALARM_PERIOD_MINUTES: Final = 5
METRICS_NAMESPACE: Final = "Techognition"  # shared.observability.metrics
METRICS_SERVICE: Final = "techognition"  # Powertools adds it as the `service` dimension
BACKLOG_METRIC: Final = "ModerationBacklogAgeSeconds"  # emitted hourly by prizedraw-nightly
BACKLOG_ALARM_HOURS: Final = 6
BACKLOG_ALARM_PERIODS: Final = 2  # hourly datapoints above the threshold before alarming

# CloudWatch Logs accepts only these retention periods (days).
LOG_RETENTION_CHOICES: Final = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
