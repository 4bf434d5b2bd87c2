"""The Powertools singletons every function shares: one logger, one metrics namespace.

No tracer: importing the X-Ray SDK costs a quarter of a second of cold start, and Lambda's
active tracing records every invocation and AWS call segment without it.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="techognition")
metrics = Metrics(namespace="Techognition", service="techognition")
