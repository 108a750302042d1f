"""Deploy a stage to AWS, or remove it: what `make deploy` and `make destroy` run.

    python -m infra.deploy deploy --stage prod [--parameter Key=Value …]
    python -m infra.deploy destroy --stage dev
    python -m infra.deploy destroy --stage prod --confirm prod

Prerequisites: AWS credentials (whatever the AWS CLI would use: environment, profile, SSO,
instance role) and a region (AWS_REGION or AWS_DEFAULT_REGION, or the profile's).

deploy, in order (the stack is suqiu-<stage>):
1. the field-encryption key: an SSM SecureString (FieldKeyParameterName, by default
   /suqiu/<stage>/field-key) holding base64 of 32 random bytes, created only if it is missing —
   never overwritten, since every stored contact is sealed with it;
2. the deployment bucket suqiu-deploy-<account>-<region> (private, encrypted), if missing;
3. the package (infra/build.py: dist/sam.json and dist/deployment.zip);
4. the zip and the template uploaded under <stage>/<content hash>/, the functions' CodeUri
   pointed at the zip;
5. the stack created, or updated (parameters not given keep their previous values; CryptoSuite can
   never change), and waited for;
6. the API URL and, with Cognito, the commands that create the first administrator.

destroy empties the media bucket and deletes the stack; prod only with ``--confirm prod``. The
field key and the deployment bucket stay (the key opens backups; the bucket serves every stage).
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
from pathlib import Path

from infra import build

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]  # roles; the SAM transform
PROTECTED_STAGES = frozenset({"prod"})
WAIT = {"Delay": 15, "MaxAttempts": 240}  # up to an hour
FIELD_KEY_BYTES = 32


class DeployError(RuntimeError):
    """Stopped before doing harm; the message says why and what to do."""


def stack_name(stage: str) -> str:
    return f"suqiu-{stage}"


def parse_parameters(pairs: list[str], known: set[str]) -> dict[str, str]:
    """``["Key=Value", …]`` as a dict; a key the template does not have is an error."""
    parameters = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise DeployError(f"--parameter {pair!r}: expected Key=Value")
        if key not in known:
            raise DeployError(f"--parameter {key}: the template has no such parameter (it has {', '.join(sorted(known))})")
        parameters[key] = value
    return parameters


# ---- the account --------------------------------------------------------------------------------

def session():
    import boto3

    current = boto3.session.Session()
    if not current.region_name:
        raise DeployError("no region: set AWS_REGION (or AWS_DEFAULT_REGION), e.g. cn-northwest-1 or ap-east-1")
    return current


def caller(sts) -> tuple[str, str]:
    """The account id and partition (aws, aws-cn, …) of the credentials in use."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        arn = sts.get_caller_identity()["Arn"]
    except (BotoCoreError, ClientError) as exc:
        raise DeployError(f"no usable AWS credentials: {exc}") from None
    _, partition, _, _, account, _ = arn.split(":", 5)
    return account, partition


def parameter_exists(ssm, name: str) -> bool:
    try:
        ssm.get_parameter(Name=name)
    except ssm.exceptions.ParameterNotFound:
        return False
    return True


def ensure_field_key(ssm, name: str) -> bool:
    """Create the SecureString ``name`` with a new random key if it does not exist; True if created."""
    if parameter_exists(ssm, name):
        return False
    try:
        ssm.put_parameter(
            Name=name,
            Description="Suqiu field-encryption key (base64, 32 bytes). Change it only with make rotate-key: stored contacts are sealed with it.",
            Value=base64.b64encode(os.urandom(FIELD_KEY_BYTES)).decode(),
            Type="SecureString",
            Overwrite=False,
        )
    except ssm.exceptions.ParameterAlreadyExists:
        return False  # made meanwhile by someone else: theirs stands
    return True


def deploy_bucket_name(account: str, region: str) -> str:
    return f"suqiu-deploy-{account}-{region}"


def ensure_deploy_bucket(s3, name: str, region: str) -> bool:
    """Create the private deployment bucket if missing; True if created."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=name)
        return False
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise DeployError(f"bucket {name} exists but is not usable by these credentials ({exc})") from None
    options = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=name, **options)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    return True


# ---- the package in S3 ----------------------------------------------------------------------------

def point_code_at(template: dict, bucket: str, key: str) -> None:
    """Point every function's CodeUri (Chalice writes ./deployment.zip) at the uploaded zip."""
    for resource in template["Resources"].values():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = {"Bucket": bucket, "Key": key}


def upload(s3, bucket: str, stage: str, package: build.Package) -> str:
    """Upload the zip and the template under the zip's hash (a new zip means new code); the template's URL."""
    data = package.zip.read_bytes()
    prefix = f"{stage}/{hashlib.sha256(data).hexdigest()[:16]}"
    zip_key, template_key = f"{prefix}/deployment.zip", f"{prefix}/sam.json"
    s3.put_object(Bucket=bucket, Key=zip_key, Body=data)
    template = json.loads(package.template.read_text())
    point_code_at(template, bucket, zip_key)
    s3.put_object(Bucket=bucket, Key=template_key, Body=json.dumps(template).encode(), ContentType="application/json")
    # The partition's own S3 host (amazonaws.com.cn in aws-cn), path style: CloudFormation accepts it.
    return f"{s3.meta.endpoint_url.rstrip('/')}/{bucket}/{template_key}"


# ---- the stack ------------------------------------------------------------------------------------

def existing_stack(cfn, name: str) -> dict | None:
    from botocore.exceptions import ClientError

    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def resolve_parameters(given: dict[str, str], stack: dict | None, fixed: dict[str, str], known: set[str]) -> list[dict]:
    """``fixed`` always; then what was given; on an update, the rest keep their previous values."""
    values = {**given, **fixed}
    parameters = [{"ParameterKey": key, "ParameterValue": value} for key, value in sorted(values.items())]
    for previous in (stack or {}).get("Parameters", []):
        if previous["ParameterKey"] not in values and previous["ParameterKey"] in known:
            parameters.append({"ParameterKey": previous["ParameterKey"], "UsePreviousValue": True})
    return parameters


def previous_value(stack: dict | None, key: str) -> str | None:
    for parameter in (stack or {}).get("Parameters", []):
        if parameter["ParameterKey"] == key:
            return parameter["ParameterValue"]
    return None


def crypto_suite(given: dict[str, str], stack: dict | None, name: str) -> str:
    """The suite to deploy with; a stack keeps the one it was created with (a stack from before the
    parameter has aes). A switch would leave every stored contact unopenable and every hash unmatched."""
    if stack is None or stack["StackStatus"] == "ROLLBACK_COMPLETE":  # nothing stored: deleted and made anew
        return given.get("CryptoSuite") or "aes"
    previous = previous_value(stack, "CryptoSuite") or "aes"
    wanted = given.get("CryptoSuite") or previous
    if wanted != previous:
        raise DeployError(
            f"{name} seals and hashes with CryptoSuite={previous}: switching it to {wanted} would make its stored "
            f"contacts unreadable and its phones, codes and keys unmatched. A {wanted} city needs a new stage."
        )
    return previous


def create_or_update(cfn, name: str, template_url: str, parameters: list[dict], stage: str, stack: dict | None) -> str:
    """'created', 'updated' or 'unchanged', once CloudFormation has finished."""
    from botocore.exceptions import ClientError, WaiterError

    common = {
        "StackName": name, "TemplateURL": template_url, "Parameters": parameters, "Capabilities": CAPABILITIES,
        "Tags": [{"Key": "app", "Value": "suqiu"}, {"Key": "stage", "Value": stage}],
    }
    if stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE":
        # A first creation that failed leaves a stack that can only be deleted.
        print(f"{name} failed to create before (ROLLBACK_COMPLETE): deleting it first")
        cfn.delete_stack(StackName=name)
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=WAIT)
        stack = None
        common["Parameters"] = [p for p in parameters if "UsePreviousValue" not in p]
    if stack is not None and stack["StackStatus"].endswith("_IN_PROGRESS"):
        raise DeployError(f"{name} is {stack['StackStatus']}: wait for it to finish, then deploy again")
    try:
        if stack is None:
            print(f"creating {name} …")
            cfn.create_stack(**common)
            waiter, outcome = "stack_create_complete", "created"
        else:
            print(f"updating {name} …")
            cfn.update_stack(**common)
            waiter, outcome = "stack_update_complete", "updated"
    except ClientError as exc:
        if "No updates are to be performed" in str(exc):
            return "unchanged"
        raise
    try:
        cfn.get_waiter(waiter).wait(StackName=name, WaiterConfig=WAIT)
    except WaiterError:
        raise DeployError(f"{name} did not {outcome[:-1]}:\n{failure_reasons(cfn, name)}") from None
    return outcome


def failure_reasons(cfn, name: str) -> str:
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    failed = [e for e in events if e["ResourceStatus"].endswith("_FAILED")][:10]  # the latest ten
    return "\n".join(f"  {e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}" for e in failed) or "  (no event)"


def outputs(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def first_admin_commands(values: dict[str, str], region: str) -> list[str]:
    pool = values.get("UserPoolId")
    if not pool:
        return []
    base = f"aws cognito-idp --region {region}"
    return [
        f"{base} admin-create-user --user-pool-id {pool} --username admin "
        f"--user-attributes Name=name,Value=系统管理员 --temporary-password '<a temporary password>' --message-action SUPPRESS",
        f"{base} admin-add-user-to-group --user-pool-id {pool} --username admin --group-name admin",
    ]


# ---- the commands ---------------------------------------------------------------------------------

def deploy(stage: str, pairs: list[str], out: Path) -> int:
    known = set(build.merge_template(stage)["Parameters"])
    given = parse_parameters(pairs, known)
    current = session()
    region = current.region_name
    account, partition = caller(current.client("sts"))
    cfn, name = current.client("cloudformation"), stack_name(stage)
    stack = existing_stack(cfn, name)

    identity = given.get("IdentityProvider") or previous_value(stack, "IdentityProvider") or "cognito"
    if identity == "cognito" and partition == "aws-cn":
        raise DeployError(
            "Cognito user pools do not exist in the China regions: deploy with "
            "--parameter IdentityProvider=external --parameter AuthIssuer=<issuer> --parameter AuthAudience=<client id>"
        )
    if identity == "external" and previous_value(stack, "IdentityProvider") == "cognito":
        raise DeployError(f"{name} uses Cognito: switching to an external issuer would delete its user pool and every staff account")
    if identity == "external" and stack is None and not (given.get("AuthIssuer") and given.get("AuthAudience")):
        raise DeployError("IdentityProvider=external needs --parameter AuthIssuer=… and --parameter AuthAudience=…")

    suite = crypto_suite(given, stack, name)

    previous_key = previous_value(stack, "FieldKeyParameterName")
    field_key = given.get("FieldKeyParameterName") or previous_key or build.field_key_parameter(stage)
    ssm = current.client("ssm")
    if previous_key and field_key != previous_key and not parameter_exists(ssm, field_key):
        # A new random key would leave every stored contact and hash unreadable.
        raise DeployError(
            f"{name} encrypts with {previous_key}: {field_key} does not exist, and a new key would make the "
            "stored contacts unreadable. Copy the key there first, or leave FieldKeyParameterName as it is."
        )
    sms_sender = given.get("SmsSender") or previous_value(stack, "SmsSender") or "sns"
    fixed = {"StageName": stage, "FieldKeyParameterName": field_key, "IdentityProvider": identity, "CryptoSuite": suite}
    if partition == "aws-cn" and sms_sender == "sns":
        print("warning: SNS does not send SMS to Chinese numbers from aws-cn: deploy with --parameter SmsSender=yunpian (README, Deploying)")
    if stage in PROTECTED_STAGES and (given.get("AllowedOrigins") or previous_value(stack, "AllowedOrigins") or "*") == "*":
        print("warning: AllowedOrigins is * — set --parameter AllowedOrigins=https://<the residents' page> for production")

    print(f"account {account} ({partition}), region {region}, stack {name}")
    if ensure_field_key(ssm, field_key):
        print(f"created the field-encryption key {field_key} (SSM SecureString)")
    bucket = deploy_bucket_name(account, region)
    s3 = current.client("s3")
    if ensure_deploy_bucket(s3, bucket, region):
        print(f"created the deployment bucket {bucket}")

    package = build.build(stage, out, identity_provider=identity)
    print(f"package: {package.zip_bytes / 1e6:.1f} MB zipped")
    template_url = upload(s3, bucket, stage, package)
    outcome = create_or_update(cfn, name, template_url, resolve_parameters(given, stack, fixed, known), stage, stack)
    values = outputs(existing_stack(cfn, name))
    print(f"\n{name}: {outcome}")
    for key in ("EndpointURL", "AuthIssuer", "AuthAudience", "MediaBucketName", "OperatorsTopicArn"):
        if key in values:
            print(f"  {key:18} {values[key]}")
    commands = first_admin_commands(values, region)
    if commands:
        print("\nThe first administrator (then sign in and choose a password):")
        print("\n".join(f"  {command}" for command in commands))
        print("A handler also needs its unit: --user-attributes Name=custom:unit,Value=<unit code>, group handler.")
    return 0


def destroy(stage: str, confirm: str | None) -> int:
    name = stack_name(stage)
    if stage in PROTECTED_STAGES and confirm != stage:
        raise DeployError(
            f"refusing to delete {name}: it holds the city's requests. If you mean it: make destroy STAGE={stage} CONFIRM={stage}"
        )
    current = session()
    cfn = current.client("cloudformation")
    stack = existing_stack(cfn, name)
    if stack is None:
        print(f"{name} does not exist in {current.region_name}: nothing to delete")
        return 0
    bucket = outputs(stack).get("MediaBucketName")
    if bucket:
        removed = empty_bucket(current.client("s3"), bucket)
        print(f"emptied {bucket} ({removed} objects)")
    print(f"deleting {name} …")
    cfn.delete_stack(StackName=name)
    from botocore.exceptions import WaiterError

    try:
        cfn.get_waiter("stack_delete_complete").wait(StackName=name, WaiterConfig=WAIT)
    except WaiterError:
        raise DeployError(f"{name} was not deleted:\n{failure_reasons(cfn, name)}") from None
    print(f"{name} deleted. Kept: the field key in SSM and the deployment bucket.")
    return 0


def empty_bucket(s3, bucket: str) -> int:
    """Delete every object (CloudFormation cannot delete a bucket that holds any); how many."""
    from botocore.exceptions import ClientError

    removed = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
                removed += len(keys)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
    return removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description="Deploy Suqiu to AWS, or remove it.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("deploy", help="package, upload, create or update the stack suqiu-<stage>")
    up.add_argument("--stage", required=True)
    up.add_argument("--parameter", action="append", default=[], metavar="Key=Value", help="a template parameter")
    up.add_argument("--out", type=Path, default=build.ROOT / "dist")
    down = commands.add_parser("destroy", help="empty the media bucket and delete the stack suqiu-<stage>")
    down.add_argument("--stage", required=True)
    down.add_argument("--confirm", help="the stage's name again; required for prod")
    args = parser.parse_args(argv)
    try:
        if args.command == "deploy":
            return deploy(args.stage, args.parameter, args.out)
        return destroy(args.stage, args.confirm)
    except (DeployError, build.BuildError) as exc:
        print(f"{args.command} failed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
