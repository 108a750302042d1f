"""Creates the resource stack in moto's CloudFormation and runs the app against it.

Run by test_stack_on_moto.py in a process of its own (``python -m tests.infra.stack_smoke``):
the app reads its resource names when imported, and here they must be the names the
stack made, not the test session's. Nothing creates a table, bucket or queue except
the stack. The app's environment is what infra/functions.yaml gives the deployed
functions, resolved against the stack (so a wrong Ref or GetAtt there fails here).

Input (environment): the test environment (region, fake credentials), AUTH_ISSUER
(the session's local issuer), SMOKE_DISPATCHER (a dispatcher's Authorization header).
Output: one JSON report, written to the file SMOKE_REPORT names (stdout carries the app's logs).
"""
from __future__ import annotations

import base64
import json
import os
import re
import warnings

import boto3
from moto import mock_aws

from tests.infra.cfn import INFRA, RESOURCES, ROOT, load

STACK = "suqiu-smoke"
ACCOUNT = "123456789012"  # moto's
PSEUDO = {"AWS::AccountId": ACCOUNT, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
STAGE = "dev"  # the stack's StageName default, and the Chalice stage whose variables the functions get


def parameter_defaults(template: dict) -> dict[str, str]:
    return {name: str(p["Default"]) for name, p in template.get("Parameters", {}).items() if "Default" in p}


def create_stack(template_body: str, parameters: dict[str, str]) -> dict:
    """Create the stack and wait for it; its status, parameters, outputs and resources."""
    cloudformation = boto3.client("cloudformation")
    with warnings.catch_warnings(record=True) as skipped:
        warnings.simplefilter("always")
        cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=template_body,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        cloudformation.get_waiter("stack_create_complete").wait(
            StackName=STACK, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50}
        )
    stack = cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    resources = cloudformation.list_stack_resources(StackName=STACK)["StackResourceSummaries"]
    return {
        "status": stack["StackStatus"],
        "parameters": {p["ParameterKey"]: p["ParameterValue"] for p in stack.get("Parameters", [])},
        "outputs": {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        "resources": {
            r["LogicalResourceId"]: {"type": r["ResourceType"], "id": r.get("PhysicalResourceId")} for r in resources
        },
        # moto's CloudFormation lacks some types (Cognito, CloudWatch alarms): it skips them.
        "skipped_by_moto": sorted(
            {m[1] for w in skipped if (m := re.search(r"Tried to parse (\S+) but", str(w.message)))}
        ),
    }


class Resolver:
    """Evaluates the overlay's intrinsics as CloudFormation would in this stack."""

    def __init__(self, template: dict, stack: dict):
        self.template = template
        self.stack = stack
        self.values = {**PSEUDO, "AWS::Region": os.environ["AWS_DEFAULT_REGION"], "AWS::StackName": STACK}
        self.values.update(stack["parameters"])

    def condition(self, name: str) -> bool:
        return bool(self.value(self.template["Conditions"][name]))

    def value(self, node):
        if not isinstance(node, dict):
            return node
        if "Condition" in node and len(node) == 1:
            return self.condition(node["Condition"])
        (function, argument), = node.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::GetAtt":
            return self.get_att(*(argument.split(".", 1) if isinstance(argument, str) else argument))
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            local = {name: self.value(v) for name, v in variables.items()}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(local[m[1]] if m[1] in local else self.named(m[1])), text)
        if function == "Fn::Join":
            return argument[0].join(str(self.value(part)) for part in self.value(argument[1]))
        if function == "Fn::If":
            name, when_true, when_false = argument
            return self.value(when_true if self.condition(name) else when_false)
        if function == "Fn::Equals":
            return self.value(argument[0]) == self.value(argument[1])
        if function == "Fn::Not":
            return not self.value(argument[0])
        if function == "Fn::And":
            return all(self.value(a) for a in argument)
        if function == "Fn::Or":
            return any(self.value(a) for a in argument)
        if function == "Fn::Select":
            return self.value(argument[1])[int(argument[0])]
        raise ValueError(f"cannot evaluate {node!r}")

    def named(self, name: str):
        return self.get_att(*name.split(".", 1)) if "." in name else self.ref(name)

    def ref(self, name: str):
        if name in self.values:
            return self.values[name]
        return self.stack["resources"][name]["id"]

    def get_att(self, name: str, attribute: str):
        resource = self.stack["resources"][name]
        kind, physical = resource["type"], resource["id"]
        if kind == "AWS::SQS::Queue":
            if attribute == "QueueName":
                return physical.rsplit("/", 1)[-1]
            if attribute == "Arn":
                attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
                return attributes["Attributes"]["QueueArn"]
        if kind == "AWS::DynamoDB::Table":
            table = boto3.client("dynamodb").describe_table(TableName=physical)["Table"]
            return {"Arn": table["TableArn"], "StreamArn": table.get("LatestStreamArn")}[attribute]
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{physical}"
        raise ValueError(f"cannot read {name}.{attribute} ({kind})")


def function_environment(stack: dict, stage: str) -> dict[str, str]:
    """The environment a deployed function gets in this stack.

    SAM gives every function infra/functions.yaml's Globals, resolved here against the
    stack, and Chalice adds the stage's variables from .chalice/config.json, which win.
    """
    overlay, resources = load(INFRA / "functions.yaml"), load(RESOURCES)
    conditions = {**resources.get("Conditions", {}), **overlay.get("Conditions", {})}
    # The overlay's own parameters are not the resource stack's: they take their defaults.
    parameters = {**parameter_defaults(overlay), **stack["parameters"]}
    resolver = Resolver({"Conditions": conditions}, {**stack, "parameters": parameters})
    variables = overlay["Globals"]["Function"]["Environment"]["Variables"]
    resolved = {name: resolver.value(value) for name, value in variables.items()}
    config = load(ROOT / ".chalice" / "config.json")
    static = {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}
    return {name: str(value) for name, value in {**resolved, **static}.items() if value is not None}


def table_names() -> list[str]:
    return sorted(boto3.client("dynamodb").list_tables()["TableNames"])


def smoke(dispatcher: dict[str, str]) -> dict:
    """One resident request with a photo, read and dispatched by the command centre through the HTTP API;
    then the message the dispatch caused, relayed from the outbox's stream to the notify queue."""
    from chalice.test import Client

    from app import app
    from chalicelib.settings import get_settings

    settings = get_settings()
    bucket = settings.media_bucket
    s3 = boto3.client("s3")
    steps: dict = {}
    with Client(app) as client:
        def call(method: str, path: str, body=None, headers=None, expect: int = 200):
            response = getattr(client.http, method)(
                path,
                headers={"Content-Type": "application/json", **(headers or {})},
                **({"body": json.dumps(body, ensure_ascii=False)} if body is not None else {}),
            )
            if response.status_code != expect:
                raise AssertionError(f"{method.upper()} {path}: {response.status_code} {response.body[:500]!r}")
            return response.status_code, json.loads(response.body or b"null")

        status, grant = call(
            "post", "/api/v1/uploads", {"filename": "现场.jpg", "content_type": "image/jpeg", "size": 2048}, expect=201
        )
        steps["upload"] = status
        # What the browser's POST stores (moto does not enforce the presigned policy): a JPEG's first bytes.
        photo = b"\xff\xd8\xff\xe0" + b"\x00" * 2044
        s3.put_object(Bucket=bucket, Key=grant["fields"]["key"], Body=photo, ContentType="image/jpeg")
        request = {
            "type": "complaint",
            "category": "other",  # no routing rule: it waits for the dispatcher
            "description": "想咨询一下办理户口迁移需要带哪些材料",  # nothing the category suggestion routes
            "location": {"lat": 42.9, "lng": 125.14, "coord_system": "wgs84"},
            "anonymous": True,
            "media": [grant["upload_id"]],
        }
        status, submitted = call(
            "post", "/api/v1/requests", request, {"Idempotency-Key": "smoke-0123456789abcdef"}, expect=201
        )
        steps["submit"] = status
        number = submitted["tracking_no"]
        status, detail = call("get", f"/api/v1/staff/requests/{number}", headers=dispatcher)
        steps["detail"] = status
        status, acted = call(
            "post", f"/api/v1/staff/requests/{number}/actions",
            {"action": "dispatch", "version": detail["version"], "unit": "cgj"}, dispatcher,
        )
        steps["dispatch"] = (status, acted.get("state"))
    dynamodb = boto3.client("dynamodb")
    outbox = dynamodb.scan(TableName=settings.table("outbox"))["Items"]
    # What Lambda does with the outbox's stream: the relay puts each message on the notify queue.
    from infra.drivers import StreamDriver

    relayed = StreamDriver(app, settings.table("outbox")).drain()
    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName=settings.notify_queue)["QueueUrl"]
    queued = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    return {
        "steps": steps,
        "tracking_no": number,
        "outbox": [{k: item[k].get("S") for k in ("tracking_no", "template", "audience")} for item in outbox],
        "events": dynamodb.query(
            TableName=settings.table("events"), KeyConditionExpression="tracking_no = :n",
            ExpressionAttributeValues={":n": {"S": number}},
        )["Count"],
        "relayed": relayed,
        "queued": [{k: json.loads(m["Body"])[k] for k in ("tracking_no", "template", "audience")} for m in queued],
        "stream_arn": dynamodb.describe_table(TableName=settings.table("outbox"))["Table"]["LatestStreamArn"],
        "idempotency_records": dynamodb.scan(TableName=settings.table("idempotency"))["Count"],
        "media": [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=f"media/{number}/").get("Contents", [])],
        "bucket_encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"],
    }


def put_field_key(name: str) -> None:
    """The SecureString the deploy script creates before the stack (CloudFormation cannot make one)."""
    boto3.client("ssm").put_parameter(Name=name, Type="SecureString", Value=base64.b64encode(os.urandom(32)).decode())


def make_stack(parameters: dict[str, str]) -> dict:
    """The resource stack in the current moto account, its parameters completed with the defaults."""
    template = load(RESOURCES)
    parameters_in_effect = {**parameter_defaults(template), **parameters}
    put_field_key(parameters_in_effect["FieldKeyParameterName"])
    stack = create_stack(RESOURCES.read_text(encoding="utf-8"), parameters)
    stack["parameters"] = {**parameters_in_effect, **stack["parameters"]}
    return stack


def run_with_defaults() -> dict:
    with mock_aws():
        return {"stack": make_stack({})}


def run_smoke(parameters: dict[str, str], dispatcher: dict[str, str]) -> dict:
    with mock_aws():
        stack = make_stack(parameters)
        environment = function_environment(stack, STAGE)
        os.environ.pop("FIELD_KEY", None)  # the key comes from the SSM parameter, as in the cloud
        os.environ.update(environment)
        before = table_names()
        result = smoke(dispatcher)
        return {"stack": stack, "environment": environment, "tables_before_app": before,
                "tables_after_app": table_names(), "smoke": result}


def main() -> None:
    dispatcher = {"Authorization": os.environ["SMOKE_DISPATCHER"]}
    # moto's CloudFormation has no Cognito: the smoke run uses the external-provider
    # branch, with the session's local issuer as that provider.
    parameters = {
        "StageName": STAGE,
        "IdentityProvider": "external",
        "AuthIssuer": os.environ["AUTH_ISSUER"],
        "AuthAudience": os.environ["AUTH_AUDIENCE"],
    }
    report = {"defaults": run_with_defaults(), "external": run_smoke(parameters, dispatcher)}
    with open(os.environ["SMOKE_REPORT"], "w", encoding="utf-8") as out:
        json.dump(report, out, ensure_ascii=False, default=str)


if __name__ == "__main__":
    main()
