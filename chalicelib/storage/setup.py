"""Set-up (local stack and tests; the cloud gets its tables from infra/)."""
from __future__ import annotations

from chalicelib.storage.models import connection
from chalicelib.storage.tables import IDEMPOTENCY_TABLE, MODELS


def create_tables() -> None:
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True)
    client = connection().client
    if IDEMPOTENCY_TABLE not in client.list_tables()["TableNames"]:
        client.create_table(
            TableName=IDEMPOTENCY_TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
