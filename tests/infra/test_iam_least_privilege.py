"""Least privilege: every permission the packaged template grants names its actions and resources.

Every policy statement in the template (roles' inline policies, AWS::IAM::Policy and
AWS::IAM::ManagedPolicy resources, a SAM function's own Policies) is checked:
- no action with a wildcard ("*", "dynamodb:*", "s3:Get*"): only the actions used;
- an Allow names its resources: no Resource "*", no NotAction / NotResource, and a
  wildcard only after a name of this stack ("${Table.Arn}/index/*", "${Bucket.Arn}/media/*",
  "log-group:/aws/lambda/${AWS::StackName}-*"), never in place of one ("table/*", "arn:aws:sqs:*:*:*").
The one documented exception: SMS goes to phone numbers, which are not resources, so
sns:Publish — and only sns:Publish — may have Resource "*".
AWS-managed policies cannot be read here, so none may be attached.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from chalicelib.settings import get_settings
from tests.infra.cfn import render, resources_of_type

SMS_EXCEPTION = frozenset({"sns:Publish"})
# Pseudo parameters say where, not what: a wildcard after only these names nothing.
_WHERE = {"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::URLSuffix"}
_REFERENCE = re.compile(r"\$\{([^}]*)\}")


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_documents(template: dict) -> Iterator[tuple[str, dict]]:
    """(where, policy document) for every permission policy in the template."""
    for name, role in resources_of_type(template, "AWS::IAM::Role").items():
        for policy in role["Properties"].get("Policies", []):
            yield f"{name}/{policy.get('PolicyName')}", policy["PolicyDocument"]
    for name, policy in resources_of_type(template, "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy").items():
        yield name, policy["Properties"]["PolicyDocument"]
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        for index, policy in enumerate(_as_list(function.get("Properties", {}).get("Policies", []))):
            if isinstance(policy, dict) and "Statement" in policy:
                yield f"{name}/Policies/{index}", policy


def unreadable_policy_problems(template: dict) -> list[str]:
    """Policies whose statements the template does not hold: AWS-managed ones, SAM policy templates."""
    problems = []
    for name, role in resources_of_type(template, "AWS::IAM::Role").items():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            if any(":iam::aws:policy/" in text for text in render(arn)):
                problems.append(f"{name}: AWS-managed policy {render(arn)}")
    for name, function in resources_of_type(template, "AWS::Serverless::Function").items():
        for policy in _as_list(function.get("Properties", {}).get("Policies", [])):
            if not (isinstance(policy, dict) and "Statement" in policy):
                problems.append(f"{name}: SAM policy {policy!r}")
    return problems


def _names_something(resource: str) -> bool:
    """A wildcard resource is named if a reference to this stack comes before its first "*"."""
    before = resource.split("*", 1)[0]
    masked = _REFERENCE.sub(lambda m: "{where}" if m[1] in _WHERE else "{named}", before)
    if masked.startswith("arn:"):
        parts = masked.split(":", 5)
        if len(parts) < 6:  # the wildcard is in the service, region or account
            return False
        masked = parts[5]
    return "{named}" in masked


def statement_problems(statement: dict) -> list[str]:
    if statement.get("Effect") not in ("Allow", "Deny"):
        return [f"cannot read {statement!r} as a statement"]
    if statement["Effect"] == "Deny":
        return []  # a Deny only takes away
    problems = [f"{key} in an Allow" for key in ("NotAction", "NotResource") if key in statement]
    actions = [a for value in _as_list(statement.get("Action", [])) for a in render(value)]
    resources = [r for value in _as_list(statement.get("Resource", [])) for r in render(value)]
    problems += [f"action {a!r} has a wildcard" for a in actions if "*" in a]
    if not resources and "NotResource" not in statement:
        problems.append("no Resource")
    for resource in resources:
        if resource == "*":
            if set(actions) != SMS_EXCEPTION:
                problems.append(f"Resource '*' for {sorted(set(actions))}: only sns:Publish (SMS) may have it")
        elif "*" in resource and not _names_something(resource):
            problems.append(f"resource {resource!r} is a wildcard, not a named resource")
    return problems


def alternatives(node) -> list:
    """What a statement can be: both branches of an Fn::If, nothing for AWS::NoValue."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        _, when_true, when_false = node["Fn::If"]
        return alternatives(when_true) + alternatives(when_false)
    if node == {"Ref": "AWS::NoValue"}:
        return []
    return [node]


def statements(document: dict) -> list[dict]:
    return [s for item in _as_list(document.get("Statement", [])) for s in alternatives(item)]


def template_problems(template: dict) -> list[str]:
    problems = unreadable_policy_problems(template)
    for where, document in policy_documents(template):
        for statement in statements(document):
            problems += [f"{where} {statement.get('Sid', '')}: {p}" for p in statement_problems(statement)]
    return problems


def test_packaged_template_grants_only_named_actions_on_named_resources(packaged):
    _, template = packaged
    assert list(policy_documents(template)), "the template grants nothing: the functions' role is missing"
    assert template_problems(template) == []


def test_every_function_runs_with_a_role_of_this_template(packaged):
    """A function without a role of its own would get SAM's default one, with AWS-managed policies."""
    _, template = packaged
    roles = resources_of_type(template, "AWS::IAM::Role")
    functions = resources_of_type(template, "AWS::Serverless::Function", "AWS::Lambda::Function")
    assert functions
    for name, function in functions.items():
        role = function["Properties"].get("Role")
        assert role is not None and render(role) in [[f"${{{r}.Arn}}"] for r in roles], f"{name}: Role {role!r}"


# ---- the checker can fail --------------------------------------------------------

def _role(*statements: dict, managed: tuple = ()) -> dict:
    properties = {
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}}]
    }
    if managed:
        properties["ManagedPolicyArns"] = list(managed)
    return {"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": properties}}}


def allow(action, resource, **more) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **more}


def sub(text: str) -> dict:
    return {"Fn::Sub": text}


def if_sns(statement: dict) -> dict:
    return {"Fn::If": ["UsesSns", statement, {"Ref": "AWS::NoValue"}]}


TABLE = {"Fn::GetAtt": ["OrdersTable", "Arn"]}
HERE = "${AWS::Region}:${AWS::AccountId}"
OWN_LOG_GROUPS = "log-group:/aws/lambda/${AWS::StackName}-*"
VIA_SSM = {"StringEquals": {"kms:ViaService": sub("ssm.${AWS::Region}.${AWS::URLSuffix}")}}


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(allow("*", TABLE), id="star-action"),
        pytest.param(allow("dynamodb:*", TABLE), id="service-star"),
        pytest.param(allow(["dynamodb:GetItem", "dynamodb:Batch*"], TABLE), id="action-pattern"),
        pytest.param(allow("dynamodb:GetItem", "*"), id="star-resource"),
        pytest.param(allow(["sns:Publish", "sns:CreateTopic"], "*"), id="sms-plus-more"),
        pytest.param(allow("dynamodb:GetItem", sub(f"arn:${{AWS::Partition}}:dynamodb:{HERE}:table/*")), id="all-tables"),
        pytest.param(allow("sqs:SendMessage", sub("arn:${AWS::Partition}:sqs:*:${AWS::AccountId}:${Queue.QueueName}")),
                     id="any-region"),
        pytest.param(allow("kms:Decrypt", sub(f"arn:${{AWS::Partition}}:kms:{HERE}:key/*"), Condition=VIA_SSM),
                     id="any-key-via-ssm"),
        pytest.param(allow("s3:GetObject", "arn:aws:s3:::*"), id="all-buckets"),
        pytest.param(allow("s3:GetObject", {"Fn::If": ["Cn", "*", sub("${Bucket.Arn}/media/*")]}), id="one-branch-star"),
        pytest.param({"Effect": "Allow", "NotAction": "iam:*", "Resource": TABLE}, id="not-action"),
        pytest.param({"Effect": "Allow", "Action": "s3:GetObject", "NotResource": TABLE}, id="not-resource"),
        pytest.param(if_sns(allow("sqs:*", TABLE)), id="in-a-condition"),
    ],
)
def test_the_checker_flags_a_wildcard_grant(statement):
    assert template_problems(_role(statement))


def test_the_checker_flags_policies_it_cannot_read():
    managed = sub("arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    assert template_problems(_role(managed=(managed,)))
    sam_template = {"DynamoDBCrudPolicy": {"TableName": "t"}}
    function = {"Type": "AWS::Serverless::Function", "Properties": {"Policies": [sam_template]}}
    assert template_problems({"Resources": {"Fn": function}})


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(allow("dynamodb:Query", [TABLE, sub("${OrdersTable.Arn}/index/*")]), id="table-indexes"),
        pytest.param(allow("s3:PutObject", {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/uploads/*"]]}),
                     id="bucket-prefix"),
        pytest.param(allow("logs:PutLogEvents", sub(f"arn:${{AWS::Partition}}:logs:{HERE}:{OWN_LOG_GROUPS}")),
                     id="own-log-groups"),
        pytest.param(allow("sns:Publish", "*"), id="sms"),
        pytest.param(if_sns(allow(["sns:Publish"], "*")), id="sms-if-sns"),
        pytest.param({"Effect": "Deny", "Action": "*", "Resource": "*"}, id="deny"),
    ],
)
def test_the_checker_passes_named_grants(statement):
    assert template_problems(_role(statement)) == []


# ---- the roles cover what the code reads ---------------------------------------------

# Which function queries which index of which table; a new index must be placed here.
# Intake's duplicate lookup (by-phone, by-cell) runs in the API and for each imported row.
INDEX_READERS = {
    "OrdersTable/by-unit": "ApiHandlerRole",
    "OrdersTable/by-state": "ApiHandlerRole",
    "OrdersTable/by-unit-urgency": "ApiHandlerRole",  # the queue in the working order
    "OrdersTable/by-state-urgency": "ApiHandlerRole",
    "OrdersTable/by-phone": ("ApiHandlerRole", "ImportRowsRole"),
    "OrdersTable/by-publication": "ApiHandlerRole",
    "OrdersTable/by-cell": ("ApiHandlerRole", "ImportRowsRole"),
    "OrdersTable/by-next-check": "EscalateRole",
    "HotspotsTable/by-raised": "ApiHandlerRole",
    "EventsTable/by-feed-day": "ApiHandlerRole",  # Open311's updates feed
}
_INDEX_ARN = re.compile(r"^\$\{(\w+Table)\.Arn\}/index/([\w-]+)$")


def _granted_indexes(role: dict) -> set[str]:
    granted = set()
    for policy in role["Properties"].get("Policies", []):
        for statement in statements(policy["PolicyDocument"]):
            if statement.get("Effect") == "Allow" and "dynamodb:Query" in _as_list(statement.get("Action")):
                for resource in _as_list(statement.get("Resource")):
                    for text in render(resource):
                        match = _INDEX_ARN.match(text)
                        if match:
                            granted.add(f"{match[1]}/{match[2]}")
    return granted


def _logical_name(model) -> str:
    """OrderModel's table "suqiu-test-orders" is the template's OrdersTable; "…-api-keys" its ApiKeysTable."""
    name = model.Meta.table_name.removeprefix(f"{get_settings().table_prefix}-")
    return "".join(part.title() for part in name.split("-")) + "Table"


def test_each_role_may_query_exactly_the_indexes_its_function_reads(packaged):
    """moto does not enforce IAM: without this, a missing grant shows only on AWS (AccessDenied)."""
    from chalicelib.storage.tables import MODELS

    _, template = packaged
    roles = resources_of_type(template, "AWS::IAM::Role")
    declared = {
        f"{_logical_name(model)}/{index.Meta.index_name}" for model in MODELS for index in model._indexes.values()
    }
    assert declared == set(INDEX_READERS), "an index has no reader listed here"
    for role_name in roles:
        wanted = {index for index, readers in INDEX_READERS.items() if role_name in (readers if isinstance(readers, tuple) else (readers,))}
        assert _granted_indexes(roles[role_name]) == wanted, role_name
