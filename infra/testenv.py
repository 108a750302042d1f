"""The environment the tests and the benchmark run the app in: moto, no AWS account.

Set it before importing ``app``: the settings, pynamodb and Powertools read it at
import. ``AUTH_ISSUER`` is added by whoever starts the local issuer.
"""
import base64

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
