"""Package a stage for CloudFormation: the merged template and the deployment zip, no AWS calls.

    python -m infra.build --stage dev --out dist                  # what `make package` runs
    python -m infra.build --stage dev --out dist --template-only  # no download: for the tests
    python -m infra.build --stage prod --identity-provider external   # no Cognito in it (aws-cn)

Steps:
1. merge infra/resources.yaml and infra/functions.yaml into one merge template, with the
   stage's defaults (StageName, FieldKeyParameterName);
2. copy the project (app.py, chalicelib/, .chalice/config.json) to a temporary directory whose
   requirements.txt is empty — Chalice would otherwise download every dependency, botocore
   among them — and whose vendor/ holds the dependencies for Lambda (Linux x86_64, CPython 3.11)
   without what the Lambda runtime already has (boto3, botocore and theirs); --template-only
   leaves vendor/ empty and downloads nothing;
3. run ``chalice package`` there and merge our template over the one it writes (``merged``:
   mappings key by key, an intrinsic function whole — Chalice's own --merge-template would mix
   our {"Fn::GetAtt": …} with its {"Fn::Sub": …} in one value), then write ``<out>/sam.json``
   and ``<out>/deployment.zip``;
4. check the result: no hard-coded ``arn:aws:`` (the template must deploy in aws-cn too), the
   event sources on the stack's stream and queue, every role's policy replaced.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
TEMPLATE_FILES = (INFRA / "resources.yaml", INFRA / "functions.yaml")
TEMPLATE_NAME = "sam.json"
ZIP_NAME = "deployment.zip"
# What the deployment zip contains besides vendor/: Chalice packages app.py and chalicelib/.
PROJECT_FILES = ("app.py", "chalicelib", ".chalice/config.json")
# The Lambda runtime's Python (python3.11 runs on Amazon Linux 2: glibc 2.26, so manylinux2014).
PIP_PLATFORM = ("--platform", "manylinux2014_x86_64", "--implementation", "cp", "--python-version", "3.11")
# Distributions the python3.11 Lambda runtime provides: bundling them would only add megabytes.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"})
# Template sections that both files may have; a name may be defined in only one of them.
SECTIONS = ("Parameters", "Rules", "Conditions", "Globals", "Resources", "Outputs")
ROLES = ("ApiHandlerRole", "EscalateRole", "RelayOutboxRole", "DeliverRole", "ImportRowsRole")
COGNITO_CONDITION = "UseCognito"
IDENTITY_PROVIDERS = ("cognito", "external")


class BuildError(RuntimeError):
    """The stage cannot be packaged as configured."""


@dataclass(frozen=True)
class Package:
    template: Path
    zip: Path

    @property
    def zip_bytes(self) -> int:
        return self.zip.stat().st_size


# ---- the merge template ----------------------------------------------------------------------

def stage_config(stage: str) -> dict:
    """The stage's settings in .chalice/config.json (its environment variables among them)."""
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        raise BuildError(f"no stage {stage!r} in .chalice/config.json (stages: {', '.join(config.get('stages', {}))})")
    return config["stages"][stage]


def field_key_parameter(stage: str) -> str:
    """The default name of the stage's field-encryption key (an SSM SecureString)."""
    return f"/suqiu/{stage}/field-key"


def merge_template(stage: str) -> dict:
    """resources.yaml and functions.yaml as one template, defaulted for ``stage``."""
    merged: dict = {}
    for path in TEMPLATE_FILES:
        for key, value in yaml.safe_load(path.read_text()).items():
            if key not in SECTIONS:
                merged.setdefault(key, value)  # AWSTemplateFormatVersion, Description: the first wins
                continue
            section = merged.setdefault(key, {})
            for name, part in value.items():
                if name in section:
                    raise BuildError(f"{key}.{name} is defined in more than one of the infra/ templates")
                section[name] = part
    stage_config(stage)  # an unknown stage fails here, before anything is built
    defaults = {"StageName": stage, "FieldKeyParameterName": field_key_parameter(stage)}
    for name, value in defaults.items():
        merged["Parameters"][name]["Default"] = value
    merged["Description"] = f"Suqiu (诉求), stage {stage}: the API and functions, data, media, queue, staff identity, alarms."
    return merged


def without_cognito(template: dict) -> dict:
    """The template for IdentityProvider=external, with no Cognito resource in it at all.

    CloudFormation refuses a template naming a resource type the region lacks, even under a
    false condition; the China regions have no Cognito user pools. So the resources and outputs
    under UseCognito go, and every {"Fn::If": ["UseCognito", a, b]} becomes b.
    """
    def resolve(value):
        if isinstance(value, dict):
            if list(value) == ["Fn::If"] and value["Fn::If"][0] == COGNITO_CONDITION:
                return resolve(value["Fn::If"][2])
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    result = resolve(template)
    for section in ("Resources", "Outputs"):
        result[section] = {
            name: part for name, part in result[section].items() if part.get("Condition") != COGNITO_CONDITION
        }
    del result["Conditions"][COGNITO_CONDITION]
    result["Parameters"]["IdentityProvider"].update(Default="external", AllowedValues=["external"])
    if COGNITO_CONDITION in json.dumps(result):
        raise BuildError(f"the template still uses {COGNITO_CONDITION} after taking Cognito out")
    return result


# ---- the project copy ---------------------------------------------------------------------------

def prepare_project(target: Path, stage: str, with_dependencies: bool) -> None:
    for name in PROJECT_FILES:
        source, dest = ROOT / name, target / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, dest)
    (target / "requirements.txt").write_text("")
    # "autogen_policy": false makes Chalice read a policy file per stage; the real policies are in
    # infra/functions.yaml, which replaces this empty one (check_template makes sure it did).
    (target / ".chalice" / f"policy-{stage}.json").write_text(json.dumps({"Version": "2012-10-17", "Statement": []}))
    vendor = target / "vendor"
    vendor.mkdir()
    if with_dependencies:
        install_dependencies(vendor)


# Files of dependencies that no code path here reads: the Swagger UI assets Powertools' event handler
# can serve (Suqiu's API is Chalice's and serves its own OpenAPI document), 0.45 MB of the zip.
_SWAGGER_UI = "aws_lambda_powertools/event_handler/openapi/swagger_ui"
UNUSED_IN_LAMBDA = (f"{_SWAGGER_UI}/swagger-ui-bundle.min.js", f"{_SWAGGER_UI}/swagger-ui.min.css")


def install_dependencies(vendor: Path) -> None:
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
        "--target", str(vendor), *PIP_PLATFORM, "--only-binary=:all:", "-r", str(ROOT / "requirements.txt"),
    ]
    subprocess.run(command, check=True)
    removed = strip_runtime_provided(vendor)
    shutil.rmtree(vendor / "bin", ignore_errors=True)  # console scripts: nothing runs them in Lambda
    for unused in UNUSED_IN_LAMBDA:
        (vendor / unused).unlink(missing_ok=True)
    print(f"vendor/: left out what the Lambda runtime provides: {', '.join(sorted(removed))}")


def strip_runtime_provided(vendor: Path) -> set[str]:
    """Delete the distributions in RUNTIME_PROVIDED from ``vendor``, file by file from their RECORD."""
    removed = set()
    for dist_info in vendor.glob("*.dist-info"):
        name = _distribution_name(dist_info)
        if name not in RUNTIME_PROVIDED:
            continue
        with (dist_info / "RECORD").open(newline="") as record:
            for row in csv.reader(record):
                path = (vendor / row[0]).resolve()
                if path.is_relative_to(vendor.resolve()) and path.is_file():
                    path.unlink()
        shutil.rmtree(dist_info, ignore_errors=True)
        removed.add(name)
    _remove_empty_dirs(vendor)
    return removed


def _distribution_name(dist_info: Path) -> str:
    for line in (dist_info / "METADATA").read_text(errors="replace").splitlines():
        if line.startswith("Name:"):
            return line.split(":", 1)[1].strip().lower().replace("_", "-")
    return ""


def _remove_empty_dirs(top: Path) -> None:
    for directory, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
        path = Path(directory)
        if path != top and not any(path.iterdir()):
            path.rmdir()


# ---- chalice package ----------------------------------------------------------------------------

def chalice_package(project: Path, stage: str, out: Path) -> None:
    env = dict(os.environ)
    # Chalice wants a region to package; the template itself is region-free (${AWS::Region}).
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    command = [
        sys.executable, "-c", "from chalice.cli import main; main()",
        "package", "--stage", stage, "--template-format", "json", str(out),
    ]
    result = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"chalice package failed:\n{result.stdout}{result.stderr}")


def merged(base, overlay):
    """``overlay`` (ours) over ``base`` (Chalice's): mappings merge key by key; anything else, an
    intrinsic function ({"Fn::GetAtt": …}, {"Ref": …}) or a list included, is the overlay's whole."""
    if isinstance(base, dict) and isinstance(overlay, dict) and not _is_intrinsic(overlay):
        return {**base, **{key: merged(base.get(key), value) for key, value in overlay.items()}}
    return overlay


def _is_intrinsic(value) -> bool:
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref", "Condition"))


def check_template(template: dict) -> None:
    """What the merge must have done; a failure here is a bug in infra/functions.yaml."""
    text = json.dumps(template)
    if '"arn:aws:' in text:
        raise BuildError("the packaged template has an ARN without ${AWS::Partition}: it would not deploy in aws-cn")
    resources = template["Resources"]
    stream = resources["RelayOutbox"]["Properties"]["Events"]["RelayOutboxDynamodbEventSource"]["Properties"]["Stream"]
    queue = resources["Deliver"]["Properties"]["Events"]["DeliverSqsEventSource"]["Properties"]["Queue"]
    if stream != {"Fn::GetAtt": ["OutboxTable", "StreamArn"]} or queue != {"Fn::GetAtt": ["NotifyQueue", "Arn"]}:
        raise BuildError("the event sources are not the stack's outbox stream and notify queue")
    for role in (name for name, resource in resources.items() if resource["Type"] == "AWS::IAM::Role"):
        if role not in ROLES:
            raise BuildError(f"Chalice made a role functions.yaml does not know: {role}")
        for policy in resources[role]["Properties"]["Policies"]:
            if not policy["PolicyDocument"]["Statement"]:
                raise BuildError(f"{role} kept Chalice's empty policy: functions.yaml must replace it")


# ---- the whole build --------------------------------------------------------------------------

def build(stage: str, out: Path, template_only: bool = False, identity_provider: str = "cognito") -> Package:
    """Package ``stage`` into ``out``; ``identity_provider="external"`` leaves Cognito out (aws-cn)."""
    if identity_provider not in IDENTITY_PROVIDERS:
        raise BuildError(f"identity provider must be one of {', '.join(IDENTITY_PROVIDERS)}")
    out = out.resolve()
    template = merge_template(stage)
    if identity_provider == "external":
        template = without_cognito(template)
    with tempfile.TemporaryDirectory(prefix="suqiu-build-") as tmp:
        project, packaged = Path(tmp) / "project", Path(tmp) / "packaged"
        prepare_project(project, stage, with_dependencies=not template_only)
        chalice_package(project, stage, packaged)
        result = merged(json.loads((packaged / TEMPLATE_NAME).read_text()), template)
        check_template(result)
        out.mkdir(parents=True, exist_ok=True)
        (out / TEMPLATE_NAME).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        shutil.copy2(packaged / ZIP_NAME, out / ZIP_NAME)
    return Package(out / TEMPLATE_NAME, out / ZIP_NAME)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.build", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", required=True, help="a stage of .chalice/config.json (dev, prod, …)")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where sam.json and deployment.zip go")
    parser.add_argument(
        "--template-only", action="store_true",
        help="download nothing: the template, and a zip without the dependencies (not deployable)",
    )
    parser.add_argument(
        "--identity-provider", choices=IDENTITY_PROVIDERS, default="cognito",
        help="external: a template without Cognito (needed where user pools do not exist, as in aws-cn)",
    )
    args = parser.parse_args(argv)
    try:
        package = build(args.stage, args.out, args.template_only, args.identity_provider)
    except (BuildError, subprocess.CalledProcessError) as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(f"template: {package.template}")
    what = "without dependencies, not deployable" if args.template_only else "deployable"
    print(f"zip:      {package.zip} ({package.zip_bytes / 1e6:.1f} MB zipped, {what})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
