"""Deployment settings, read from the environment.

Everything that differs between stages or accounts comes from here; nothing
account- or region-specific is written in the code. The table names are read
when the storage module is imported (pynamodb needs them on the model class),
so tests and the local stack set the environment before importing ``app``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Settings:
    stage: str
    city_file: str
    table_prefix: str
    media_bucket: str
    auth_issuer: str
    auth_audience: str
    auth_jwks_url: str
    auth_roles_claim: str
    auth_unit_claim: str
    # The staff pages' sign-in (OpenID Connect, authorization code with PKCE): where the browser
    # goes to sign in and where it trades the code for tokens; empty when not configured.
    auth_authorize_url: str
    auth_token_url: str
    auth_client_id: str
    # The staff user pool, whose accounts are a unit's people (承办人); empty: nobody can be listed.
    staff_user_pool_id: str
    field_key: str | None
    field_key_parameter: str | None
    # The crypto suite of contact sealing and keyed hashes: "aes" or "gm" (国密: SM4, SM3); fixed
    # for the life of a stack (adapters/crypto.py).
    crypto_suite: str
    upload_ttl_seconds: int
    media_link_ttl_seconds: int
    notify_queue: str  # the SQS queue of outgoing SMS; its dead-letter queue is "<name>-dlq"
    imports_queue: str  # the SQS queue of batch imports' slices of rows; its dead-letter queue is "<name>-dlq"
    sms_sender: str  # who sends the SMS: "sns", "yunpian" (aws-cn) or "console" (adapters/sms.py)
    sms_api_key_parameter: str  # the SMS provider's API key, an SSM SecureString; empty for SNS
    outbox_stream_arn: str  # the outbox table's stream, which feeds that queue (known after the table is made)
    # A raster tile layer under the dashboard's map ("https://…/{z}/{x}/{y}.png", WGS-84 / Web
    # Mercator), and its attribution; empty: the city's shapes alone, which need no internet.
    map_tile_url: str
    map_tile_attribution: str

    def table(self, name: str) -> str:
        return f"{self.table_prefix}-{name}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    issuer = env.get("AUTH_ISSUER", "").rstrip("/")
    prefix = env.get("TABLE_PREFIX", "suqiu-dev")
    return Settings(
        stage=env.get("STAGE", "dev"),
        city_file=env.get("CITY_FILE", "liaoyuan.yaml"),
        table_prefix=prefix,
        media_bucket=env.get("MEDIA_BUCKET", "suqiu-dev-media"),
        auth_issuer=issuer,
        auth_audience=env.get("AUTH_AUDIENCE", ""),
        # Cognito publishes its keys at this path under the issuer.
        auth_jwks_url=env.get("AUTH_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
        auth_roles_claim=env.get("AUTH_ROLES_CLAIM", "cognito:groups"),
        auth_unit_claim=env.get("AUTH_UNIT_CLAIM", "custom:unit"),
        auth_authorize_url=env.get("AUTH_AUTHORIZE_URL", ""),
        auth_token_url=env.get("AUTH_TOKEN_URL", ""),
        # The pages' client is the audience of the ID tokens it gets.
        auth_client_id=env.get("AUTH_CLIENT_ID") or env.get("AUTH_AUDIENCE", ""),
        staff_user_pool_id=env.get("STAFF_USER_POOL_ID", ""),
        field_key=env.get("FIELD_KEY"),
        field_key_parameter=env.get("FIELD_KEY_PARAMETER"),
        crypto_suite=env.get("CRYPTO_SUITE", "aes"),
        upload_ttl_seconds=int(env.get("UPLOAD_TTL_SECONDS", "900")),
        media_link_ttl_seconds=int(env.get("MEDIA_LINK_TTL_SECONDS", "300")),
        notify_queue=env.get("NOTIFY_QUEUE") or f"{prefix}-notify",
        imports_queue=env.get("IMPORTS_QUEUE") or f"{prefix}-imports",
        sms_sender=env.get("SMS_SENDER", "sns"),
        sms_api_key_parameter=env.get("SMS_API_KEY_PARAMETER", ""),
        # The placeholder serves the local stack and the tests, which find the stream themselves.
        outbox_stream_arn=env.get("OUTBOX_STREAM_ARN") or f"arn:aws:dynamodb:::table/{prefix}-outbox/stream/local",
        map_tile_url=env.get("MAP_TILE_URL", ""),
        map_tile_attribution=env.get("MAP_TILE_ATTRIBUTION", ""),
    )
