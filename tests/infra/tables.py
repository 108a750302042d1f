"""The tables as the code declares them and as a template writes them, in one comparable shape.

The pynamodb models (and Powertools' idempotency table) are the truth: ``expected_tables`` gives
their specs by the table name after the stage prefix ("orders"), ``template_spec`` reads a
template's AWS::DynamoDB::Table properties into the same shape. Shared by the infra tests that
check a template or a stack against the models (a helper, not a test module: tests/test_imports.py).
"""
from __future__ import annotations

from pynamodb.attributes import TTLAttribute

from chalicelib.storage.tables import IDEMPOTENCY_TABLE, MODELS
from chalicelib.settings import get_settings

# Powertools' DynamoDBPersistenceLayer defaults (services/idempotency.py keeps them).
IDEMPOTENCY_SPEC = {
    "keys": {"HASH": "id"},
    "attributes": {"id": "S"},
    "indexes": {},
    "local_indexes": {},
    "ttl": "expiration",
    "stream": None,
}


def suffix_of(table_name: str) -> str:
    prefix = f"{get_settings().table_prefix}-"
    assert table_name.startswith(prefix), table_name
    return table_name[len(prefix):]


_PYNAMODB = ("index_name", "key_schema", "projection")
_CLOUDFORMATION = ("IndexName", "KeySchema", "Projection")


def _indexes(indexes, table_keys: set[str], name: str, key_schema: str, projection: str) -> dict[str, dict]:
    """Indexes by name: keys, projection type, and the attributes projected besides the keys.

    DynamoDB projects the table's and the index's keys into every index whatever the
    list says, so they are left out on both sides (the models' LIST_FIELDS name the list
    indexes' own keys; the template may not, as DynamoDB refuses them there).
    """
    specs = {}
    for index in indexes:
        keys = {k["KeyType"]: k["AttributeName"] for k in index[key_schema]}
        listed = frozenset(index[projection].get("NonKeyAttributes", ()))
        specs[index[name]] = {
            "keys": keys,
            "projection": index[projection]["ProjectionType"],
            "non_key": listed - table_keys - set(keys.values()),
        }
    return specs


def model_spec(model) -> dict:
    """What pynamodb would create for ``model`` (its own create_table schema), as comparable values."""
    schema = model._get_schema()
    ttl = [attr.attr_name for attr in model.get_attributes().values() if isinstance(attr, TTLAttribute)]
    assert len(ttl) <= 1, f"{model.__name__}: DynamoDB allows one TTL attribute per table"
    keys = {k["KeyType"]: k["AttributeName"] for k in schema["key_schema"]}
    return {
        "keys": keys,
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]},
        "indexes": _indexes(schema["global_secondary_indexes"], set(keys.values()), *_PYNAMODB),
        "local_indexes": _indexes(schema["local_secondary_indexes"], set(keys.values()), *_PYNAMODB),
        "ttl": ttl[0] if ttl else None,
        "stream": getattr(model.Meta, "stream_view_type", None),
    }


def expected_tables() -> dict[str, dict]:
    specs = {suffix_of(model.Meta.table_name): model_spec(model) for model in MODELS}
    specs[suffix_of(IDEMPOTENCY_TABLE)] = IDEMPOTENCY_SPEC
    return specs


def template_spec(properties: dict) -> dict:
    ttl = properties.get("TimeToLiveSpecification")
    stream = properties.get("StreamSpecification")
    keys = {k["KeyType"]: k["AttributeName"] for k in properties["KeySchema"]}
    return {
        "keys": keys,
        "attributes": {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]},
        "indexes": _indexes(properties.get("GlobalSecondaryIndexes", ()), set(keys.values()), *_CLOUDFORMATION),
        "local_indexes": _indexes(properties.get("LocalSecondaryIndexes", ()), set(keys.values()), *_CLOUDFORMATION),
        "ttl": ttl["AttributeName"] if ttl and ttl.get("Enabled") is True else None,
        "stream": stream["StreamViewType"] if stream else None,
    }

