"""The resource template's tables are exactly the tables the code declares.

The pynamodb models (and Powertools' idempotency table) are the truth: keys, key
attribute types, global secondary indexes with their projections, TTL attribute
and stream. A model added, or an index or TTL changed, without the same change in
infra/resources.yaml fails here; so does a table in the template no model uses.
"""
from __future__ import annotations

import pytest

from chalicelib.storage.models import LIST_FIELDS, EventModel, OrderModel
from chalicelib.storage.tables import MODELS, CounterModel, OutboxModel
from tests.infra.cfn import RESOURCES, load, render, resources_of_type
from tests.infra.tables import expected_tables, model_spec, template_spec


@pytest.fixture(scope="module")
def template() -> dict:
    return load(RESOURCES)


@pytest.fixture(scope="module")
def table_prefix(template) -> str:
    """The stage's table prefix as the template writes it ("suqiu-${StageName}"): its TablePrefix output."""
    (prefix,) = render(template["Outputs"]["TablePrefix"]["Value"])
    assert "${" in prefix, f"the table prefix {prefix!r} does not come from a parameter"
    return prefix


@pytest.fixture(scope="module")
def template_tables(template, table_prefix) -> dict[str, dict]:
    """The template's tables by the name after the prefix ("orders"), with their properties."""
    tables = {}
    for logical_id, resource in resources_of_type(template, "AWS::DynamoDB::Table").items():
        (name,) = render(resource["Properties"]["TableName"])
        assert name.startswith(f"{table_prefix}-"), f"{logical_id}: {name!r} is not named '{table_prefix}-…'"
        suffix = name[len(table_prefix) + 1:]
        assert suffix not in tables, f"two tables named {name!r}"
        tables[suffix] = resource["Properties"]
    return tables


def test_the_template_has_exactly_the_tables_the_code_uses(template_tables):
    assert set(template_tables) == set(expected_tables())


@pytest.mark.parametrize("suffix", sorted(expected_tables()))
def test_table_keys_indexes_ttl_and_stream_match_the_code(template_tables, suffix):
    assert suffix in template_tables, f"no table '{suffix}' in {RESOURCES.name}"
    assert template_spec(template_tables[suffix]) == expected_tables()[suffix]


@pytest.mark.parametrize("suffix", sorted(expected_tables()))
def test_table_is_on_demand_recoverable_and_encrypted(template_tables, suffix):
    properties = template_tables[suffix]
    assert properties.get("BillingMode") == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in properties
    assert properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled") is True
    assert properties.get("SSESpecification", {}).get("SSEEnabled") is True


def test_index_projections_list_no_key_attribute(template_tables):
    """DynamoDB projects every key itself and refuses keys among NonKeyAttributes."""
    checked = []
    for properties in template_tables.values():
        keys = {k["AttributeName"] for k in properties["KeySchema"]}
        for index in properties.get("GlobalSecondaryIndexes", []):
            own = keys | {k["AttributeName"] for k in index["KeySchema"]}
            assert not own & set(index["Projection"].get("NonKeyAttributes", [])), index["IndexName"]
            checked.append(index["IndexName"])
    assert len(checked) == sum(len(model._indexes) for model in MODELS)


def test_the_model_side_reads_what_the_models_declare():
    """The expected side is not empty or blind: it sees each part the comparison checks."""
    spec = model_spec(OrderModel)
    assert spec["keys"] == {"HASH": "tracking_no"}
    assert spec["attributes"]["created_key"] == "S" and spec["attributes"]["next_check_at"] == "S"
    assert spec["indexes"]["by-next-check"] == {
        "keys": {"HASH": "check_partition", "RANGE": "next_check_at"},
        "projection": "KEYS_ONLY",
        "non_key": frozenset(),
    }
    assert spec["indexes"]["by-unit"]["non_key"] == frozenset(LIST_FIELDS) - {"unit"}
    assert "unit" in spec["indexes"]["by-state"]["non_key"]
    assert model_spec(OutboxModel)["stream"] == "NEW_IMAGE"
    assert model_spec(CounterModel)["ttl"] == "expires_at"
    assert model_spec(EventModel)["keys"] == {"HASH": "tracking_no", "RANGE": "seq"}
