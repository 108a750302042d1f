"""The environment the tests and the benchmark run the app in: moto, no AWS account.

Set it before importing ``app``: the settings, pynamodb and Powertools read it at
import. ``AUTH_ISSUER`` is added by whoever starts the token issuer (tests/token_issuer.py).
"""
import base64
from contextlib import contextmanager

TEST_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # moto does not match botocore's account-based endpoints.
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "TABLE_PREFIX": "suqiu-test",
    "MEDIA_BUCKET": "suqiu-test-media",
    "FIELD_KEY": base64.b64encode(b"k" * 32).decode(),  # a test key, known to all
    "AUTH_AUDIENCE": "suqiu-test",
    "POWERTOOLS_SERVICE_NAME": "suqiu",
    "POWERTOOLS_METRICS_NAMESPACE": "SuqiuTest",
}


# The caller's address: API Gateway's requestContext.identity.sourceIp, which chalice.test's client
# always makes 127.0.0.1. A caller names another one in this header, which the event converter takes
# out again (the app never sees it): the rate limits count per address.
SOURCE_IP_HEADER = "x-test-source-ip"


def from_address(ip: str | None, headers: dict | None = None) -> dict:
    """``headers`` for a request that comes from ``ip`` (None: chalice.test's own 127.0.0.1)."""
    return {**(headers or {}), **({SOURCE_IP_HEADER: ip} if ip else {})}


@contextmanager
def source_addresses():
    """While open, chalice.test's requests come from the address ``from_address`` named."""
    from chalice.local import LambdaEventConverter  # chalice is a development dependency

    create_lambda_event = LambdaEventConverter.create_lambda_event

    def create(self, method, path, headers, body=None):
        headers = dict(headers)
        ip = headers.pop(SOURCE_IP_HEADER, None)
        event = create_lambda_event(self, method, path, headers, body)
        if ip:
            event["requestContext"]["identity"]["sourceIp"] = ip
        return event

    LambdaEventConverter.create_lambda_event = create
    try:
        yield
    finally:
        LambdaEventConverter.create_lambda_event = create_lambda_event
