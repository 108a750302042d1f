"""The merged, packaged template (chalice package + infra/*.yaml) is valid and wires the functions right.

cfn-lint validates it (for the commercial regions and for Beijing/Ningxia). The
functions' event sources point at this stack's resources, every function gets the
environment the settings read, and nothing hard-codes the partition or the domain
("arn:aws:", "amazonaws.com"): the same template deploys in aws-cn.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from chalicelib import storage
from tests.infra.cfn import RESOURCES, ROOT, render, resources_of_type, strings
from tests.infra.tables import suffix_of

# What the functions must be given: the settings' defaults are only right on a laptop.
REQUIRED = {
    "STAGE", "CITY_FILE", "TABLE_PREFIX", "MEDIA_BUCKET", "AUTH_ISSUER", "AUTH_AUDIENCE",
    "FIELD_KEY_PARAMETER", "CRYPTO_SUITE", "NOTIFY_QUEUE", "IMPORTS_QUEUE", "OUTBOX_STREAM_ARN",
}
# Read by the settings, with defaults that hold in the cloud too (Cognito's claims, the
# JWKS path under the issuer, link lifetimes).
OPTIONAL = {"AUTH_JWKS_URL", "AUTH_ROLES_CLAIM", "AUTH_UNIT_CLAIM", "UPLOAD_TTL_SECONDS", "MEDIA_LINK_TTL_SECONDS",
            # The staff pages: their sign-in (empty: not configured, they say so), the ID tokens'
            # client (default: the audience), a map tile layer (default: none).
            "AUTH_AUTHORIZE_URL", "AUTH_TOKEN_URL", "AUTH_CLIENT_ID", "MAP_TILE_URL", "MAP_TILE_ATTRIBUTION",
            # The SMS provider (default: SNS, which needs no key parameter).
            "SMS_SENDER", "SMS_API_KEY_PARAMETER",
            # The staff pool whose accounts are a unit's people (default: none, an external issuer).
            "STAFF_USER_POOL_ID"}
# The key in clear: for the dev stack and the tests only, never in a deployed environment.
FORBIDDEN = {"FIELD_KEY"}
SETTINGS_SOURCE = ROOT / "chalicelib" / "settings.py"
CHINA = ("cn-north-1", "cn-northwest-1")
_LINT = "import sys; from cfnlint.runner.cli import main; sys.argv[0] = 'cfn-lint'; main()"


def lint(path, *regions: str) -> tuple[int, list[dict]]:
    """cfn-lint from this venv, in the project directory (so it reads the project's .cfnlintrc)."""
    done = subprocess.run(
        [sys.executable, "-c", _LINT, "--format", "json", "--regions", *regions, "--", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    return done.returncode, json.loads(done.stdout or "[]")


def _functions(template: dict) -> dict[str, dict]:
    return resources_of_type(template, "AWS::Serverless::Function")


def _events(template: dict, kind: str) -> list[tuple[str, dict]]:
    """(function, event properties) for every event source of type ``kind`` (SQS, DynamoDB, Schedule)."""
    return [
        (name, event.get("Properties", {}))
        for name, function in _functions(template).items()
        for event in function["Properties"].get("Events", {}).values()
        if event.get("Type") == kind
    ]


def _environment(template: dict, function: dict) -> dict:
    """What the function runs with: the Globals, overridden by its own variables (SAM merges them)."""
    shared = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    own = function["Properties"].get("Environment", {}).get("Variables", {})
    return {**shared, **own}


def with_defaults(template: dict, text: str) -> str:
    """``text`` with each ${Parameter} replaced by the parameter's default."""
    parameters = template.get("Parameters", {})
    return re.sub(
        r"\$\{([A-Za-z0-9]+)\}",
        lambda m: str(parameters[m[1]]["Default"]) if "Default" in parameters.get(m[1], {}) else m[0],
        text,
    )


def _reference(value) -> str:
    """The one reference ``value`` is: "Name" for a Ref, "Name.Attr" for a GetAtt."""
    (text,) = render(value)
    match = re.fullmatch(r"\$\{([^}]+)\}", text)
    assert match, f"{value!r} is not a single Ref or GetAtt"
    return match[1]


# ---- cfn-lint ----------------------------------------------------------------------

def test_cfn_lint_passes(packaged):
    path, _ = packaged
    assert lint(path, "us-east-1") == (0, [])


def test_cfn_lint_passes_on_the_resource_template_alone():
    """infra/resources.yaml also deploys on its own (moto's CloudFormation creates it in the tests)."""
    assert lint(RESOURCES, "us-east-1") == (0, [])


def test_cfn_lint_finds_an_error(tmp_path):
    """The lint step can fail: a table without a key schema is an error."""
    broken = tmp_path / "broken.yaml"
    broken.write_text("Resources:\n  T:\n    Type: AWS::DynamoDB::Table\n    Properties: {BillingMode: PAY_PER_REQUEST}\n")
    code, matches = lint(broken, "us-east-1")
    assert code != 0 and matches


def test_cfn_lint_passes_in_the_china_regions_for_what_is_always_deployed(packaged):
    """In aws-cn the optional parts (Cognito, off when IdentityProvider=external) may be missing, nothing else."""
    path, template = packaged
    _, matches = lint(path, *CHINA)
    resources = template["Resources"]
    required_path = [
        m for m in matches
        if not (
            m["Rule"]["Id"] == "E3006"
            and m["Location"]["Path"][:1] == ["Resources"]
            and "Condition" in resources.get(m["Location"]["Path"][1], {})
        )
    ]
    assert required_path == []


# ---- event sources --------------------------------------------------------------

@pytest.mark.parametrize(("function", "queue_name"), [("Deliver", "NotifyQueue"), ("ImportRows", "ImportsQueue")])
def test_each_queue_function_reports_partial_batch_failures_from_this_stacks_queue(packaged, function, queue_name):
    _, template = packaged
    (properties,) = [properties for name, properties in _events(template, "SQS") if name == function]
    assert properties.get("FunctionResponseTypes") == ["ReportBatchItemFailures"]
    queue, attribute = _reference(properties["Queue"]).split(".")
    assert (queue, attribute) == (queue_name, "Arn")
    queue_resource = template["Resources"][queue]
    assert queue_resource["Type"] == "AWS::SQS::Queue"
    assert "RedrivePolicy" in queue_resource["Properties"], "the queue, not its dead-letter queue"


def _outbox_table(template: dict) -> str:
    outbox = suffix_of(storage.table_name("outbox"))
    (name,) = [
        logical_id
        for logical_id, table in resources_of_type(template, "AWS::DynamoDB::Table").items()
        if render(table["Properties"]["TableName"])[0].endswith(f"}}-{outbox}")
    ]
    return name


def test_relay_reads_the_outbox_tables_stream(packaged):
    _, template = packaged
    (stream,) = _events(template, "DynamoDB")
    _, properties = stream
    assert _reference(properties["Stream"]) == f"{_outbox_table(template)}.StreamArn"
    assert properties.get("StartingPosition") == "TRIM_HORIZON"


def test_escalate_runs_every_five_minutes(packaged):
    _, template = packaged
    (schedule,) = _events(template, "Schedule")
    _, properties = schedule
    assert properties["Schedule"] == "rate(5 minutes)"


# ---- environment ----------------------------------------------------------------

def test_every_setting_is_classified():
    """A new variable in settings.py must be added to REQUIRED or OPTIONAL here (and to the template)."""
    read = set(re.findall(r"""env(?:\.get\(|\[)\s*["']([A-Z0-9_]+)["']""", SETTINGS_SOURCE.read_text()))
    assert read == REQUIRED | OPTIONAL | FORBIDDEN


def test_only_the_settings_read_the_environment():
    """Else a variable read elsewhere escapes the classification above (and the template's check)."""
    sources = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    readers = [
        str(path.relative_to(ROOT)) for path in sources
        if path != SETTINGS_SOURCE and re.search(r"\bos\.environ\b|\bgetenv\b|\benviron\b", path.read_text())
    ]
    assert readers == []


def test_every_function_gets_the_settings_it_needs_and_no_key(packaged):
    _, template = packaged
    functions = _functions(template)
    assert len(functions) == 5  # the API handler, escalate, relay_outbox, deliver, import_rows
    for name, function in functions.items():
        variables = set(_environment(template, function))
        assert REQUIRED <= variables, f"{name} lacks {sorted(REQUIRED - variables)}"
        assert not FORBIDDEN & variables, f"{name} gets the field key in clear"


def test_the_environment_names_this_stacks_resources(packaged):
    """The names the functions read are the resources' own: tables, bucket, queue, stream, key parameter."""
    _, template = packaged
    resources = template["Resources"]
    queue_of = {name: _reference(properties["Queue"]).split(".")[0] for name, properties in _events(template, "SQS")}
    queue, imports_queue = queue_of["Deliver"], queue_of["ImportRows"]
    for name, function in _functions(template).items():
        env = _environment(template, function)
        # Both take StageName: resolved with the stage's defaults, they must agree.
        prefix = with_defaults(template, *render(env["TABLE_PREFIX"]))
        for table in resources_of_type(template, "AWS::DynamoDB::Table").values():
            table_name = with_defaults(template, *render(table["Properties"]["TableName"]))
            assert table_name.startswith(f"{prefix}-"), f"{name}: table {table_name} is not under {prefix}"
        assert resources[_reference(env["MEDIA_BUCKET"])]["Type"] == "AWS::S3::Bucket"
        assert _reference(env["NOTIFY_QUEUE"]) == f"{queue}.QueueName"
        assert _reference(env["IMPORTS_QUEUE"]) == f"{imports_queue}.QueueName"
        assert _reference(env["OUTBOX_STREAM_ARN"]) == f"{_outbox_table(template)}.StreamArn"
        assert template["Parameters"][_reference(env["FIELD_KEY_PARAMETER"])]["Type"] == "String"


# ---- partition ------------------------------------------------------------------

_LITERAL_PARTITION = re.compile(r"arn:aws(-[a-z]+)*:")


def literal_arns(template: dict) -> list[tuple[str, str]]:
    return [(where, text) for where, text in strings(template) if _LITERAL_PARTITION.search(text)]


def test_no_arn_hard_codes_the_partition(packaged):
    _, template = packaged
    assert literal_arns(template) == []


@pytest.mark.parametrize("text", ["arn:aws:s3:::b", "x arn:aws-cn:sqs:cn-north-1:1:q", "arn:aws-us-gov:iam::1:role/r"])
def test_the_partition_check_sees_a_literal_arn(text):
    assert literal_arns({"Resources": {"R": {"Properties": {"Resource": [text]}}}})


def test_no_domain_is_hard_coded_outside_service_principals(packaged):
    """Hosts are built with ${AWS::URLSuffix}: it is amazonaws.com.cn in Beijing and Ningxia."""
    _, template = packaged
    literal = [
        (where, text)
        for where, text in strings(template)
        if "amazonaws.com" in text and "Principal" not in where.split("/")
    ]
    assert literal == []


def test_the_stage_is_throttled_and_the_routes_that_cost_money_tighter(packaged):
    _, template = packaged
    parameters = template["Parameters"]
    settings = {
        (s["ResourcePath"], s["HttpMethod"]): (
            parameters[s["ThrottlingRateLimit"]["Ref"]]["Default"],
            parameters[s["ThrottlingBurstLimit"]["Ref"]]["Default"],
        )
        for s in template["Resources"]["RestAPI"]["Properties"]["MethodSettings"]
    }
    assert settings[("/*", "*")] == (50, 100)
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    for route in ("/api/v1/otp", "/api/v1/requests", "/open311/v2/{resource}"):
        assert "post" in paths[route], route  # a setting for a route the API has
        rate, burst = settings[("/" + route.replace("/", "~1"), "POST")]  # each "/" of the route as "~1"
        assert rate < 50 and burst < 100, route
