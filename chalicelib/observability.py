"""Logging and metrics (Powertools), shared by every handler.

What is logged is chosen here and in the HTTP middleware only: the route
template, never the query string (it may hold a query code), and never a
request body (it may hold a name or a phone number).
"""
from __future__ import annotations

import warnings

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger(service="suqiu")
metrics = Metrics(namespace="Suqiu", service="suqiu")

# Most requests add no metric; Powertools would warn about each of them in the logs.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)


def count(name: str) -> None:
    """One business event (RequestSubmitted, OrderAction.sign, …), flushed at the end of the invocation."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
